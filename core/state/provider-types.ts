/**
 * The state provider's public shapes (./provider.ts): the narrow mesh it runs over, its options,
 * components and counters.
 */
import type * as awarenessProtocol from 'y-protocols/awareness'
import type * as Y from 'yjs'
import type { PeerBudgetLimits } from './peer-budget.ts'
import type { PendingLimits } from './pending.ts'
import type { EntryStore, ReplicaStats } from './replica.ts'

/** A gossip validator's verdict: accept, or why the message is dropped. */
export type GossipVerdict = 'accept' | 'malformed' | 'forged'

/** What the provider needs from a mesh node (core/net's MeshNode fits it through `meshAsStateMesh`). */
export interface StateMesh {
  peerId: string
  /** Signs with the peer's libp2p private key (the key inside `peerId`). */
  sign: (data: Uint8Array) => Uint8Array | Promise<Uint8Array>
  handle: (protocol: string, handler: (request: Uint8Array, ctx: { peerId: string }) => Promise<Uint8Array> | Uint8Array, opts: { maxFrameSize: number }) => Promise<void>
  unhandle: (protocol: string) => Promise<void>
  request: (peer: string, protocol: string, payload: Uint8Array, opts: { maxFrameSize: number, timeoutMs: number }) => Promise<Uint8Array>
  /** Resolves with the peers the message was sent to directly, where the mesh knows them. */
  publish: (topic: string, data: Uint8Array) => Promise<readonly string[] | undefined | void>
  /**
   * `opts.check` runs before a message is delivered or forwarded (a gossipsub topic validator):
   * anything but 'accept' drops it and counts against the peer that sent it.
   */
  subscribe: (topic: string, handler: (msg: { from: string, data: Uint8Array }) => void, opts?: { check?: (data: Uint8Array, from: string) => Promise<GossipVerdict> | GossipVerdict }) => () => void
  /** Calls `fn` with the peer id on each new connection / lost peer; returns an unsubscribe function. */
  onPeer: (event: 'connect' | 'disconnect', fn: (peerId: string) => void) => () => void
  /**
   * Calls `fn` with a peer's id when it tells us it subscribed to `topic`: gossip published before
   * that did not reach it. Optional; without it, such gossip waits for the next resync.
   */
  onSubscribe?: (topic: string, fn: (peerId: string) => void) => () => void
  /**
   * Peers known to be subscribed to `topic`. Optional; with it, a local entry's gossip that missed a
   * linked subscriber (no gossip stream to it at that moment) is handed over by a handshake.
   */
  subscribers?: (topic: string) => string[]
  /** Peers with an open connection now. */
  connectedPeers: () => string[]
  /** Closes every connection to `peer` (an offender). */
  hangUp?: (peer: string) => Promise<void>
}

export interface StateProviderInit {
  doc: Y.Doc
  /** Created (and destroyed on stop) by the provider when absent. */
  awareness?: awarenessProtocol.Awareness
  /** Whose entries are accepted (the ledger's membership, on a private mesh). @default every peer */
  acceptAuthor?: (peerId: string) => boolean
  /** Keeps signed entries across restarts (Node: LevelDB next to the doc). */
  store?: EntryStore
  /** @default 4 MiB */
  maxFrameSize?: number
  /** @default 256 KiB */
  maxGossipSize?: number
  /** @default 15000 */
  resyncIntervalMs?: number
  /** Local updates within this window go out as one signed entry. @default 10 */
  flushDelayMs?: number
  /** @default 15000 */
  requestTimeoutMs?: number
  /** At most one gap-filling fetch per sender per this interval. @default 5000 */
  fetchIntervalMs?: number
  /** A linked subscriber a local entry's gossip missed gets a handshake this much later. @default 1000 */
  catchUpDelayMs?: number
  /** Caps on entries waiting for predecessors. @default DEFAULT_PENDING_LIMITS */
  pending?: Partial<PendingLimits>
  /** Per-peer budgets. @default DEFAULT_PEER_BUDGET */
  budget?: Partial<PeerBudgetLimits>
  /** Session number (tests); the client id is derived from it. @default random */
  session?: number
  now?: () => number
  log?: (message: string) => void
}

export interface StateProviderComponents {
  mesh: StateMesh
}

/** Counters and gauges, by stable name (docs/state.md lists each). */
export interface StateProviderStats extends ReplicaStats {
  gossipSent: number
  gossipReceived: number
  bytesSent: number
  bytesReceived: number
  syncs: number
  syncFailures: number
  badMessages: number
  fetches: number
  /** Handshakes run because a peer missed local gossip: it subscribed after it, or gossip had no stream to it (catch-up.ts). */
  catchUps: number
  rateLimited: number
  disconnects: number
}
