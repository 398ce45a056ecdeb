/**
 * The job and claim state machine: a pure apply function over committed ledger entries
 * (`job.submit | job.claim | job.renew | job.result | job.cancel | job.fetched`, entries.ts), so every peer that
 * applies the same log computes the same jobs, leases, results and losers. No I/O, no wall clock:
 * time is the ledger clock (clock.ts) fed by the entries' stamps.
 *
 * Rules (BOINC's redundancy and reissue, etcd/Consul's leases and fencing):
 * - A task has `replicas` K replica slots. A claim takes one free slot as a lease with the job's
 *   TTL and a fencing token (epoch = the slot's claim generation, slot = the ledger slot of the
 *   claim). A slot is free when it has no result and no lease, or its lease expired on the ledger
 *   clock. The K replicas of a task are K distinct peers; a peer holds at most its advertised
 *   capacity of live leases.
 * - Renewal (holder, current token) extends the lease; a result is accepted only under the slot's
 *   current token from its holder — a zombie's late result, after its slot was claimed again,
 *   is refused.
 * - A task is decided when ⌊K/2⌋+1 results agree on the output hash; workers that reported another
 *   hash are recorded as losers. When every slot has reported and no hash has that many votes,
 *   one more slot is drawn, up to the job's `maxReplicas`; then the task fails.
 * - A handover (live migration) by the holder under its current token moves the live lease to
 *   another distinct peer with a new token (generation + 1, the handover's ledger slot) and a fresh
 *   TTL: from then on the old holder is fenced exactly as after a reclaim.
 * - A checkpoint by the holder under its current token records where the run's last snapshot is
 *   kept; it outlives a reclaim (the next holder resumes from it) and is dropped with the result.
 * - A job ends when every task settled or its submitter cancels it (`endedAt`, ledger clock); once
 *   it ended, its submitter may record that it fetched the results (`job.fetched`, `fetchedAt`):
 *   what their holders may evict then is retention.ts's business.
 * Every refused entry is refused alike on every peer (the reason is returned and counted).
 */
import { LedgerClock } from './clock.ts'
import { decodeJobEntry, ENTRY_LIMITS, InvalidJobEntryError, type CheckpointEntry, type ClaimEntry, type HandoverEntry, type ResultEntry, type SubmitEntry, type Token } from './entries.ts'

/** One committed ledger entry as the jobs layer sees it. */
export interface LogEntry {
  slot: number
  index: number
  author: string
  kind: string
  data: Uint8Array
}

export interface Lease { worker: string, token: Token, expiresAt: number }
export interface ReplicaSlot {
  generation: number
  lease?: Lease
  result?: { worker: string, output: string, token: Token }
  /** the last checkpoint of a run of this slot (live migration): the next holder resumes from it */
  checkpoint?: { snapshot: string, keeper: string, by: string }
}
export interface TaskState {
  index: number
  slots: ReplicaSlot[]
  status: 'open' | 'done' | 'failed'
  /** the agreed output hash, when done */
  output?: string
  /** workers whose result matched the agreed output */
  winners?: string[]
}
export interface JobState {
  id: string
  author: string
  spec: SubmitEntry
  status: 'active' | 'done' | 'cancelled'
  tasks: TaskState[]
  settled: number
  submittedAt: number
  /** the ledger clock when the job finished (every task settled) or was cancelled */
  endedAt?: number
  /** the ledger clock when its submitter recorded fetching its results (`job.fetched`) */
  fetchedAt?: number
}
export interface Loser { job: string, task: number, worker: string, output: string, agreed: string }

export type JobEvent =
  | { type: 'submitted', job: string, tasks: number }
  | { type: 'claimed', job: string, task: number, replica: number, worker: string, token: Token, reassignedFrom?: string }
  | { type: 'renewed', job: string, task: number, replica: number, expiresAt: number }
  | { type: 'reported', job: string, task: number, replica: number, worker: string, output: string }
  | { type: 'decided', job: string, task: number, output: string, winners: string[], losers: string[] }
  | { type: 'drawn', job: string, task: number, replicas: number }
  | { type: 'failed', job: string, task: number, reason: string }
  | { type: 'finished', job: string }
  | { type: 'cancelled', job: string }
  | { type: 'fetched', job: string }
  | { type: 'checkpointed', job: string, task: number, replica: number, snapshot: string, keeper: string }
  | { type: 'handedOver', job: string, task: number, replica: number, from: string, to: string, token: Token, snapshot: string }

export type ApplyResult = { applied: true, events: JobEvent[] } | { applied: false, refusal: string }

const refuse = (refusal: string): ApplyResult => ({ applied: false, refusal })

export class JobsState {
  readonly clock: LedgerClock
  readonly jobs = new Map<string, JobState>()
  readonly losers: Loser[] = []
  /** refused entries by reason (the text before the first colon) */
  readonly refusals = new Map<string, number>()
  /** live-or-expired leases each worker holds (key `job/task/replica`) */
  private readonly held = new Map<string, Set<string>>()

  constructor (clock = new LedgerClock()) {
    this.clock = clock
  }

  /** Applies one committed entry. Never throws on bad data: a malformed entry is a refusal. */
  apply (e: LogEntry): ApplyResult {
    let result: ApplyResult
    try {
      const entry = decodeJobEntry(e.kind, e.data)
      this.clock.observe(entry.body.at)
      switch (entry.kind) {
        case 'job.submit': result = this.submit(e, entry.body); break
        case 'job.claim': result = this.claim(e, entry.body); break
        case 'job.renew': result = this.renew(e.author, entry.body); break
        case 'job.result': result = this.result(e.author, entry.body); break
        case 'job.handover': result = this.handover(e, entry.body); break
        case 'job.checkpoint': result = this.checkpoint(e.author, entry.body); break
        case 'job.fetched': result = this.fetched(e.author, entry.body.job); break
        default: result = this.cancel(e.author, entry.body.job)
      }
    } catch (err) {
      if (!(err instanceof InvalidJobEntryError)) throw err
      result = refuse(`malformed: ${err.message}`)
    }
    if (!result.applied) {
      const reason = result.refusal.split(':')[0]
      this.refusals.set(reason, (this.refusals.get(reason) ?? 0) + 1)
    }
    return result
  }

  /**
   * True when `lease` is still live on the ledger clock (or at `now`: a worker planning a claim
   * asks at its own wall clock, since its claim's stamp is what moves the ledger clock on).
   */
  live (lease: Lease | undefined, now = this.clock.now): lease is Lease {
    return lease != null && now < lease.expiresAt
  }

  /** Live leases `worker` holds now. */
  liveLeases (worker: string): number {
    let n = 0
    for (const key of this.held.get(worker) ?? []) {
      const [job, task, replica] = key.split('/')
      if (this.live(this.jobs.get(job)?.tasks[Number(task)]?.slots[Number(replica)]?.lease)) n++
    }
    return n
  }

  /** Live leases of a job (for fair scheduling and status). */
  running (job: JobState): number {
    let n = 0
    for (const t of job.tasks) if (t.status === 'open') for (const s of t.slots) if (this.live(s.lease)) n++
    return n
  }

  /** Can `worker` take replica slot `r` of `task` now? (the claim rule, shared with the planner) */
  claimable (task: TaskState, r: number, worker: string, now = this.clock.now): string | undefined {
    if (task.status !== 'open') return 'task settled: it is already decided or failed'
    const slot = task.slots[r]
    if (slot == null) return `no replica slot ${r}: the task has ${task.slots.length}`
    if (slot.result != null) return 'slot reported: it already has a result'
    if (this.live(slot.lease, now) && slot.lease.worker !== worker) return 'slot leased: its lease is live'
    for (const [i, other] of task.slots.entries()) {
      if (i !== r && (other.result?.worker === worker || (this.live(other.lease, now) && other.lease.worker === worker))) {
        return 'not distinct: this worker already runs or reported another replica of the task'
      }
    }
    return undefined
  }

  private submit (e: LogEntry, spec: SubmitEntry): ApplyResult {
    const id = `${e.slot}.${e.index}`
    if (this.jobs.has(id)) return refuse('duplicate: a job with this id exists')
    const count = spec.tasks?.length ?? spec.count ?? 0
    const tasks: TaskState[] = []
    for (let i = 0; i < count; i++) tasks.push({ index: i, slots: Array.from({ length: spec.replicas }, () => ({ generation: 0 })), status: 'open' })
    this.jobs.set(id, { id, author: e.author, spec, status: 'active', tasks, settled: 0, submittedAt: this.clock.now })
    return { applied: true, events: [{ type: 'submitted', job: id, tasks: count }] }
  }

  private target (b: { job: string, task: number }): { job: JobState, task: TaskState } | string {
    const job = this.jobs.get(b.job)
    if (job == null) return `unknown job: ${b.job}`
    if (job.status !== 'active') return `job ${job.status}: no more claims or results`
    const task = job.tasks[b.task]
    if (task == null) return `no such task: ${b.task} (the job has ${job.tasks.length})`
    return { job, task }
  }

  private claim (e: LogEntry, b: ClaimEntry): ApplyResult {
    const t = this.target(b)
    if (typeof t === 'string') return refuse(t)
    const why = this.claimable(t.task, b.replica, e.author)
    if (why != null) return refuse(why)
    const slot = t.task.slots[b.replica]
    const renewingOwn = this.live(slot.lease) && slot.lease.worker === e.author
    if (renewingOwn) return refuse('already held: renew the lease instead')
    if (this.liveLeases(e.author) >= Math.min(b.capacity, ENTRY_LIMITS.maxCapacity)) return refuse(`over capacity: the worker already holds ${b.capacity} live lease(s)`)
    const previous = slot.lease?.worker
    if (previous != null) this.held.get(previous)?.delete(`${b.job}/${b.task}/${b.replica}`)
    slot.generation++
    const token = { epoch: slot.generation, slot: e.slot }
    slot.lease = { worker: e.author, token, expiresAt: this.clock.now + t.job.spec.leaseTtlMs }
    let mine = this.held.get(e.author)
    if (mine == null) this.held.set(e.author, mine = new Set())
    mine.add(`${b.job}/${b.task}/${b.replica}`)
    const ev: JobEvent = { type: 'claimed', job: b.job, task: b.task, replica: b.replica, worker: e.author, token }
    if (previous != null) ev.reassignedFrom = previous
    return { applied: true, events: [ev] }
  }

  private current (author: string, b: { job: string, task: number, replica: number, token: Token }): { job: JobState, task: TaskState, slot: ReplicaSlot } | string {
    const t = this.target(b)
    if (typeof t === 'string') return t
    if (t.task.status !== 'open') return 'task settled: it is already decided or failed'
    const slot = t.task.slots[b.replica]
    if (slot?.lease == null || slot.lease.token.epoch !== b.token.epoch || slot.lease.token.slot !== b.token.slot) return 'stale token: the slot was claimed again or released'
    if (slot.lease.worker !== author) return 'not the holder: the lease belongs to another worker'
    return { ...t, slot }
  }

  private renew (author: string, b: { job: string, task: number, replica: number, token: Token }): ApplyResult {
    const c = this.current(author, b)
    if (typeof c === 'string') return refuse(c)
    const lease = c.slot.lease as Lease
    lease.expiresAt = this.clock.now + c.job.spec.leaseTtlMs
    return { applied: true, events: [{ type: 'renewed', job: b.job, task: b.task, replica: b.replica, expiresAt: lease.expiresAt }] }
  }

  private release (job: string, task: number, r: number, slot: ReplicaSlot): void {
    if (slot.lease != null) this.held.get(slot.lease.worker)?.delete(`${job}/${task}/${r}`)
    delete slot.lease
  }

  private result (author: string, b: ResultEntry): ApplyResult {
    const c = this.current(author, b)
    if (typeof c === 'string') return refuse(c)
    const { job, task, slot } = c
    slot.result = { worker: author, output: b.output, token: b.token }
    delete slot.checkpoint
    this.release(b.job, b.task, b.replica, slot)
    const events: JobEvent[] = [{ type: 'reported', job: b.job, task: b.task, replica: b.replica, worker: author, output: b.output }]
    const votes = new Map<string, string[]>()
    for (const s of task.slots) if (s.result != null) votes.set(s.result.output, [...(votes.get(s.result.output) ?? []), s.result.worker])
    const threshold = Math.floor(job.spec.replicas / 2) + 1
    const winner = [...votes.entries()].find(([, ws]) => ws.length >= threshold)
    if (winner != null) {
      const [output, winners] = winner
      const losers: string[] = []
      for (const [r, s] of task.slots.entries()) {
        if (s.result != null && s.result.output !== output) {
          losers.push(s.result.worker)
          this.losers.push({ job: b.job, task: b.task, worker: s.result.worker, output: s.result.output, agreed: output })
        }
        this.release(b.job, b.task, r, s)
      }
      task.status = 'done'
      task.output = output
      task.winners = winners
      events.push({ type: 'decided', job: b.job, task: b.task, output, winners, losers })
    } else if (task.slots.every(s => s.result != null)) {
      const max = job.spec.maxReplicas ?? Math.min(2 * job.spec.replicas + 1, ENTRY_LIMITS.maxReplicas)
      if (task.slots.length < max) {
        task.slots.push({ generation: 0 })
        events.push({ type: 'drawn', job: b.job, task: b.task, replicas: task.slots.length })
      } else {
        task.status = 'failed'
        events.push({ type: 'failed', job: b.job, task: b.task, reason: `no ${threshold} matching results among ${task.slots.length} replicas` })
      }
    }
    if (task.status !== 'open') {
      job.settled++
      if (job.settled === job.tasks.length) {
        job.status = 'done'
        job.endedAt = this.clock.now
        events.push({ type: 'finished', job: b.job })
      }
    }
    return { applied: true, events }
  }

  private checkpoint (author: string, b: CheckpointEntry): ApplyResult {
    const c = this.current(author, b)
    if (typeof c === 'string') return refuse(c)
    c.slot.checkpoint = { snapshot: b.snapshot, keeper: b.keeper, by: author }
    return { applied: true, events: [{ type: 'checkpointed', job: b.job, task: b.task, replica: b.replica, snapshot: b.snapshot, keeper: b.keeper }] }
  }

  private handover (e: LogEntry, b: HandoverEntry): ApplyResult {
    const c = this.current(e.author, b)
    if (typeof c === 'string') return refuse(c)
    if (!this.live(c.slot.lease)) return refuse('lease expired: an expired lease cannot be handed over')
    if (b.to === e.author) return refuse('handover to self: name another peer')
    for (const [i, other] of c.task.slots.entries()) {
      if (i !== b.replica && (other.result?.worker === b.to || (this.live(other.lease) && other.lease.worker === b.to))) {
        return refuse('not distinct: the new holder already runs or reported another replica of the task')
      }
    }
    const key = `${b.job}/${b.task}/${b.replica}`
    this.held.get(e.author)?.delete(key)
    c.slot.generation++
    const token = { epoch: c.slot.generation, slot: e.slot }
    c.slot.lease = { worker: b.to, token, expiresAt: this.clock.now + c.job.spec.leaseTtlMs }
    let theirs = this.held.get(b.to)
    if (theirs == null) this.held.set(b.to, theirs = new Set())
    theirs.add(key)
    return { applied: true, events: [{ type: 'handedOver', job: b.job, task: b.task, replica: b.replica, from: e.author, to: b.to, token, snapshot: b.snapshot }] }
  }

  private cancel (author: string, id: string): ApplyResult {
    const job = this.jobs.get(id)
    if (job == null) return refuse(`unknown job: ${id}`)
    if (job.author !== author) return refuse('not the submitter: only the job\'s author may cancel it')
    if (job.status !== 'active') return refuse(`job ${job.status}: nothing to cancel`)
    job.status = 'cancelled'
    job.endedAt = this.clock.now
    for (const t of job.tasks) for (const [r, s] of t.slots.entries()) this.release(id, t.index, r, s)
    return { applied: true, events: [{ type: 'cancelled', job: id }] }
  }

  private fetched (author: string, id: string): ApplyResult {
    const job = this.jobs.get(id)
    if (job == null) return refuse(`unknown job: ${id}`)
    if (job.author !== author) return refuse('not the submitter: only the job\'s author records fetching its results')
    if (job.status === 'active') return refuse('job active: its results are recorded as fetched once it ended')
    if (job.fetchedAt != null) return refuse('already fetched: the job\'s results were recorded as fetched before')
    job.fetchedAt = this.clock.now
    return { applied: true, events: [{ type: 'fetched', job: id }] }
  }

  /** A plain, order-stable snapshot (jobs, losers, refusals, clock): equal on peers that applied the same log. */
  snapshot (): unknown {
    return {
      clock: this.clock.now,
      jobs: [...this.jobs.values()].map(j => ({ id: j.id, author: j.author, status: j.status, settled: j.settled, endedAt: j.endedAt, fetchedAt: j.fetchedAt, tasks: j.tasks })),
      losers: this.losers,
      refusals: [...this.refusals.entries()].sort()
    }
  }
}
