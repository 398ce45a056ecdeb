/**
 * A discrete-event clock for ledger tests (a `Clock`, core/ledger/live-replica.ts): time moves only
 * in `runUntil`, from one due timer to the next, in order (equal times in the order they were
 * set), and pending promise callbacks settle between two timers, so an async `receive` finishes
 * before the next frame arrives. Deterministic: no wall time, no randomness.
 */
import type { Clock } from '../../core/ledger/live-replica.ts'

export class EventClock implements Clock {
  private t = 0
  private seq = 0
  private readonly timers = new Map<number, { at: number, seq: number, fn: () => void }>()

  now = (): number => this.t
  setTimeout = (fn: () => void, ms: number): unknown => {
    const h = ++this.seq
    this.timers.set(h, { at: this.t + Math.max(0, ms), seq: h, fn })
    return h
  }

  clearTimeout = (h: unknown): void => { this.timers.delete(h as number) }

  /** Runs every timer due up to `end` (ms), in order, and leaves the clock at `end`. */
  async runUntil (end: number): Promise<void> {
    for (;;) {
      await settle()
      let next: [number, { at: number, seq: number, fn: () => void }] | undefined
      for (const e of this.timers) if (next == null || e[1].at < next[1].at || (e[1].at === next[1].at && e[1].seq < next[1].seq)) next = e
      if (next == null || next[1].at > end) break
      this.timers.delete(next[0])
      this.t = next[1].at
      next[1].fn()
    }
    this.t = Math.max(this.t, end)
  }

  /** Advances time (`stepMs` at a time) until `cond` holds; throws once `ms` of it passed. */
  async until (cond: () => boolean, ms: number, message: string | (() => string), stepMs = 50): Promise<void> {
    const end = this.t + ms
    while (!cond()) {
      if (this.t >= end) throw new Error(`${ms} virtual ms passed waiting for ${typeof message === 'string' ? message : message()}`)
      await this.runUntil(this.t + stepMs)
    }
  }

  /** Advances time until `p` settles (at most `ms` of it), and returns its value or throws its error. */
  async settled<T> (p: Promise<T>, ms = 30_000): Promise<T> {
    let out: { ok: true, value: T } | { ok: false, error: unknown } | undefined
    p.then(value => { out = { ok: true, value } }, (error: unknown) => { out = { ok: false, error } })
    await this.until(() => out != null, ms, 'a promise to settle')
    if (out == null || !out.ok) throw (out as { error: unknown } | undefined)?.error
    return out.value
  }
}

/** Lets pending promise callbacks (and the ones they queue) run. */
async function settle (): Promise<void> { for (let i = 0; i < 4; i++) await new Promise<void>(resolve => { setImmediate(resolve) }) }
