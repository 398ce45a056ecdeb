/**
 * The mesh view: who is in the mesh and who is connected to whom, as learnt from topology gossip.
 *
 * A pure state machine (time is an argument, no timers, no I/O), so it is unit-tested without a
 * network and the node's shell only feeds it messages and clock ticks. A peer enters the view when
 * it announces itself, is replaced only by a newer announcement (higher `seq`, or any after it
 * left), and leaves on its `leave` message or when not heard from for `ttlMs` — which bounds how
 * long a crashed peer stays visible.
 *
 * A closed browser tab sends no goodbye (see app/main.ts), so waiting for its TTL would keep it on
 * every page for seconds. But every peer holds a WebSocket link to its bootstrap, and that link
 * closes the moment the tab does: `unlistedBy` finds the peers one of OUR configured bootstraps
 * stopped listing, and the node drops those it has no link to itself (and pings those it has one
 * to, dropping them when they do not answer). A peer wrongly dropped (it only lost its bootstrap
 * link) is back with its next keep-alive announcement.
 */
import type { MeshRole } from './config.ts'
import type { Neighbour, TopologyMessage } from './mesh-codec.ts'

export interface ViewPeer {
  peerId: string
  role: MeshRole
  neighbours: Neighbour[]
  /** Local clock time (ms) of the last announcement heard. */
  lastSeen: number
}

export interface ViewSnapshot {
  self: string
  peers: ViewPeer[]
}

export class TopologyView {
  private readonly peers = new Map<string, ViewPeer & { seq: number }>()

  constructor (readonly self: string, private readonly ttlMs: number) {}

  /** Applies an announcement from `from`; returns true when the view changed. */
  announce (from: string, msg: TopologyMessage, now: number): boolean {
    if (from === this.self) return false
    const old = this.peers.get(from)
    // stale or duplicate: senders use wall-clock based, strictly increasing seqs, so a restarted
    // peer (same id, new process) still supersedes its old announcements
    if (old != null && msg.seq <= old.seq) return false
    const neighbours = msg.neighbours.filter(n => n.peerId !== from)
    const changed = old == null || old.role !== msg.role || !sameNeighbours(old.neighbours, neighbours)
    this.peers.set(from, { peerId: from, role: msg.role, neighbours, lastSeen: now, seq: msg.seq })
    return changed
  }

  /** Marks `peerId` as alive without new neighbour data (e.g. it just connected directly). */
  touch (peerId: string, now: number): void {
    const p = this.peers.get(peerId)
    if (p != null) p.lastSeen = Math.max(p.lastSeen, now)
  }

  /** Removes a peer that said goodbye; returns true when it was in the view. */
  leave (peerId: string): boolean {
    return this.peers.delete(peerId)
  }

  /** Drops peers not heard from for `ttlMs`; returns their ids. */
  expire (now: number): string[] {
    const gone: string[] = []
    for (const [id, p] of this.peers) {
      if (now - p.lastSeen > this.ttlMs) { this.peers.delete(id); gone.push(id) }
    }
    return gone
  }

  has (peerId: string): boolean {
    return this.peers.has(peerId)
  }

  get (peerId: string): ViewPeer | undefined {
    const p = this.peers.get(peerId)
    return p == null ? undefined : copy(p)
  }

  /** Number of direct WebRTC links `peerId` last announced. */
  degree (peerId: string): number {
    return this.peers.get(peerId)?.neighbours.filter(n => n.transport === 'webrtc').length ?? 0
  }

  /** Peer ids in the view (not including self), optionally only those with `role`. */
  ids (role?: MeshRole): string[] {
    return [...this.peers.values()].filter(p => role == null || p.role === role).map(p => p.peerId).sort()
  }

  snapshot (): ViewSnapshot {
    return { self: this.self, peers: [...this.peers.values()].map(copy).sort((a, b) => a.peerId < b.peerId ? -1 : 1) }
  }
}

/** Peers listed in `before` but not in `after`: the links a neighbour list lost. */
export function unlistedBy (before: readonly Neighbour[], after: readonly Neighbour[]): string[] {
  const still = new Set(after.map(n => n.peerId))
  return before.map(n => n.peerId).filter(id => !still.has(id))
}

function copy (p: ViewPeer): ViewPeer {
  return { peerId: p.peerId, role: p.role, neighbours: p.neighbours.map(n => ({ ...n })), lastSeen: p.lastSeen }
}

function sameNeighbours (a: Neighbour[], b: Neighbour[]): boolean {
  if (a.length !== b.length) return false
  const key = (n: Neighbour): string => `${n.peerId}/${n.transport}`
  const set = new Set(a.map(key))
  return b.every(n => set.has(key(n)))
}
