/**
 * Workers made ready ahead for tasks arriving here (a migration's target): when an offer is
 * accepted, the task's worker is started at once and makes its instance, its memory grown to the
 * size the offer announced and faulted in (core/jobs/runner.ts `warm`), while the chunks come in;
 * when the handover commits, the run takes that worker and copies the snapshot into warm pages.
 * Measured here: a fresh 256 MiB instance memory costs ~1.7 s of page faults to fill, a warm one
 * ~40 ms.
 *
 * Bounded: at most `max` at once (each holds up to its job's memory cap); one per slot (a new
 * offer for the slot replaces it); each is released when a run takes it, or `ttlMs` after it was
 * made (a migration that failed, a handover that never came).
 */
import type { WarmSpec, WarmWorker } from '../jobs/runner.ts'

export interface WarmArrivalsInit {
  /** warm workers held at once @default 2 */
  max?: number
  /** a warm worker no run took is released after this long @default 120000 */
  ttlMs?: number
}

interface Held { worker: WarmWorker, timer: ReturnType<typeof setTimeout> }

export class WarmArrivals {
  private readonly held = new Map<string, Held>()
  /** workers made, runs that took one, ones released unused */
  readonly stats = { made: 0, taken: 0, expired: 0 }

  constructor (private readonly warm: (spec: WarmSpec) => WarmWorker | undefined, private readonly init: WarmArrivalsInit = {}) {}

  /** Makes a worker ready for slot `key` (replacing one held for it), unless `max` are held; the worker made. */
  add (key: string, spec: WarmSpec): WarmWorker | undefined {
    this.release(key)
    if (this.held.size >= (this.init.max ?? 2) || spec.memoryBytes <= 0) return undefined
    const worker = this.warm(spec)
    if (worker == null) return undefined
    const timer = setTimeout(() => { if (this.release(key)) this.stats.expired++ }, this.init.ttlMs ?? 120_000)
    this.held.set(key, { worker, timer })
    this.stats.made++
    return worker
  }

  /** Whether `worker` is the one held for `key` now (not taken, released or dead). */
  holds (key: string, worker: WarmWorker): boolean {
    const h = this.held.get(key)
    return h != null && h.worker === worker && !worker.spent
  }

  /** The worker held for `key`, given up here (the caller's run takes it or it is released), if any. */
  take (key: string): WarmWorker | undefined {
    const h = this.held.get(key)
    if (h == null) return undefined
    clearTimeout(h.timer)
    this.held.delete(key)
    if (h.worker.spent) return undefined
    this.stats.taken++
    return h.worker
  }

  /** Releases the worker held for `key`; whether there was one. */
  release (key: string): boolean {
    const w = this.take(key)
    if (w == null) return false
    this.stats.taken--
    w.release()
    return true
  }

  /** Releases them all. */
  stop (): void {
    for (const key of [...this.held.keys()]) this.release(key)
  }
}
