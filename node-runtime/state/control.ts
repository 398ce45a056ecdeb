/**
 * The control endpoint of a running peer: how the CLI reaches the live, replicated document when
 * the peer holds the data dir's database lock.
 *
 * An HTTP server on 127.0.0.1 (ephemeral port) answers `POST /op` with `{ op, args }` by running the
 * same dispatcher as the CLI (./ops.ts) on the peer's document, so the edit replicates to the mesh
 * at once. `<data-dir>/state-control.json` (mode 0600) holds the port and a random bearer token:
 * only a process that can read the data dir can drive the peer.
 */
import { randomBytes } from 'node:crypto'
import { rmSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import { join } from 'node:path'
import { StateError } from '../../core/state/errors.ts'
import { CONTROL_FILE, type ControlInfo } from './control-client.ts'
import { runOp, type OpArgs, type OpTarget } from './ops.ts'

const MAX_BODY = 64 * 1024 * 1024
export { CONTROL_FILE, readControlInfo, remoteOp, type ControlInfo } from './control-client.ts'

/** Serves the operations of another subsystem (e.g. `ledger.*`, node-runtime/ledger/ops.ts). */
export type OpHandler = (op: string, args: OpArgs) => Promise<unknown>

export interface ControlServer {
  port: number
  /** from now on, operations whose name starts with `prefix` go to `handler` (state ops stay in ./ops.ts) */
  addOps: (prefix: string, handler: OpHandler) => void
  stop: () => Promise<void>
}

async function readBody (req: IncomingMessage): Promise<string> {
  let size = 0
  const chunks: Buffer[] = []
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY) throw new StateError('request too large')
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

function errorJson (err: unknown): { name: string, message: string, field?: string } {
  const e = err instanceof Error ? err : new Error(String(err))
  const field = (e as { field?: unknown }).field
  return { name: e.name, message: e.message, ...(typeof field === 'string' ? { field } : {}) }
}

export async function startControlServer (dataDir: string, target: OpTarget, hooks: { afterWrite?: () => Promise<void> } = {}): Promise<ControlServer> {
  const token = randomBytes(24).toString('hex')
  const extra = new Map<string, OpHandler>()
  const server: Server = createServer((req, res) => {
    void (async () => {
      let status = 200
      let body: unknown
      try {
        if (req.method !== 'POST' || req.url !== '/op') { status = 404; throw new StateError('not found') }
        if (req.headers.authorization !== `Bearer ${token}`) { status = 401; throw new StateError('bad token') }
        const { op, args } = JSON.parse(await readBody(req)) as { op: string, args: OpArgs }
        const handler = typeof op === 'string' ? [...extra].find(([prefix]) => op.startsWith(prefix))?.[1] : undefined
        const result = handler != null ? await handler(op, args ?? {}) : runOp(target, op, args ?? {})
        if (handler == null) await hooks.afterWrite?.()
        body = { ok: true, result }
      } catch (err) {
        body = { ok: false, error: errorJson(err) }
      }
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(body))
    })()
  })
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(0, '127.0.0.1', resolve) })
  const port = (server.address() as { port: number }).port
  const file = join(dataDir, CONTROL_FILE)
  writeFileSync(file, JSON.stringify({ port, token, pid: process.pid } satisfies ControlInfo), { mode: 0o600 })
  let stopped = false
  return {
    port,
    addOps: (prefix, handler) => { extra.set(prefix, handler) },
    stop: async () => {
      if (stopped) return
      stopped = true
      rmSync(file, { force: true })
      server.closeAllConnections()
      await new Promise<void>(resolve => server.close(() => resolve()))
    }
  }
}
