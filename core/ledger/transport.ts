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
  /** one sync request/response call */
  request: (peerId: string, payload: Uint8Array) => Promise<Uint8Array>
  /** peers we have a link to now */
  connectedPeers: () => string[]
  /** last round trip to a peer, ms */
  rttMs: (peerId: string) => number | undefined
  /** keeps direct links to these peers (the replicas of the epoch) */
  protect: (peerIds: string[]) => void
  /** closes our links to a peer that keeps sending rejected frames */
  disconnect: (peerId: string) => void
  /** frames and bytes that crossed links for the ledger */
  wire?: () => { framesSent: number, bytesSent: number, framesReceived: number, bytesReceived: number, dropped?: number }
}

/** What a transport delivers to the ledger. */
export interface LedgerInbound {
  onFrame: (from: string, frame: Uint8Array) => void
  /** a gossiped record: accept (valid, propagate), ignore (stale/unknown yet) or reject (invalid) */
  onRecord: (from: string, record: Uint8Array) => Promise<'accept' | 'ignore' | 'reject'>
  serveSync: (from: string, request: Uint8Array) => Promise<Uint8Array>
}
