/**
 * The CLI's side of a running peer's control endpoint (./control.ts): read the advertised port
 * and token from the data dir, send one op. Kept apart from the server so a short command that
 * talks to a running peer loads neither Yjs nor LevelDB; `node:http` (with `net` and the HTTP
 * parser) is loaded only when there is a peer to ask, not by a command that reads the stored state.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ControlError, DataDirLockedError } from './errors.ts'

export const CONTROL_FILE = 'state-control.json'

export interface ControlInfo { port: number, token: string, pid: number }

export type OpArgs = Record<string, unknown>

export function readControlInfo (dataDir: string): ControlInfo | null {
  try {
    const info = JSON.parse(readFileSync(join(dataDir, CONTROL_FILE), 'utf8')) as ControlInfo
    return typeof info.port === 'number' && typeof info.token === 'string' ? info : null
  } catch {
    return null
  }
}

/** Runs one operation on the peer that holds `dataDir`. Remote errors come back with their `name`. */
export async function remoteOp (info: ControlInfo, op: string, args: OpArgs): Promise<unknown> {
  const payload = JSON.stringify({ op, args })
  const { request: httpRequest } = await import('node:http')
  const text = await new Promise<string>((resolve, reject) => {
    // agent: false: a fresh connection per op. Node's default agent keeps sockets alive, and an op
    // sent on one the server is just closing (its keep-alive timeout) fails with ECONNRESET: seen as
    // a false "does not answer" while a test polled a loaded peer
    const req = httpRequest({ agent: false, host: '127.0.0.1', port: info.port, method: 'POST', path: '/op', headers: { authorization: `Bearer ${info.token}`, 'content-type': 'application/json' } }, res => {
      let data = ''
      res.setEncoding('utf8').on('data', (d: string) => { data += d }).on('end', () => resolve(data)).on('error', reject)
    })
    req.on('error', err => reject(new DataDirLockedError(`the data dir is held by a peer whose control endpoint does not answer (${err.message})`)))
    req.end(payload)
  })
  const reply = JSON.parse(text) as { ok: true, result: unknown } | { ok: false, error: { name: string, message: string, field?: string } }
  if (reply.ok) return reply.result
  const err = new ControlError(reply.error.message)
  err.name = reply.error.name
  if (reply.error.field != null) Object.assign(err, { field: reply.error.field })
  throw err
}
