/**
 * Which claims a worker should submit: a pure, deterministic planner over `JobsState`, run by each
 * worker for itself. Workers pull: a peer with F free slots of its advertised capacity (cores − 1
 * in Node, 1–2 in a tab) asks for at most F claims, so busy peers take no new work and peers with
 * free capacity get it. Between jobs it is fair: each next claim goes to the active job with the
 * fewest live leases (counting the ones already planned), ties to the job served least so far,
 * then the older one — two jobs submitted together get equal shares of the workers. Within a job,
 * one of the lowest open tasks (each worker starts at its own offset among the lowest 8, so workers
 * do not all race for the same slot) and a free replica slot this worker may take (distinct peers
 * per task).
 *
 * The ledger, not the planner, decides: two workers may plan the same slot; the second claim to
 * commit is refused and that worker plans again.
 */
import type { JobsState, JobState } from './state.ts'

export interface PlannedClaim { job: string, task: number, replica: number }

/**
 * Up to `free` claims for `worker`, fair between the active jobs. `now` is when leases are judged
 * live (default: the ledger clock); a worker passes its wall clock, so a lease of a dead peer that
 * expired in real time is claimed even while no other entry moves the ledger clock on.
 */
export function planClaims (state: JobsState, worker: string, free: number, now = state.clock.now): PlannedClaim[] {
  const out: PlannedClaim[] = []
  const active = [...state.jobs.values()].filter(j => j.status === 'active')
  const load = new Map(active.map(j => [j.id, state.running(j)]))
  // ties go to the job served least so far (settled + running), then to the older one: without
  // this, every tie going to the older job gives it a steady extra share (5:4 of 9 slots)
  const served = new Map(active.map(j => [j.id, j.settled + (load.get(j.id) ?? 0)]))
  const before = (a: JobState, b: JobState): boolean => {
    const la = load.get(a.id) ?? 0
    const lb = load.get(b.id) ?? 0
    if (la !== lb) return la < lb
    return (served.get(a.id) ?? 0) < (served.get(b.id) ?? 0)
  }
  const taken = new Set<string>()
  const exhausted = new Set<string>()
  while (out.length < free) {
    let best: JobState | undefined
    for (const j of active) {
      if (exhausted.has(j.id)) continue
      if (best == null || before(j, best)) best = j
    }
    if (best == null) break
    const pick = nextSlot(state, best, worker, taken, now)
    if (pick == null) { exhausted.add(best.id); continue }
    taken.add(`${pick.job}/${pick.task}`)
    out.push(pick)
    load.set(best.id, (load.get(best.id) ?? 0) + 1)
    served.set(best.id, (served.get(best.id) ?? 0) + 1)
  }
  return out
}

/** A small per-worker number (FNV-1a of its id): where it starts looking, so workers spread out. */
function spreadOf (worker: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < worker.length; i++) h = Math.imul(h ^ worker.charCodeAt(i), 0x01000193) >>> 0
  return h
}

/** How many of the lowest open tasks workers spread over (lower tasks still go first, roughly). */
const SPREAD_WINDOW = 8

function nextSlot (state: JobsState, job: JobState, worker: string, taken: Set<string>, now: number): PlannedClaim | undefined {
  // workers that all take the lowest free slot collide and all but one claim is refused (a wasted
  // ledger round each): each worker starts at its own offset among the lowest open tasks, and at
  // its own replica slot
  const open = job.tasks.filter(t => t.status === 'open' && !taken.has(`${job.id}/${t.index}`))
  if (open.length === 0) return undefined
  const spread = spreadOf(worker)
  const start = spread % Math.min(open.length, SPREAD_WINDOW)
  for (let k = 0; k < open.length; k++) {
    const task = open[(start + k) % open.length]
    if (task.slots.some(s => state.live(s.lease, now) && s.lease.worker === worker)) continue // already ours: not again
    for (let j = 0; j < task.slots.length; j++) {
      const r = (spread + j) % task.slots.length
      if (state.claimable(task, r, worker, now) == null) return { job: job.id, task: task.index, replica: r }
    }
  }
  return undefined
}
