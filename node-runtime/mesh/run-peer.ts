/**
 * Runs one Node mesh peer for the CLI (`novacron start` and `novacron peer`): starts it, prints
 * what happens (human lines, or one JSON object per line with `--json`), broadcasts each line
 * typed on stdin, and shuts down cleanly on SIGINT/SIGTERM (every socket, timer and stream
 * released, exit code 0).
 *
 * The peer id comes first (`peer id …`, JSON `starting {peerId}`), before the wait for the
 * bootstrap; a peer whose bootstrap does not answer within `unreachableAfterMs` says so and that
 * it keeps retrying (core/net's bootstrap keeper re-dials with backoff), and says so again once
 * it gets through.
 *
 * JSON events: `starting {peerId}`, `listening {peerId, multiaddrs, ...extra}`, `addresses {multiaddrs}` (when they change), `peer:connect {peerId, transport}`,
 * `peer:refused {peerId, wire, build, ours, bootstrap, until, message}` (another wire version:
 * core/net/wire-version.ts), `peer:disconnect {peerId}`, `broadcast {from, text}`, `members {members}`,
 * `bootstrap:unreachable {bootstrap, retrying}`, `bootstrap:reached {peerId}`, `stopped`. Text from peers is
 * escaped (cli/escape.ts): control characters never reach the terminal raw, in either format.
 */
import { createInterface } from 'node:readline'
import { releaseWebRTC } from './webrtc-release.ts'
import { startMemProbe } from './mem-probe.ts'
import { releaseHeldChannel } from './datachannel-release.ts'
import { setChannelReleaser } from '../../core/net/datachannel-tracker.ts'
import { escapeForTerminal, safeJson } from '../cli/escape.ts'
import type { CliIO } from '../cli/args.ts'
import type { MeshNode } from '../../core/net/index.ts'
import { bootstrapPeerId } from '../../core/net/config.ts'

export interface RunPeerInit {
  node: MeshNode
  json: boolean
  io: CliIO
  /** Extra fields for the `listening` event (e.g. the app URL), possibly from the listen addresses. */
  listening?: Record<string, unknown> | ((multiaddrs: string[]) => Record<string, unknown>)
  /** Human-readable lines printed after the addresses, possibly from the listen addresses. */
  banner?: string[] | ((multiaddrs: string[]) => string[])
  /** Called with the listen addresses once known and whenever they change. */
  onAddresses?: (multiaddrs: string[]) => void
  /** How long a peer waits for its bootstrap before saying it does not answer. @default 5000 */
  unreachableAfterMs?: number
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
  // node-datachannel holds every closed channel the remote opened: free them (issue 21)
  setChannelReleaser(releaseHeldChannel)
  const out = (event: string, fields: Record<string, unknown>, human: string): void => {
    // peer ids and broadcast text come from peers: never raw to a terminal
    io.stdout.write(json ? safeJson({ event, ...fields }) + '\n' : human.split('\n').map(escapeForTerminal).join('\n') + '\n')
  }
  node.addEventListener('peer:connect', e => { out('peer:connect', e.detail, `connected   ${e.detail.peerId} (${e.detail.transport})`) })
  node.addEventListener('peer:refused', e => {
    const r = e.detail
    out('peer:refused', { peerId: r.peerId, wire: r.wire, build: r.build, ours: r.ours, bootstrap: r.bootstrap, until: r.until, message: r.message }, `refused     ${r.message}`)
  })
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

  // Ctrl-C / SIGTERM stop the peer cleanly from the first moment, also while it still waits
  // for its bootstrap or relay addresses below
  const stopRequested = new Promise<void>(resolve => {
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

  // who we are, before anything can take time
  out('starting', { peerId: node.peerId.toString() }, `peer id     ${node.peerId.toString()}`)
  const bootstraps = new Set(node.config.bootstrap.map(bootstrapPeerId).filter(id => id !== ''))
  let reached = false
  let saidUnreachable = false
  const onBootstrapConnect = (e: CustomEvent<{ peerId: string }>): void => {
    if (reached || !bootstraps.has(e.detail.peerId)) return
    reached = true
    clearTimeout(unreachableTimer)
    if (saidUnreachable) out('bootstrap:reached', { peerId: e.detail.peerId }, `bootstrap   reached ${e.detail.peerId}`)
  }
  node.addEventListener('peer:connect', onBootstrapConnect as EventListener)
  const unreachableTimer = setTimeout(() => {
    if (reached || bootstraps.size === 0) return
    saidUnreachable = true
    out('bootstrap:unreachable', { bootstrap: node.config.bootstrap, retrying: true },
      `bootstrap   ${node.config.bootstrap.join(', ')} does not answer; retrying in the background (is 'novacron start' running there?)`)
  }, init.unreachableAfterMs ?? 5000)
  unreachableTimer.unref()

  await node.start()
  // a peer is dialable only once its relay reservation gives it addresses: wait for them (bounded)
  if (node.getMultiaddrs().length === 0 && node.config.bootstrap.length > 0) await Promise.race([addressesOrTimeout(node, init.addressWaitMs ?? 15_000), stopRequested])
  const multiaddrs = node.getMultiaddrs()
  const extra = typeof init.listening === 'function' ? init.listening(multiaddrs) : init.listening
  const banner = typeof init.banner === 'function' ? init.banner(multiaddrs) : init.banner
  out('listening', { peerId: node.peerId.toString(), multiaddrs, ...extra },
    [...multiaddrs.map(a => `listening   ${a}`), ...(banner ?? [])].join('\n'))
  init.onAddresses?.(multiaddrs)
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
    init.onAddresses?.(now)
    out('addresses', { multiaddrs: now }, now.map(a => `listening   ${a}`).join('\n'))
  }
  node.libp2p.addEventListener('self:peer:update', onAddresses)

  const stopProbe = startMemProbe(node, line => { io.stderr.write(line) })
  const lines = createInterface({ input: io.stdin, terminal: false })
  lines.on('line', line => {
    const text = line.trim()
    if (text === '') return
    node.broadcast(text).catch(err => { io.stderr.write(`broadcast failed: ${(err as Error).message}\n`) })
  })

  await stopRequested
  stopProbe()
  lines.close()
  clearTimeout(unreachableTimer)
  node.removeEventListener('peer:connect', onBootstrapConnect as EventListener)
  node.libp2p.removeEventListener('self:peer:update', onAddresses)
  // where a stop's time goes, in the `stopped` event: the services (jobs and their migrations,
  // the ledger's leave, up to 5 s when it cannot commit), the mesh, the local stores
  const t0 = performance.now()
  try {
    await init.beforeStop?.()
  } catch (err) {
    io.stderr.write(`stopping: ${escapeForTerminal(`${(err as Error).name}: ${(err as Error).message}`)}\n`)
  }
  const t1 = performance.now()
  await node.stop()
  const t2 = performance.now()
  await init.cleanup?.()
  // this process runs one mesh node; with it stopped, nothing else here uses WebRTC
  releaseWebRTC()
  const t3 = performance.now()
  const stopMs = { services: Math.round(t1 - t0), mesh: Math.round(t2 - t1), stores: Math.round(t3 - t2) }
  const took = t3 - t0
  out('stopped', { stopMs }, took >= 1000 ? `stopped in ${(took / 1000).toFixed(1)} s (services ${(stopMs.services / 1000).toFixed(1)} s, mesh ${(stopMs.mesh / 1000).toFixed(1)} s, stores ${(stopMs.stores / 1000).toFixed(1)} s)` : 'stopped')
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
    timer.unref() // a peer stopped during the wait must not linger for it
    node.libp2p.addEventListener('self:peer:update', done)
  })
}
