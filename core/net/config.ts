/**
 * Mesh node configuration: the `Init` a caller passes, its defaults, and its validation.
 *
 * Validation runs once, up front, before anything is allocated, and reports EVERY bad field in one
 * `ConfigError` (not just the first), so a user fixes a bad command line in one go. The validated
 * config is a fresh, deeply frozen object: arrays are copied, so a caller mutating its own `Init`
 * afterwards cannot change a running node (the seed's "unsafe config copy" bug).
 */
import { multiaddr } from '@multiformats/multiaddr'
import { ConfigError, type ConfigIssue } from './errors.ts'
import type { PrivateKey } from '@libp2p/interface'

export type MeshRole = 'bootstrap' | 'peer' | 'browser'

export interface MeshNodeInit {
  /**
   * Addresses to listen on. Peers listen on `/p2p-circuit` (reserve a relay slot) and `/webrtc`
   * (accept WebRTC dials signalled through it); the bootstrap on a WebSockets address.
   * @default ['/p2p-circuit', '/webrtc']
   */
  listen?: string[]
  /** Bootstrap multiaddrs, each ending in `/p2p/<peer id>`; re-dialled with backoff when lost. @default [] */
  bootstrap?: string[]
  /** The node's identity; a fresh Ed25519 key when absent. */
  privateKey?: PrivateKey
  /** What this node is, as shown to other peers in topology gossip. @default 'peer' */
  role?: MeshRole
  /** Run a circuit-relay v2 server (signalling for WebRTC). @default role === 'bootstrap' */
  relayServer?: boolean
  /** Target number of direct WebRTC connections. @default 8 */
  maxPeers?: number
  /**
   * Abandon a dial that makes no progress for this long (some WebRTC dials hang after ICE), and any
   * dial after 4× this; retried, also from the other side. @default 6000
   */
  dialTimeoutMs?: number
  /**
   * WebRTC dials in flight at once. Each costs a relayed signalling connection, ICE and a DTLS
   * handshake; many at once starve a small CPU until every dial times out. @default 2
   */
  maxParallelDials?: number
  /** How often the dialer looks for peers to connect to. @default 1000 */
  maintainIntervalMs?: number
  /**
   * How often pubsub peer discovery re-announces our addresses. Our address appearing and a
   * newcomer showing up are announced at once anyway (announcer.ts), so this is only a refresh;
   * every announcement costs every peer a signature check: with 2 s (and a 2 s topology interval)
   * 20 peers in one process took 20–27 s to mesh, with 10 s 13–16 s (docs/mesh.md). 20 s since
   * issue 15's idle-mesh work: with the topology interval doubled too, an idle peer's WebRTC sends
   * fell 73.3 → 58.7 per second at n = 16, joins no slower (docs/mesh.md, "Longer keep-alives").
   * @default 20000
   */
  discoveryIntervalMs?: number
  /**
   * How often topology gossip re-publishes our neighbour list (a keep-alive); changes go out
   * sooner, at most one per quarter interval. @default 10000
   */
  topologyIntervalMs?: number
  /**
   * A peer not heard from for this long is dropped from the view. A peer whose bootstrap link
   * closed (a closed tab, a killed process) is dropped sooner (topology.ts); three topology
   * intervals, so one lost keep-alive does not drop a live peer. @default 30000
   */
  peerTtlMs?: number
  /**
   * Keep-alive ping interval (keepalive.ts: the RTT shown per connection; a link that never
   * answers one is closed as dead, see link-health.ts). Pings go over one long-lived stream per
   * connection; libp2p's connection monitor, which opened a stream (on WebRTC a data channel) per
   * ping, is off (issue 21). @default 10000
   */
  pingIntervalMs?: number
  /**
   * A direct WebRTC link whose WebRTC stack holds more closed data channels than this (opened by
   * the remote) is closed, and re-dialled by the dialer: node-datachannel keeps them until the
   * connection closes unless the Node releaser frees them (datachannel-tracker.ts). This bounds
   * that memory per link, also against a peer that opens streams in a loop. Without the releaser
   * an honest link holds ~5 more a minute (state sync calls): ~14 hours to the default. @default 4096
   */
  maxHeldChannels?: number
  /**
   * Largest request/response frame accepted or sent, in bytes; also gossipsub's largest inbound RPC.
   * At least `MIN_FRAME_SIZE` (64 KiB): below it libp2p's own control traffic (a gossipsub RPC with
   * a peer's subscriptions, identify) and every service's smallest message stop fitting, and the
   * node would run but exchange nothing. Services that need more refuse a smaller mesh themselves
   * (the ledger: `MeshFrameSizeError`). @default 1048576
   */
  maxFrameSize?: number
  /** Default request timeout. @default 10000 */
  requestTimeoutMs?: number
  /**
   * How long libp2p's identify on a new link waits for the answer. A link it fails on is identified
   * again on the maintenance tick, each try waiting twice as long, up to 8× this or 4 × dialTimeoutMs,
   * whichever is longer (identify-retry.ts).
   * @default 5000
   */
  identifyTimeoutMs?: number
  /** First delay before re-dialling a lost bootstrap; doubles up to `bootstrapBackoffMaxMs`. @default 250 */
  bootstrapBackoffMs?: number
  /** @default 5000 */
  bootstrapBackoffMaxMs?: number
  /** Relay server: maximum reservations (every peer on one host needs one). @default 1024 */
  maxReservations?: number
  /**
   * STUN/TURN server URLs for WebRTC. Empty by default: the mesh runs on a closed network, and
   * libp2p's default public STUN servers would only make ICE gathering wait for a timeout.
   * @default []
   */
  iceServers?: string[]
  /**
   * Requests one peer may make per second on each request/response protocol (a token bucket
   * holding `requestBurst`); more are refused unanswered and counted as rejections. @default 20
   */
  requestsPerSecond?: number
  /** @default 64 */
  requestBurst?: number
  /**
   * Rejected messages (malformed, forged, oversize, over budget) a directly connected peer may
   * send within 10 s before its connections are closed. @default 30
   */
  strikeLimit?: number
  /**
   * Pace the dials to protected peers (a ledger epoch's replicas, `MeshNode.protect`): within
   * `maxParallelDials`, replicas first in the policy, the larger id taking over (mesh-dialer.ts).
   * An experiment that measured worse than the default (every protected peer dialled at once by the
   * smaller id of each pair) at n = 16 (docs/ledger.md, "Replica links"); kept for the ledger
   * benchmark's comparison. @default false
   */
  pacedProtectedDials?: boolean
  /**
   * Lighter gossipsub for a hub every peer links to (`hub-gossip.ts`): a smaller topic mesh
   * (D 3, Dlo 2, Dhi 4) and no IDONTWANT for messages under 16 KiB. At n = 20 the bootstrap spent
   * 17 % of its time forwarding gossip and 5.5 % sending IDONTWANTs while saturated
   * (docs/ledger.md, "The hub's gossip load"). @default role === 'bootstrap'
   */
  hubGossip?: boolean
  /**
   * Lighter gossipsub for an ordinary peer (`lean-gossip.ts`): fewer copies of each message
   * forwarded, no IDONTWANT for small messages, less IHAVE gossip. An idle mesh of n = 16 spent
   * most of each peer's CPU on gossipsub's sends (docs/mesh.md, "The idle mesh's sends").
   * Ignored on a hub (`hubGossip` wins). @default true
   */
  leanGossip?: boolean
  /**
   * The build this node announces in its version handshake (`novacron/<build> wire/<N> <platform>`,
   * wire-version.ts): the package version. Letters, digits and `.+-_`, at most 64. @default 'dev'
   */
  build?: string
}

/** The validated, frozen configuration. */
export interface MeshConfig {
  readonly listen: readonly string[]
  readonly bootstrap: readonly string[]
  readonly privateKey: PrivateKey | undefined
  readonly role: MeshRole
  readonly relayServer: boolean
  readonly maxPeers: number
  readonly dialTimeoutMs: number
  readonly maxParallelDials: number
  readonly maintainIntervalMs: number
  readonly discoveryIntervalMs: number
  readonly topologyIntervalMs: number
  readonly peerTtlMs: number
  readonly pingIntervalMs: number
  readonly maxHeldChannels: number
  readonly maxFrameSize: number
  readonly requestTimeoutMs: number
  readonly identifyTimeoutMs: number
  readonly bootstrapBackoffMs: number
  readonly bootstrapBackoffMaxMs: number
  readonly maxReservations: number
  readonly iceServers: readonly string[]
  readonly requestsPerSecond: number
  readonly requestBurst: number
  readonly strikeLimit: number
  readonly pacedProtectedDials: boolean
  readonly hubGossip: boolean
  readonly leanGossip: boolean
  readonly build: string
}

const ROLES: readonly MeshRole[] = ['bootstrap', 'peer', 'browser']

/** `maxPeers`: field, default, min, max (also checked by MeshNode.setMaxPeers at run time). */
export const MAX_PEERS_BOUNDS: ['maxPeers', number, number, number] = ['maxPeers', 8, 1, 256]

/** The smallest `maxFrameSize` a node accepts (see `MeshNodeInit.maxFrameSize`). */
export const MIN_FRAME_SIZE = 64 * 1024

const INTEGERS: ReadonlyArray<[keyof MeshNodeInit & keyof MeshConfig, number, number, number]> = [
  // field, default, min, max
  MAX_PEERS_BOUNDS,
  ['dialTimeoutMs', 6000, 100, 120_000],
  ['maxParallelDials', 2, 1, 64],
  ['maintainIntervalMs', 1000, 50, 60_000],
  ['discoveryIntervalMs', 20_000, 100, 600_000],
  ['topologyIntervalMs', 10_000, 100, 600_000],
  ['peerTtlMs', 30_000, 200, 3_600_000],
  ['pingIntervalMs', 10_000, 100, 600_000],
  ['maxHeldChannels', 4096, 1, 1_000_000],
  ['maxFrameSize', 1 << 20, MIN_FRAME_SIZE, 64 << 20],
  ['requestTimeoutMs', 10_000, 10, 600_000],
  ['identifyTimeoutMs', 5000, 1, 600_000],
  ['bootstrapBackoffMs', 250, 10, 60_000],
  ['bootstrapBackoffMaxMs', 5000, 10, 600_000],
  ['maxReservations', 1024, 1, 65_536],
  ['requestsPerSecond', 20, 1, 100_000],
  ['requestBurst', 64, 1, 100_000],
  ['strikeLimit', 30, 1, 100_000]
]

/** Validates `init`, returning a frozen config or throwing one `ConfigError` listing every bad field. */
export function validateConfig (init: MeshNodeInit): MeshConfig {
  const issues: ConfigIssue[] = []
  if (init == null || typeof init !== 'object') throw new ConfigError([{ field: 'init', problem: 'must be an object' }])
  const listen = addrList(init.listen, 'listen', ['/p2p-circuit', '/webrtc'], false, issues)
  const bootstrap = addrList(init.bootstrap, 'bootstrap', [], true, issues)
  const iceServers = stringList(init.iceServers, 'iceServers', issues)
  const role = init.role ?? 'peer'
  if (!ROLES.includes(role)) issues.push({ field: 'role', problem: `must be one of ${ROLES.join(', ')} (got ${JSON.stringify(role)})` })
  const relayServer = init.relayServer ?? role === 'bootstrap'
  if (typeof relayServer !== 'boolean') issues.push({ field: 'relayServer', problem: 'must be a boolean' })
  const pacedProtectedDials = init.pacedProtectedDials ?? false
  if (typeof pacedProtectedDials !== 'boolean') issues.push({ field: 'pacedProtectedDials', problem: 'must be a boolean' })
  const hubGossip = init.hubGossip ?? role === 'bootstrap'
  if (typeof hubGossip !== 'boolean') issues.push({ field: 'hubGossip', problem: 'must be a boolean' })
  const leanGossip = init.leanGossip ?? true
  if (typeof leanGossip !== 'boolean') issues.push({ field: 'leanGossip', problem: 'must be a boolean' })
  const build = init.build ?? 'dev'
  if (typeof build !== 'string' || !/^[\w.+-]{1,64}$/.test(build)) issues.push({ field: 'build', problem: `must be 1-64 letters, digits or .+-_ (got ${JSON.stringify(build)})` })
  const privateKey = init.privateKey
  if (privateKey != null && (typeof privateKey !== 'object' || typeof privateKey.sign !== 'function' || privateKey.publicKey == null)) {
    issues.push({ field: 'privateKey', problem: 'must be a libp2p PrivateKey' })
  }
  const numbers: Record<string, number> = {}
  for (const [field, def, min, max] of INTEGERS) {
    const value = init[field] ?? def
    if (typeof value !== 'number' || !Number.isInteger(value)) issues.push({ field, problem: `must be an integer (got ${JSON.stringify(value)})` })
    else if (value < min || value > max) issues.push({ field, problem: `must be between ${min} and ${max} (got ${value})` })
    numbers[field] = value as number
  }
  if (issues.length === 0 && numbers.bootstrapBackoffMaxMs < numbers.bootstrapBackoffMs) {
    issues.push({ field: 'bootstrapBackoffMaxMs', problem: `must be at least bootstrapBackoffMs (${numbers.bootstrapBackoffMs})` })
  }
  if (issues.length === 0 && numbers.peerTtlMs <= numbers.topologyIntervalMs) {
    issues.push({ field: 'peerTtlMs', problem: `must exceed topologyIntervalMs (${numbers.topologyIntervalMs}), or live peers expire` })
  }
  if (issues.length > 0) throw new ConfigError(issues)
  return Object.freeze({
    listen: Object.freeze(listen),
    bootstrap: Object.freeze(bootstrap),
    privateKey,
    role,
    relayServer: relayServer as boolean,
    maxPeers: numbers.maxPeers,
    dialTimeoutMs: numbers.dialTimeoutMs,
    maxParallelDials: numbers.maxParallelDials,
    maintainIntervalMs: numbers.maintainIntervalMs,
    discoveryIntervalMs: numbers.discoveryIntervalMs,
    topologyIntervalMs: numbers.topologyIntervalMs,
    peerTtlMs: numbers.peerTtlMs,
    pingIntervalMs: numbers.pingIntervalMs,
    maxHeldChannels: numbers.maxHeldChannels,
    maxFrameSize: numbers.maxFrameSize,
    requestTimeoutMs: numbers.requestTimeoutMs,
    identifyTimeoutMs: numbers.identifyTimeoutMs,
    bootstrapBackoffMs: numbers.bootstrapBackoffMs,
    bootstrapBackoffMaxMs: numbers.bootstrapBackoffMaxMs,
    maxReservations: numbers.maxReservations,
    iceServers: Object.freeze(iceServers),
    requestsPerSecond: numbers.requestsPerSecond,
    requestBurst: numbers.requestBurst,
    strikeLimit: numbers.strikeLimit,
    pacedProtectedDials,
    hubGossip: hubGossip as boolean,
    leanGossip: leanGossip as boolean,
    build: build as string
  })
}

/** The peer id a validated bootstrap multiaddr ends in (`/p2p/<id>`). */
export function bootstrapPeerId (addr: string): string {
  return multiaddr(addr).getComponents().findLast(c => c.name === 'p2p')?.value ?? ''
}

function addrList (value: unknown, field: string, def: string[], needPeerId: boolean, issues: ConfigIssue[]): string[] {
  if (value == null) return [...def]
  if (!Array.isArray(value)) {
    issues.push({ field, problem: 'must be an array of multiaddr strings' })
    return []
  }
  const out: string[] = []
  value.forEach((item: unknown, i) => {
    const name = `${field}[${i}]`
    if (typeof item !== 'string') { issues.push({ field: name, problem: 'must be a multiaddr string' }); return }
    try {
      const ma = multiaddr(item)
      if (needPeerId && ma.getComponents().every(c => c.name !== 'p2p')) {
        issues.push({ field: name, problem: `must end in /p2p/<peer id> (got ${item})` })
        return
      }
    } catch (err) {
      issues.push({ field: name, problem: `is not a valid multiaddr (${err instanceof Error ? err.message : String(err)})` })
      return
    }
    out.push(item)
  })
  return out
}

function stringList (value: unknown, field: string, issues: ConfigIssue[]): string[] {
  if (value == null) return []
  if (!Array.isArray(value) || !value.every(v => typeof v === 'string' && /^(stun|turn|turns):/.test(v))) {
    issues.push({ field, problem: 'must be an array of stun:/turn: URLs' })
    return []
  }
  return [...value as string[]]
}
