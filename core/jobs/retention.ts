/**
 * Which blobs the jobs layer pins in a peer's blob store, and which it lets go first
 * (core/blobs/eviction.ts's `BlobRetention`), read off the committed job state:
 *
 * - **pinned** (never evicted): the module and every input (stdin) of a job that is still active,
 *   the outputs already reported for its tasks (the majority vote and the submitter still need
 *   them) and its tasks' last checkpoints (live migration resumes from them);
 * - **class 1** (evicted last): the agreed outputs of finished jobs (a result may exist nowhere
 *   else until someone fetches it; it goes only when nothing cheaper is left);
 * - **class 0** (evicted first, least recently used first): everything else: modules and inputs of
 *   finished or cancelled jobs, losing outputs, blobs no job refers to.
 */
import { PINNED, type BlobRetention } from '../blobs/eviction.ts'
import type { JobsState } from './state.ts'

export function jobBlobRetention (state: () => JobsState | undefined): BlobRetention {
  return () => {
    const classes = new Map<string, number>()
    const set = (id: string | undefined, cls: number): void => {
      if (id != null && (classes.get(id) ?? -1) < cls) classes.set(id, cls)
    }
    for (const job of state()?.jobs.values() ?? []) {
      if (job.status === 'active') {
        set(job.spec.module, PINNED)
        set(job.spec.common?.stdin, PINNED)
        for (const t of job.spec.tasks ?? []) set(t.stdin, PINNED)
        for (const t of job.tasks) {
          for (const s of t.slots) { set(s.result?.output, PINNED); set(s.checkpoint?.snapshot, PINNED) }
          set(t.output, PINNED)
        }
      } else {
        for (const t of job.tasks) set(t.output, 1)
      }
    }
    return id => classes.get(id) ?? 0
  }
}
