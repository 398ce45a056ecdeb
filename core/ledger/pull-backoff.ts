/**
 * How often an idle `LedgerNode` runs its periodic sync pull (ledger-node.ts `maintain`).
 *
 * The pull is a safety net for gossip a peer missed; each one opens a new stream (over WebRTC, a new
 * data channel) to learn, on an idle mesh, that nothing is missing. So while pulls keep finding
 * nothing, the interval doubles from `baseMs` up to `maxMs`; any sign that something may be
 * missing puts it back to `baseMs` at once (`gap`): our height changed (a commit, a new epoch), a
 * gossiped record or a frame from a later epoch showed we lag, a peer said it holds more than we do,
 * a pull went unanswered, or we are not synced yet. Those signs that point at a peer also pull from
 * it straight away (sync-pull.ts, inbound.ts), so the back-off never delays a catch-up that a peer
 * made visible; it only spaces out the pulls that find nothing.
 */
export class PullBackoff {
  private ms: number
  /** the height this back-off last saw: a change is a `gap` (see `seeHeight`) */
  private height = Number.NaN

  constructor (private readonly baseMs: number, private readonly maxMs: number) {
    if (!(baseMs > 0)) throw new RangeError(`syncIntervalMs must be > 0 (got ${baseMs})`)
    if (!(maxMs >= baseMs)) throw new RangeError(`syncMaxIntervalMs must be ≥ syncIntervalMs (${baseMs}; got ${maxMs})`)
    this.ms = baseMs
  }

  /** the interval until the next periodic pull, ms */
  get intervalMs (): number { return this.ms }

  /** A periodic pull was started (nothing showed a gap since the last one): the next one waits twice as long, up to the bound. */
  pulled (): void { this.ms = Math.min(this.maxMs, this.ms * 2) }

  /** Something may be missing: the next periodic pull comes after the base interval. */
  gap (): void { this.ms = this.baseMs }

  /** Our chain's height now (−1 without one): a change since the last call is a `gap`. */
  seeHeight (height: number): void {
    if (height !== this.height) { this.height = height; this.gap() }
  }
}
