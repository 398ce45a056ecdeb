/**
 * The poll loop of a `LiveLearning` (service.ts): one `tick` every `pollMs`, never two at once.
 * `now()` runs a tick at once instead of at the next poll (after the one running, if any): a
 * learner whose `start` names a base it does not hold reads the ledger at once (participant.ts
 * `needBase`), where it waited up to a poll before. It records, for the coordinator's turn
 * (coordinator.ts), how late the poll timer fired (this peer's event loop busy, e.g. training)
 * and how long a tick ran.
 */
import { errorText } from '../errors.ts'

export interface PollLoopDeps {
  pollMs: number
  now: () => number
  log: (m: string) => void
  running: () => boolean
  tick: () => Promise<void>
  /** how late the poll timer fired, in ms */
  lagged: (ms: number) => void
  /** how long a tick ran, in ms */
  ticked: (ms: number) => void
}

export class PollLoop {
  private timer: ReturnType<typeof setTimeout> | undefined
  private ticking = false
  /** a `now()` came while a tick ran: run the next one at once */
  private again = false

  constructor (private readonly d: PollLoopDeps) {}

  /** The next tick in `pollMs`. */
  schedule (): void {
    if (!this.d.running()) return
    const due = this.d.now() + this.d.pollMs
    this.timer = setTimeout(() => {
      this.d.lagged(Math.round(this.d.now() - due))
      this.run()
    }, this.d.pollMs)
  }

  /** A tick now, or right after the one running. */
  now (): void {
    if (!this.d.running()) return
    if (this.ticking) { this.again = true; return }
    this.run()
  }

  stop (): void { clearTimeout(this.timer) }

  private run (): void {
    if (this.ticking) { this.schedule(); return }
    clearTimeout(this.timer)
    this.ticking = true
    const t0 = this.d.now()
    this.d.tick().catch(err => { this.d.log(`tick failed: ${errorText(err)}`) }).finally(() => {
      this.d.ticked(Math.round(this.d.now() - t0))
      this.ticking = false
      if (this.again) { this.again = false; this.run() } else this.schedule()
    })
  }
}
