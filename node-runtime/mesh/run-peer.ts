/**
 * Runs one Node mesh peer for the CLI (`novacron start` and `novacron peer`): starts it, prints
 * what happens (human lines, or one JSON object per line with `--json`), broadcasts each line
 * typed on stdin, and shuts down cleanly on SIGINT/SIGTERM (every socket, timer and stream
 * released, exit code 0).
 *
 * JSON events: `listening {peerId, multiaddrs, ...extra}`, `addresses {multiaddrs}` (when they change), `peer:connect {peerId, transport}`,
 * `peer:disconnect {peerId}`, `broadcast {from, text}`, `members {members}`, `stopped`.
 */
import { createInterface } from 'node:readline'
import { releaseWebRTC } from './webrtc-release.ts'
import type { CliIO } from '../cli/args.ts'
import type { MeshNode } from '../../core/net/index.ts'

export interface RunPeerInit {
  node: MeshNode
  json: boolean
  io: CliIO
  /** Extra fields for the `listening` event (e.g. the app URL). */
  listening?: Record<string, unknown>
  /** Human-readable lines printed after the peer id and addresses. */
  banner?: string[]
  /** Called once the node runs and `listening` was printed (e.g. to start the ledger). */
  afterStart?: () => Promise<void>
  /** Called before the node stops, while the mesh still runs (e.g. the ledger's graceful `leave`). */
  beforeStop?: () => Promise<void>
  /** Called after the node stopped (e.g. to close the HTTP server). */
  cleanup?: () => Promise<void>
  /** Stops the peer when aborted (tests); SIGINT/SIGTERM do the same. */
  signal?: AbortSignal
  /** How long a peer waits for relay addresses before printing `listening` anyway. @default 15000 */
  addressWaitMs?: number
}

export async function runPeer (init: RunPeerInit): Promise<number> {
  const { node, io, json } = init
  const out = (event: string, fields: Record<string, unknown>, human: string): void => {
    io.stdout.write(json ? JSON.stringify({ event, ...fields }) + '\n' : human + '\n')
  }
  node.addEventListener('peer:connect', e => { out('peer:connect', e.detail, `connected   ${e.detail.peerId} (${e.detail.transport})`) })
  node.addEventListener('peer:disconnect', e => { out('peer:disconnect', e.detail, `disconnected ${e.detail.peerId}`) })
  node.addEventListener('broadcast', e => { out('broadcast', e.detail, `broadcast from ${e.detail.from}: ${e.detail.text}`) })
  let lastMembers = ''
  node.addEventListener('view', () => {
    const members = node.members()
    const key = members.join(',')
    if (key === lastMembers) return
    lastMembers = key
    out('members', { members }, `members     ${members.length} peer(s) in the mesh`)
  })

  await node.start()
  // a peer is dialable only once its relay reservation gives it addresses: wait for them (bounded)
  if (node.getMultiaddrs().length === 0 && node.config.bootstrap.length > 0) await addressesOrTimeout(node, init.addressWaitMs ?? 15_000)
  const multiaddrs = node.getMultiaddrs()
  out('listening', { peerId: node.peerId.toString(), multiaddrs, ...init.listening },
    [`peer id     ${node.peerId.toString()}`, ...multiaddrs.map(a => `listening   ${a}`), ...(init.banner ?? [])].join('\n'))
  try {
    await init.afterStart?.()
  } catch (err) {
    // nothing keeps running when what the command adds cannot start (e.g. a locked ledger store)
    await node.stop()
    await init.cleanup?.()
    releaseWebRTC()
    throw err
  }
  let shown = multiaddrs.join(' ')
  const onAddresses = (): void => {
    const now = node.getMultiaddrs()
    if (now.join(' ') === shown) return
    shown = now.join(' ')
    out('addresses', { multiaddrs: now }, now.map(a => `listening   ${a}`).join('\n'))
  }
  node.libp2p.addEventListener('self:peer:update', onAddresses)

  const lines = createInterface({ input: io.stdin, terminal: false })
  lines.on('line', line => {
    const text = line.trim()
    if (text === '') return
    node.broadcast(text).catch(err => { io.stderr.write(`broadcast failed: ${(err as Error).message}\n`) })
  })

  await new Promise<void>(resolve => {
    const done = (): void => {
      process.off('SIGINT', done)
      process.off('SIGTERM', done)
      init.signal?.removeEventListener('abort', done)
      resolve()
    }
    process.once('SIGINT', done)
    process.once('SIGTERM', done)
    if (init.signal?.aborted === true) done()
    else init.signal?.addEventListener('abort', done)
  })
  lines.close()
  node.libp2p.removeEventListener('self:peer:update', onAddresses)
  try {
    await init.beforeStop?.()
  } catch (err) {
    io.stderr.write(`stopping: ${(err as Error).name}: ${(err as Error).message}\n`)
  }
  await node.stop()
  await init.cleanup?.()
  // this process runs one mesh node; with it stopped, nothing else here uses WebRTC
  releaseWebRTC()
  out('stopped', {}, 'stopped')
  return 0
}

async function addressesOrTimeout (node: MeshNode, ms: number): Promise<void> {
  await new Promise<void>(resolve => {
    const done = (): void => {
      if (node.getMultiaddrs().length === 0 && Date.now() < deadline) return
      clearTimeout(timer)
      node.libp2p.removeEventListener('self:peer:update', done)
      resolve()
    }
    const deadline = Date.now() + ms
    const timer = setTimeout(done, ms)
    node.libp2p.addEventListener('self:peer:update', done)
  })
}
