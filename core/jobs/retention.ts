/**
 * Which blobs the jobs layer pins in a peer's blob store, and which it lets go first
 * (core/blobs/eviction.ts's `BlobRetention`), read off the committed job state:
 *
 * - **pinned** (never evicted): the module and every input (stdin) of a job that is still active,
 *   the outputs already reported for its tasks (the majority vote and the submitter still need
 *   them) and its tasks' last checkpoints (live migration resumes from them); and, once the job
 *   ended, an agreed output **that fewer than `minHolders` peers hold** (its winners: with one
 *   replica, the one worker that computed it) **while the submitter has not recorded fetching
 *   it** (`job.fetched`, which `novacron job result` and the page's result view commit) **and the
 *   job's retention period has not passed** (`retainMs` of its submission, default 7 days, from
 *   the end of the job): nothing else on the mesh may hold that result, and eviction would lose it;
 * - **class 1** (evicted last): the other agreed outputs of ended jobs (held by several peers,
 *   fetched by the submitter, or kept past the retention period);
 * - **class 0** (evicted first, least recently used first): everything else: modules and inputs of
 *   finished or cancelled jobs, losing outputs, blobs no job refers to.
 *
 * The retention period bounds what a submitter that never comes back can pin: the peer then
 * judges at the later of the ledger clock and its own wall clock (an idle mesh does not move
 * the ledger clock).
 *
 * **Until the ledger caught up after start** (`caughtUp`: the ledger's `synced`), a blob no job
 * this peer knows of names is **pinned** instead of class 0: a peer restarted without its stored
 * ledger (a Node peer without `--data-dir` keeps its blobs in the default dir but not its ledger)
 * knows no old job until it synced them, and one of its blobs may be the unfetched single-copy
 * result of such a job. Blobs that known jobs name keep their class: what the log says of a job it
 * holds only ever gets less pinned later (a fetch, the retention's end). While it catches up, a
 * full store therefore refuses new blobs (`BlobStoreFullError`) rather than evict an unknown one.
 */
import { PINNED, type BlobRetention } from '../blobs/eviction.ts'
import type { JobsState, JobState } from './state.ts'

/** How long after its job ended an unfetched single-copy result stays pinned, unless the submission says. */
export const DEFAULT_RESULT_RETAIN_MS = 7 * 86_400_000

export interface JobRetentionInit {
  /** an ended job's unfetched result held by fewer peers than this is pinned @default 2 */
  minHolders?: number
  /** the wall clock @default Date.now */
  now?: () => number
  /**
   * whether the ledger caught up since this peer started (the ledger's `synced`); until then a
   * blob no known job names is pinned @default always caught up
   */
  caughtUp?: () => boolean
}

/** When an ended job's unfetched results stop being pinned; undefined while it runs, once fetched, or with `retainMs` 0. */
export function resultsPinnedUntil (job: JobState): number | undefined {
  if (job.status === 'active' || job.fetchedAt != null) return undefined
  const retainMs = job.spec.retainMs ?? DEFAULT_RESULT_RETAIN_MS
  return retainMs > 0 ? (job.endedAt ?? job.submittedAt) + retainMs : undefined
}

/** Tasks of `job` whose agreed output is pinned at `now` as an unfetched result held by too few peers. */
export function pinnedResults (job: JobState, now: number, minHolders = 2): number[] {
  const until = resultsPinnedUntil(job)
  if (until == null || now >= until) return []
  return job.tasks.filter(t => t.output != null && (t.winners?.length ?? 0) < minHolders).map(t => t.index)
}

export function jobBlobRetention (state: () => JobsState | undefined, init: JobRetentionInit = {}): BlobRetention {
  const minHolders = init.minHolders ?? 2
  const wall = init.now ?? Date.now
  const caughtUp = init.caughtUp ?? (() => true)
  return () => {
    const classes = new Map<string, number>()
    const set = (id: string | undefined, cls: number): void => {
      if (id != null && (classes.get(id) ?? -1) < cls) classes.set(id, cls)
    }
    const st = state()
    const now = Math.max(st?.clock.now ?? 0, wall())
    for (const job of st?.jobs.values() ?? []) {
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
        for (const i of pinnedResults(job, now, minHolders)) set(job.tasks[i].output, PINNED)
      }
    }
    // not caught up: a blob no known job names may belong to a job this peer has not synced yet
    const unknown = caughtUp() ? 0 : PINNED
    return id => classes.get(id) ?? unknown
  }
}
