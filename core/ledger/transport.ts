/**
 * What the ledger needs from the network, as one narrow interface: `links.ts` implements it over
 * core/net's `MeshNode` (one framed stream per replica pair, gossip, request/response), and the
 * deterministic tests implement it in memory with a seeded network.
 */
export interface LedgerTransport {
  /** our peer id */
  readonly self: string
  /** sends one ledger frame to a peer (best effort, counted; opens the link when needed) */
  send: (peerId: string, frame: Uint8Array) => void
  /** publishes a committed record on the gossip topic */
  publish: (record: Uint8Array) => void
  /**
   * one sync request/response call; with `direct`, to a peer we hold no usable link to, a direct
   * link is dialled first (a peer without the chain asking one that has it)
   */
  request: (peerId: string, payload: Uint8Array, opts?: { direct?: boolean }) => Promise<Uint8Array>
  /** peers we have a link to now */
  connectedPeers: () => string[]
  /**
   * peers the mesh knows of (its topology view), linked or not: a peer without the chain asks
   * them, dialling, when its linked peers cannot give it (a newcomer linked only to a busy hub)
   */
  knownPeers?: () => string[]
  /** last round trip to a peer, ms */
  rttMs: (peerId: string) => number | undefined
  /** keeps direct links to these peers (the replicas of the epoch) */
  protect: (peerIds: string[]) => void
  /** closes our links to a peer that keeps sending rejected frames */
  disconnect: (peerId: string) => void
  /** frames and bytes that crossed links for the ledger */
  wire?: () => { framesSent: number, bytesSent: number, framesReceived: number, bytesReceived: number, dropped?: number }
}

/**
 * The verdict on a gossiped record, in MeshGuard's terms (core/net/mesh-guard.ts `GossipVerdict`):
 * accept (valid: applied, propagated), ignore (stale, or beyond our height: not checkable yet;
 * dropped unpenalised), malformed (does not decode) or forged (decodes, does not verify). The last
 * two are gossipsub Rejects: P4 score and a strike against the peer that sent it.
 */
export type RecordVerdict = 'accept' | 'ignore' | 'malformed' | 'forged'

/** What a transport delivers to the ledger. */
export interface LedgerInbound {
  onFrame: (from: string, frame: Uint8Array) => void
  /** a gossiped record, checked before gossipsub delivers or forwards it */
  onRecord: (from: string, record: Uint8Array) => Promise<RecordVerdict>
  serveSync: (from: string, request: Uint8Array) => Promise<Uint8Array>
}
