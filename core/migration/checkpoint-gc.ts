/**
 * Which checkpoint blobs a peer may forget (issue 20): a pure bookkeeping of the checkpoint blobs
 * this peer holds per task slot — as the holder that took them, as the keeper another peer asked,
 * or as the claimer that fetched one to resume — fed the jobs state machine's events in commit
 * order, answering the blob ids to drop. The service (service.ts) drops them from the blob store.
 *
 * A blob is dropped once it is *superseded*: a newer checkpoint of the same slot committed and
 * this blob is one the ledger recorded earlier, or one this peer stored before the committed one
 * (a checkpoint kept but never recorded). A blob stored after the committed one is left alone: a
 * keeper whose ledger lags may already hold the next checkpoint before it applies this one. Every
 * blob of a slot is dropped when the slot reports its result, and every blob of a job when the job
 * finishes or is cancelled (or of a task when it fails).
 */
import type { JobEvent } from '../jobs/state.ts'

type Slot = { job: string, task: number, replica: number }
const slotKey = (s: Slot): string => `${s.job}/${s.task}/${s.replica}`

export class CheckpointHoldings {
  /** slot → the blob ids held, in the order they were stored */
  private readonly held = new Map<string, string[]>()
  /** slot → every snapshot the ledger recorded for it */
  private readonly recorded = new Map<string, Set<string>>()

  /** this peer now holds checkpoint blob `id` of `slot` */
  add (slot: Slot, id: string): void {
    const k = slotKey(slot)
    const list = this.held.get(k) ?? []
    if (!list.includes(id)) list.push(id)
    this.held.set(k, list)
  }

  /** whether blob `id` is held for some slot */
  has (id: string): boolean {
    for (const ids of this.held.values()) if (ids.includes(id)) return true
    return false
  }

  /** blob ids held, per slot (for reports and tests) */
  get holding (): Record<string, string[]> { return Object.fromEntries(this.held) }

  /** the blob ids to drop after these events */
  apply (events: JobEvent[]): string[] {
    const drop: string[] = []
    const dropWhere = (match: (key: string) => boolean): void => {
      for (const [k, ids] of this.held) if (match(k)) { drop.push(...ids); this.held.delete(k) }
      for (const k of [...this.recorded.keys()]) if (match(k)) this.recorded.delete(k)
    }
    for (const e of events) {
      if (e.type === 'checkpointed') {
        const k = slotKey(e)
        const rec = this.recorded.get(k) ?? new Set<string>()
        const ids = this.held.get(k) ?? []
        const at = ids.indexOf(e.snapshot)
        const keep = ids.filter((id, i) => id === e.snapshot || (!rec.has(id) && (at < 0 || i > at)))
        drop.push(...ids.filter(id => !keep.includes(id)))
        if (keep.length > 0) this.held.set(k, keep)
        else this.held.delete(k)
        rec.add(e.snapshot)
        this.recorded.set(k, rec)
      } else if (e.type === 'reported') {
        const k = slotKey(e)
        dropWhere(x => x === k)
      } else if (e.type === 'failed') {
        dropWhere(x => x.startsWith(`${e.job}/${e.task}/`))
      } else if (e.type === 'finished' || e.type === 'cancelled') {
        dropWhere(x => x.startsWith(`${e.job}/`))
      }
    }
    return [...new Set(drop)]
  }
}
