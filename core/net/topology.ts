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
 *
 * A departed peer leaves a tombstone (its last seq, for `ttlMs`): gossip can deliver an
 * announcement seconds late (gossipsub's IHAVE/IWANT from its message cache), and without the
 * tombstone a stale one would put a gone peer back on every page for a whole TTL. A peer dropped
 * because its bootstrap link closed is also quarantined (for `quarantineMs`, by default the
 * tombstone's whole TTL): its announcements, even unseen newer ones published just before it died,
 * are refused unless someone vouches for it (we hold a link to it, or one of our bootstraps lists
 * it again: `announce`'s `vouched`). A live peer keeps a link to a bootstrap, so it is vouched for
 * as soon as it has re-dialled one. A
 * peer that said goodbye (a reload keeps its id) comes back with its next, newer announcement.
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

interface Tombstone { seq: number, at: number, quarantinedUntil: number }

export class TopologyView {
  private readonly peers = new Map<string, ViewPeer & { seq: number }>()
  /** Departed peers, for `ttlMs` each: bounded by the peers that left within one TTL. */
  private readonly departed = new Map<string, Tombstone>()

  constructor (readonly self: string, private readonly ttlMs: number, private readonly quarantineMs = ttlMs) {}

  /**
   * Applies an announcement from `from`; returns true when the view changed. `vouched`: we have a
   * link to `from`, or one of our bootstraps lists it (lifts a quarantine, see the module doc).
   */
  announce (from: string, msg: TopologyMessage, now: number, vouched = false): boolean {
    if (from === this.self) return false
    const old = this.peers.get(from)
    // stale or duplicate: senders use wall-clock based, strictly increasing seqs, so a restarted
    // peer (same id, new process) still supersedes its old announcements
    if (old != null && msg.seq <= old.seq) return false
    const tomb = old == null ? this.departed.get(from) : undefined
    if (tomb != null) {
      if (msg.seq <= tomb.seq) return false
      if (now < tomb.quarantinedUntil && !vouched) return false
      this.departed.delete(from)
    }
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

  /**
   * Removes a peer; returns true when it was in the view. `quarantine`: it left without a goodbye
   * (its bootstrap link closed), so only a vouched announcement brings it back for a while.
   */
  leave (peerId: string, now: number, quarantine = false): boolean {
    const p = this.peers.get(peerId)
    if (p == null) return false
    this.peers.delete(peerId)
    this.departed.set(peerId, { seq: p.seq, at: now, quarantinedUntil: quarantine ? now + this.quarantineMs : now })
    return true
  }

  /** Drops peers not heard from for `ttlMs` (and tombstones older than that); returns the peers' ids. */
  expire (now: number): string[] {
    const gone: string[] = []
    for (const [id, p] of this.peers) {
      if (now - p.lastSeen > this.ttlMs) {
        this.peers.delete(id)
        this.departed.set(id, { seq: p.seq, at: now, quarantinedUntil: now })
        gone.push(id)
      }
    }
    for (const [id, t] of this.departed) if (now - t.at > this.ttlMs) this.departed.delete(id)
    return gone
  }

  /** Whether `peerId` left within the last TTL (for tests and diagnostics). */
  isDeparted (peerId: string): boolean {
    return this.departed.has(peerId)
  }

  /** Whether any of `bootstraps` lists `peerId` among its neighbours in its last announcement. */
  listedBy (bootstraps: Iterable<string>, peerId: string): boolean {
    for (const b of bootstraps) if (this.peers.get(b)?.neighbours.some(n => n.peerId === peerId) === true) return true
    return false
  }

  /**
   * Of `candidates`, those no bootstrap in the view lists among its neighbours (their bootstrap link
   * closed: the first sign a process died or a tab closed), never self nor a bootstrap. None while
   * no bootstrap's announcement has been heard: nothing to go by yet.
   */
  unlistedAmong (candidates: Iterable<string>): string[] {
    const boots = this.ids('bootstrap')
    if (boots.length === 0) return []
    const out = new Set<string>()
    for (const p of candidates) {
      if (p !== this.self && this.peers.get(p)?.role !== 'bootstrap' && !this.listedBy(boots, p)) out.add(p)
    }
    return [...out]
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
