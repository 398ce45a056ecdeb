/**
 * When a warm pre-copy stops (session 15): once the delta the pause would carry is predicted to fit
 * the downtime budget, from what this move measured, instead of once a round sends under 2 % of
 * memory.
 *
 * Why: a move to a target keeping the task's checkpoint starts from that checkpoint, so its first
 * round is only what changed since (~45 MB for a 2 s old checkpoint of the 256 MiB bench task).
 * The 2 % rule (5 MB of 256 MiB) then took 5–6 rounds, each re-sending what the task dirtied while
 * the last one ran (49 % of memory in all, session 14), though the chunk path moves a delta of
 * ~25 MB within the downtime budget. Every round fewer is bytes saved.
 *
 * The model, all from this move's own rounds (no constant speed):
 * - the pause's delta costs `copyMs` (the worker hashing memory and copying the changed chunks:
 *   the last round's copy time, which includes the same pass) plus its bytes over the chunk
 *   path's throughput (the rounds' sent bytes over their send times);
 * - the task dirties chunks at the rate the last round saw: its delta's bytes over the time since
 *   the round before it asked (or since the checkpoint it started from was taken, for the first);
 * - the pause's delta is that rate times the time since the last round asked.
 * Pre-copy stops once `copyMs + predicted / throughput <= budgetMs`. Until a rate is known (a first
 * round with no checkpoint time) it goes on.
 */

/** One pre-copy round as timed by the source (ms on one clock, `performance.now()`). */
export interface RoundTiming {
  /** when the copy was asked of the worker */
  askedAt: number
  /** when its delta arrived */
  copiedAt: number
  /** when its chunks were all sent (the target answered) */
  sentAt: number
  /** the delta's chunk bytes (what the task changed since the round before) */
  deltaBytes: number
  /** the bytes that went out */
  sentBytes: number
}

export class DowntimeBudget {
  private last: Pick<RoundTiming, 'askedAt' | 'copiedAt' | 'deltaBytes'> | undefined
  private sendMs = 0
  private sentTotal = 0
  private rate: number | undefined

  /**
   * `budgetMs`: the pause's delta's share of the downtime (the worker's copy and the chunks sent);
   * `since`: when the checkpoint the move starts from was taken (the first round's delta is what
   * changed since), if known
   */
  constructor (readonly budgetMs: number, private readonly since?: number) {}

  /** Records a round (`copied`, then its chunks as one `sent`). */
  round (t: RoundTiming): void {
    this.copied(t)
    this.sent(t.sentBytes, t.sentAt - t.copiedAt)
  }

  /**
   * Records a round's delta as it arrives, before its chunks go out: the task's dirty rate is
   * known from then on (what auto-converge needs during the round: `throttleFor`).
   */
  copied (t: Pick<RoundTiming, 'askedAt' | 'copiedAt' | 'deltaBytes'>): void {
    const from = this.last?.askedAt ?? this.since
    if (from != null && t.askedAt > from) this.rate = t.deltaBytes / (t.askedAt - from)
    this.last = t
  }

  /** Records chunks sent: `bytes` that took `ms` (a round's, or one batch of it). */
  sent (bytes: number, ms: number): void {
    if (bytes > 0 && ms > 0) { this.sendMs += ms; this.sentTotal += bytes }
  }

  /** the task's dirty rate the last delta showed (bytes per ms), once known */
  get dirtyRate (): number | undefined { return this.rate }

  /** the chunk path's bytes per ms so far (undefined before a round sent anything) */
  get throughput (): number | undefined {
    return this.sentTotal > 0 && this.sendMs > 0 ? this.sentTotal / this.sendMs : undefined
  }

  /** The bytes the pause's delta would carry if asked at `now`, when a rate is known. */
  predicted (now: number): number | undefined {
    if (this.last == null || this.rate == null) return undefined
    return this.rate * Math.max(0, now - this.last.askedAt)
  }

  /** The largest delta the budget allows now (bytes), when the throughput is known. */
  allowed (): number | undefined {
    const tp = this.throughput
    if (tp == null || this.last == null) return undefined
    return Math.max(0, this.budgetMs - (this.last.copiedAt - this.last.askedAt)) * tp
  }

  /** Whether the pause's delta, asked at `now`, is predicted to fit the budget. */
  fits (now: number): boolean {
    if (this.budgetMs <= 0) return false
    const p = this.predicted(now)
    const a = this.allowed()
    return p != null && a != null && p <= a
  }

  /**
   * Auto-converge from the first round (session 17): the throttle (% of the task's time slept,
   * 0–`maxPct`) at which each round is about `ratio` of the one before — the task dirtying
   * `ratio` × the chunk path's throughput — given that `currentPct` is in force (the rate measured
   * under it is scaled back to the task's full speed). 0 while the path keeps up unthrottled, or
   * before a rate and a throughput are known. Over a link slower than the dirty rate (100 Mbit/s
   * against the bench task's ~13–20 MB/s) a pre-copy that waits for a round not to shrink has
   * already sent that round twice; this sets the throttle while the first round is still going out.
   */
  throttleFor (ratio: number, currentPct = 0, maxPct = 95): number {
    const tp = this.throughput
    if (this.rate == null || tp == null || this.rate <= 0 || !(ratio > 0)) return 0
    const full = this.rate / Math.max(0.01, 1 - currentPct / 100)
    const pct = Math.ceil(100 * (1 - ratio * tp / full))
    return Math.min(maxPct, Math.max(0, pct))
  }
}
