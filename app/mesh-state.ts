/**
 * What the mesh view shows, as a pure state machine: the shell feeds it events (connection
 * snapshots, ping results, topology gossip, broadcasts, start/failure) and renders what comes out.
 * No DOM, no libp2p, no clock of its own (times arrive in the events), so it is unit-tested in Node.
 *
 * Connections arrive as whole snapshots of `getConnections()` rather than as connect/disconnect
 * deltas: a snapshot can never drift from the node's real state when an event is missed.
 */

export type Transport = 'webrtc' | 'relayed' | 'websocket'

export type PeerRole = 'bootstrap' | 'browser' | 'node' | 'unknown'

export type MeshStatus =
  | { kind: 'starting' }
  | { kind: 'connecting' }
  | { kind: 'connected' }
  | { kind: 'bootstrap-lost' }
  | { kind: 'failed', error: string }

export interface PeerRow {
  peerId: string
  /** The best of the peer's open connections: webrtc, then websocket, then relayed. */
  transport: Transport
  /** Round-trip time of the last successful ping, or null before the first one. */
  rttMs: number | null
  role: PeerRole
  /** Time (ms) the peer first appeared in a snapshot. */
  connectedAt: number
}

export interface BroadcastEntry {
  from: string
  text: string
  at: number
  /** True for messages this tab sent. */
  own: boolean
}

export interface MeshViewState {
  self: string
  bootstrap: string
  status: MeshStatus
  /** Whether the bootstrap was ever connected (distinguishes "connecting" from "lost"). */
  seenBootstrap: boolean
  peers: ReadonlyMap<string, PeerRow>
  /** Each peer's role and neighbour list as last gossiped (this tab's own entry is ignored). */
  topology: ReadonlyMap<string, TopologyEntry>
  broadcasts: readonly BroadcastEntry[]
  /** Peers refused for another wire version (core/net/wire-version.ts), most recent last, at most `MAX_REFUSED`. */
  refused: readonly RefusedNote[]
}

export interface RefusedNote {
  peerId: string
  /** The reason in words, naming both versions. */
  message: string
}

export interface TopologyNeighbour {
  peerId: string
  transport?: Transport
}

export interface TopologyEntry {
  role?: PeerRole
  neighbours: readonly TopologyNeighbour[]
}

export interface ConnectionInfo {
  peerId: string
  transport: Transport
  role?: PeerRole
}

export type MeshViewEvent =
  | { type: 'started' }
  | { type: 'failed', error: string }
  | { type: 'connections', at: number, connections: readonly ConnectionInfo[] }
  | { type: 'rtt', peerId: string, rttMs: number }
  | { type: 'topology', entries: ReadonlyMap<string, TopologyEntry> }
  | { type: 'broadcast', entry: BroadcastEntry }
  | { type: 'refused', note: RefusedNote }

/** How many broadcasts the view keeps (oldest dropped first). */
export const MAX_BROADCASTS = 100

/** How many refused peers the view keeps (oldest dropped first). */
export const MAX_REFUSED = 8

const RANK: Record<Transport, number> = { webrtc: 3, websocket: 2, relayed: 1 }

export function initialState (self: string, bootstrap: string): MeshViewState {
  return {
    self,
    bootstrap,
    status: { kind: 'starting' },
    seenBootstrap: false,
    peers: new Map(),
    topology: new Map(),
    broadcasts: [],
    refused: []
  }
}

function statusFor (state: MeshViewState, peers: ReadonlyMap<string, PeerRow>, seenBootstrap: boolean): MeshStatus {
  if (state.status.kind === 'failed' || state.status.kind === 'starting') return state.status
  if (peers.has(state.bootstrap)) return { kind: 'connected' }
  return seenBootstrap ? { kind: 'bootstrap-lost' } : { kind: 'connecting' }
}

function applyConnections (state: MeshViewState, at: number, connections: readonly ConnectionInfo[]): MeshViewState {
  const peers = new Map<string, PeerRow>()
  for (const c of connections) {
    if (c.peerId === state.self) continue
    const prev = peers.get(c.peerId) ?? state.peers.get(c.peerId)
    const role: PeerRole = c.peerId === state.bootstrap ? 'bootstrap' : (c.role ?? prev?.role ?? 'unknown')
    const already = peers.get(c.peerId)
    const transport = already != null && RANK[already.transport] >= RANK[c.transport] ? already.transport : c.transport
    peers.set(c.peerId, {
      peerId: c.peerId,
      transport,
      rttMs: prev?.rttMs ?? null,
      role: role === 'unknown' && prev != null ? prev.role : role,
      connectedAt: state.peers.get(c.peerId)?.connectedAt ?? at
    })
  }
  const seenBootstrap = state.seenBootstrap || peers.has(state.bootstrap)
  const status = statusFor(state, peers, seenBootstrap)
  // an unchanged snapshot returns the same state object, so the view can skip the render
  if (seenBootstrap === state.seenBootstrap && status.kind === state.status.kind && samePeers(peers, state.peers)) return state
  return { ...state, peers, seenBootstrap, status }
}

function samePeers (a: ReadonlyMap<string, PeerRow>, b: ReadonlyMap<string, PeerRow>): boolean {
  if (a.size !== b.size) return false
  for (const [id, row] of a) {
    const old = b.get(id)
    if (old == null || old.transport !== row.transport || old.role !== row.role || old.rttMs !== row.rttMs || old.connectedAt !== row.connectedAt) return false
  }
  return true
}

export function reduce (state: MeshViewState, event: MeshViewEvent): MeshViewState {
  switch (event.type) {
    case 'started': {
      const next: MeshViewState = { ...state, status: { kind: 'connecting' } }
      return { ...next, status: statusFor(next, next.peers, next.seenBootstrap) }
    }
    case 'failed':
      return { ...state, status: { kind: 'failed', error: event.error } }
    case 'connections':
      return applyConnections(state, event.at, event.connections)
    case 'rtt': {
      const row = state.peers.get(event.peerId)
      if (row == null || !Number.isFinite(event.rttMs) || event.rttMs < 0 || row.rttMs === event.rttMs) return state
      const peers = new Map(state.peers)
      peers.set(event.peerId, { ...row, rttMs: event.rttMs })
      return { ...state, peers }
    }
    case 'topology': {
      const topology = new Map<string, TopologyEntry>()
      for (const [peer, entry] of event.entries) {
        if (peer === state.self) continue
        const seen = new Set<string>([peer])
        const neighbours = entry.neighbours.filter(n => !seen.has(n.peerId) && seen.add(n.peerId) != null)
        topology.set(peer, { ...(entry.role != null ? { role: entry.role } : {}), neighbours })
      }
      // Gossip tells a peer's kind (browser or Node) even when identify does not.
      let peers = state.peers
      for (const row of state.peers.values()) {
        const role = topology.get(row.peerId)?.role
        if (role != null && row.role === 'unknown') {
          if (peers === state.peers) peers = new Map(state.peers)
          ;(peers as Map<string, PeerRow>).set(row.peerId, { ...row, role })
        }
      }
      return { ...state, topology, peers }
    }
    case 'broadcast': {
      const broadcasts = [...state.broadcasts, event.entry]
      return { ...state, broadcasts: broadcasts.length > MAX_BROADCASTS ? broadcasts.slice(-MAX_BROADCASTS) : broadcasts }
    }
    case 'refused': {
      const refused = [...state.refused.filter(r => r.peerId !== event.note.peerId), event.note]
      return { ...state, refused: refused.slice(-MAX_REFUSED) }
    }
  }
}

export interface GraphNode {
  id: string
  self: boolean
  role: PeerRole
}

export interface GraphEdge {
  a: string
  b: string
  /** As reported by this tab (its own links) or by gossip; null when nobody said. */
  transport: Transport | null
}

/**
 * The whole mesh as one undirected graph: this tab's own connections (authoritative, with
 * transports) plus every gossiped neighbour list. Edges are deduplicated with `a < b`.
 *
 * A peer is drawn only if this tab is connected to it or it announced itself (its own signed
 * topology message). Ids that appear only inside someone else's neighbour list are left out: a
 * Byzantine peer cannot fill the picture with invented peers, and a peer that left disappears as
 * soon as its own entry expires, even while others' lists still mention it.
 */
export function meshGraph (state: MeshViewState): { nodes: GraphNode[], edges: GraphEdge[] } {
  const roles = new Map<string, PeerRole>([[state.self, 'browser']])
  const edges = new Map<string, GraphEdge>()
  const addEdge = (x: string, y: string, transport: Transport | null): void => {
    if (x === y) return
    const [a, b] = x < y ? [x, y] : [y, x]
    const key = `${a} ${b}`
    const prev = edges.get(key)
    if (prev == null || (prev.transport == null && transport != null)) edges.set(key, { a, b, transport })
  }
  for (const row of state.peers.values()) {
    roles.set(row.peerId, row.role)
    addEdge(state.self, row.peerId, row.transport)
  }
  for (const [peer, entry] of state.topology) {
    if (!roles.has(peer) || roles.get(peer) === 'unknown') roles.set(peer, peer === state.bootstrap ? 'bootstrap' : (entry.role ?? 'unknown'))
  }
  for (const [peer, entry] of state.topology) {
    for (const n of entry.neighbours) {
      // Gossip about this tab's own links is stale by definition; the snapshot above is the truth.
      if (n.peerId === state.self || !roles.has(n.peerId)) continue
      addEdge(peer, n.peerId, n.transport ?? null)
    }
  }
  const nodes = [...roles].map(([id, role]) => ({ id, self: id === state.self, role }))
  nodes.sort((x, y) => (x.self === y.self ? (x.id < y.id ? -1 : x.id > y.id ? 1 : 0) : x.self ? -1 : 1))
  return { nodes, edges: [...edges.values()] }
}
