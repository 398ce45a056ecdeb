/**
 * Passed turns: a drawn coordinator that cannot fetch the head (every source failed, each dialled
 * first: model-fetch.ts) cannot run the next round, and before this the other learners waited for
 * it until `roundTimeoutMs` (30 s in the bench) made the next in the draw take over. Now it commits
 * a `model.pass` entry (entries.ts) for the round and base, and every learner, reading it in ledger
 * order, passes over that peer for that round at once: the next in the draw order coordinates.
 *
 * A pass counts only for the next round of the current head, from a peer in that round's draw
 * order (a pass for another round or base is stale and ignored). It can only shorten its author's
 * own turn — what a peer that withholds its round gets anyway after the round timeout — so a
 * Byzantine pass costs nothing but its author's turn. If every peer in the order passed, the passes
 * are set aside and the round timeouts decide as before (no round would start otherwise).
 * Bounded: the passes of one round, at most one per peer in its order; cleared when the head moves.
 */
import type { PassEntry } from './entries.ts'

export class Passes {
  private key = ''
  private readonly passed = new Set<string>()

  /** A committed pass by `author`; true when it counts (the next round of `head`, `author` in `order`). */
  apply (author: string, p: PassEntry, head: { round: number, hash: string }, order: readonly string[]): boolean {
    if (p.round !== head.round + 1 || p.base !== head.hash || !order.includes(author)) return false
    this.at(head)
    this.passed.add(author)
    return true
  }

  /** `order` less the peers that passed the next round of `head` (the whole order when all did). */
  filter (order: readonly string[], head: { round: number, hash: string }): string[] {
    this.at(head)
    const left = order.filter(p => !this.passed.has(p))
    return left.length > 0 ? left : [...order]
  }

  /** Whether `peer` passed the next round of `head`. */
  has (peer: string, head: { round: number, hash: string }): boolean {
    this.at(head)
    return this.passed.has(peer)
  }

  /** Forgets the passes of an earlier head. */
  private at (head: { round: number, hash: string }): void {
    const key = `${head.round}:${head.hash}`
    if (key === this.key) return
    this.key = key
    this.passed.clear()
  }
}
