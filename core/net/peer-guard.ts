/**
 * Per-peer budgets and strikes: how the mesh bounds what one peer can make it do.
 *
 * A pure state machine (time is an argument, no timers, no I/O), like `TopologyView`:
 * - `allow(key, peer, now)` is a token bucket per (key, peer) — key is a protocol id or a topic —
 *   refilled at `ratePerSec` up to `burst`. Over budget, the caller drops the message and counts
 *   a rejection.
 * - `strike(peer, now)` records one rejection charged to a peer (a malformed, forged or
 *   over-budget message it sent us directly). Strikes expire after `strikeWindowMs`; the strike
 *   that reaches `strikeLimit` returns true, and the caller closes the peer's connections and
 *   `forgive`s it (a reconnecting peer starts from zero).
 *
 * Memory is bounded whatever peers do: at most `maxTracked` buckets and strike records; past it,
 * the least recently used are forgotten (a forgotten bucket starts full again, which only favours
 * peers that were quiet for a while).
 */

export interface Budget {
  /** Tokens added per second. */
  ratePerSec: number
  /** Bucket size: the largest burst allowed after a quiet period. */
  burst: number
}

export interface PeerGuardInit {
  /** Budget per key; keys without one are unlimited. */
  budgets: ReadonlyMap<string, Budget>
  /** Rejections within `strikeWindowMs` that get a peer disconnected. @default 30 */
  strikeLimit?: number
  /** @default 10000 */
  strikeWindowMs?: number
  /** @default 4096 */
  maxTracked?: number
}

interface Bucket { tokens: number, at: number }

export class PeerGuard {
  private readonly buckets = new Map<string, Bucket>()
  private readonly strikes = new Map<string, number[]>()
  private readonly budgets: ReadonlyMap<string, Budget>
  readonly strikeLimit: number
  private readonly strikeWindowMs: number
  private readonly maxTracked: number

  constructor (init: PeerGuardInit) {
    this.budgets = init.budgets
    this.strikeLimit = init.strikeLimit ?? 30
    this.strikeWindowMs = init.strikeWindowMs ?? 10_000
    this.maxTracked = init.maxTracked ?? 4096
  }

  /** Takes one token from `peer`'s bucket for `key`; false when it is empty (over budget). */
  allow (key: string, peer: string, now: number): boolean {
    const budget = this.budgets.get(key)
    if (budget == null) return true
    const id = `${key} ${peer}`
    let b = this.buckets.get(id)
    if (b == null) b = { tokens: budget.burst, at: now }
    else this.buckets.delete(id) // re-inserted below: Map order is recency order
    b.tokens = Math.min(budget.burst, b.tokens + Math.max(0, now - b.at) * budget.ratePerSec / 1000)
    b.at = now
    const ok = b.tokens >= 1
    if (ok) b.tokens -= 1
    this.buckets.set(id, b)
    evict(this.buckets, this.maxTracked)
    return ok
  }

  /** Charges one rejection to `peer`; true when it has reached the strike limit (the caller disconnects it and calls `forgive`). */
  strike (peer: string, now: number): boolean {
    const list = (this.strikes.get(peer) ?? []).filter(t => now - t < this.strikeWindowMs)
    this.strikes.delete(peer)
    list.push(now)
    // keep at most strikeLimit timestamps: older ones cannot change the outcome
    if (list.length > this.strikeLimit) list.splice(0, list.length - this.strikeLimit)
    this.strikes.set(peer, list)
    evict(this.strikes, this.maxTracked)
    return list.length >= this.strikeLimit
  }

  /** Rejections charged to `peer` within the window ending at `now`. */
  strikesOf (peer: string, now: number): number {
    return (this.strikes.get(peer) ?? []).filter(t => now - t < this.strikeWindowMs).length
  }

  /** Forgets a peer's strikes (after disconnecting it, so a reconnect starts from zero). */
  forgive (peer: string): void { this.strikes.delete(peer) }

  get tracked (): number { return this.buckets.size + this.strikes.size }
}

function evict<V> (map: Map<string, V>, max: number): void {
  while (map.size > max) {
    const oldest = map.keys().next().value
    if (oldest === undefined) return
    map.delete(oldest)
  }
}
