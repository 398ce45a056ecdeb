/**
 * The ledger's view-timeout policy (a pacemaker, as PBFT, Tendermint and HotStuff have one): the
 * tick length the engine runs on is the measured base tick (`tickLength`, live-replica.ts) times a
 * backoff factor, so the view timeout (24 ticks at view 0) follows the factor.
 *
 * - Every view change (a view that ended without a decision) doubles the factor, up to
 *   MAX_VIEW_BACKOFF (and the paced tick stops at MAX_PACED_TICK_MS): under load a decision that
 *   takes longer than the base timeout gets a longer one at the next view and the next slot, instead of views changing before anything decides
 *   (the engine's own 2^min(v,3) per view starts again at view 0 of every slot).
 * - Every decision halves it, down to a floor derived from the measured decision durations: the
 *   factor at which the view-0 timeout is DECISION_MARGIN × the p90 of recent decisions (and never
 *   below 1). So once entries decide again the timeout shrinks back towards what decisions take,
 *   not further (that would change views again); and a decision that shows the floor above the
 *   factor raises it to the floor at once (the base tick's own decision term stops at its cap).
 *
 * The replica state machine (core/consensus) is unchanged: this only decides how long a tick is.
 * Deterministic: driven by events and the numbers it is given, no clock of its own.
 */

/** the factor's cap */
export const MAX_VIEW_BACKOFF = 16
/**
 * The paced tick's cap, ms (unless the base tick is longer): a view-0 timeout of at most 9.6 s, so
 * a view whose leader is gone is still abandoned within the 30 s an entry's submit waits
 */
export const MAX_PACED_TICK_MS = 400
/** the view-0 timeout the floor aims at, in p90 decision durations */
export const DECISION_MARGIN = 3
/** view-0 timeout of the engine, in ticks (replica-core.ts `viewTimeout` default) */
export const VIEW0_TICKS = 24

export interface ViewPacerStats { factor: number, grown: number, shrunk: number }

export class ViewPacer {
  private f = 1
  readonly stats: ViewPacerStats = { factor: 1, grown: 0, shrunk: 0 }

  constructor (private readonly max = MAX_VIEW_BACKOFF) {}

  get factor (): number { return this.f }

  /** `count` views ended without a decision: double the factor per view, capped. */
  viewChanged (count = 1): void {
    for (let i = 0; i < count && this.f < this.max; i++) { this.f = Math.min(this.max, this.f * 2); this.stats.grown++ }
    this.stats.factor = this.f
  }

  /**
   * A slot decided: halve the factor, not below the floor that keeps the view-0 timeout at
   * DECISION_MARGIN × p90 of `recentDecideMs` with `baseTickMs` (raised to that floor if below).
   */
  decided (baseTickMs: number, recentDecideMs: readonly number[]): void {
    const next = Math.max(this.floor(baseTickMs, recentDecideMs), this.f / 2)
    if (next < this.f) this.stats.shrunk++
    this.f = next
    this.stats.factor = this.f
  }

  /** The factor at which VIEW0_TICKS ticks of `baseTickMs` are DECISION_MARGIN × p90 of the decisions, in [1, max]. */
  floor (baseTickMs: number, recentDecideMs: readonly number[]): number {
    if (recentDecideMs.length === 0 || !(baseTickMs > 0)) return 1
    const s = [...recentDecideMs].sort((a, b) => a - b)
    const p90 = s[Math.min(s.length - 1, Math.floor(0.9 * s.length))]
    return Math.min(this.max, Math.max(1, (DECISION_MARGIN * p90) / (VIEW0_TICKS * baseTickMs)))
  }

  /** The tick the engine runs on: the base tick times the factor (whole ms), at most MAX_PACED_TICK_MS or the base tick. */
  tickMs (baseTickMs: number): number { return Math.max(1, Math.round(Math.min(baseTickMs * this.f, Math.max(baseTickMs, MAX_PACED_TICK_MS)))) }
}
