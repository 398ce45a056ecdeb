/**
 * The ledger clock of the jobs layer. The ledger orders entries but stamps no time (no block
 * timestamps, no empty blocks), and lease expiry must come out the same on every peer, so time is
 * derived from the log: each job entry carries its author's wall clock `at`, and the clock moves
 * to `at` when that is later — by at most `maxStepMs` per entry — and never backwards.
 *
 * Why not a median of recent authors' stamps (Bitcoin's median-time-past): an idle submitter and
 * the very worker that died are among the recent authors, so their old stamps hold the median back
 * and the dead worker's lease would never expire. With the bounded step, one honest entry
 * (a renewal, or the claim of a peer that saw the lease run out on its own clock) moves time.
 * What a liar with a fast clock can do is bounded: `maxStepMs` per entry it gets committed, and
 * only early expiry — a liveness cost (a task is reassigned, its honest holder's late result is
 * refused by the fencing token), never a wrong result (replicas still vote). Honest peers also
 * refuse to propose entries stamped far ahead of their own clock (`checkStamp`).
 */

export const DEFAULT_MAX_STEP_MS = 60_000
/** How far ahead of a proposer's wall clock an entry's stamp may be. */
export const MAX_FUTURE_SKEW_MS = 30_000

export class LedgerClock {
  private value = 0

  constructor (private readonly maxStepMs = DEFAULT_MAX_STEP_MS) {}

  /** The clock, ms. */
  get now (): number { return this.value }

  /** Feeds one committed entry's stamp; returns the (possibly advanced) clock. */
  observe (at: number): number {
    if (this.value === 0) this.value = at // the first stamp sets the epoch of the log
    else if (at > this.value) this.value += Math.min(at - this.value, this.maxStepMs)
    return this.value
  }
}

/** Pre-proposal check (not part of apply: it reads the local clock): a stamp far in the future is refused. */
export function checkStamp (at: number, localNow: number): string | undefined {
  return at > localNow + MAX_FUTURE_SKEW_MS ? `stamp ${at} is more than ${MAX_FUTURE_SKEW_MS} ms ahead of this peer's clock` : undefined
}
