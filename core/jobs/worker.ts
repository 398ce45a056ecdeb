/**
 * The worker loop every peer runs (Node and tab): it watches the committed job entries (through
 * `JobsState`, fed by `bindJobs`), plans claims for its free capacity (`planClaims`: fair between
 * jobs), submits them, and for each claim the ledger grants it fetches the module and the task's
 * stdin as blobs (core/blobs, from the job's author first, then other peers), runs the task in the
 * sandbox (`TaskRunner`), renews its lease at a third of the TTL while the task runs, stores the
 * encoded result as a blob (served to others from then on) and submits `job.result` with that
 * blob's id under its fencing token.
 *
 * The ledger decides: a claim another worker won first, a renewal or result under a stale token
 * are refused on every peer alike, and this loop simply plans again. A task whose lease this worker
 * lost while it ran (the ledger committed another claim for the slot, its renewal was refused, the
 * task was decided by other replicas, the job cancelled) is aborted: its sandbox is terminated at
 * once rather than run to the end, and nothing is reported. A deterministic failure (trap,
 * timeout, memory, invalid module, …) is a result like any other; a failure of this peer (its
 * worker died, the runner stopped, a blob it could not fetch) reports nothing and lets the lease
 * expire, so another peer takes the task. A claim whose submit timed out (a frozen or overloaded
 * peer) is watched: if it commits for this worker after all, the task is run then under that lease
 * while the lease is live, instead of the lease expiring unused (a lease period lost).
 *
 * Live migration (core/migration, node-runtime/migration) plugs in through `migration` hooks:
 * `prepare` may make a task's run checkpointable (and resume it from a snapshot); `adopt` runs a
 * task whose lease a `job.handover` gave this peer, without claiming it; a run that paused and left
 * (`TaskHandedOverError`) reports nothing here: its new holder does.
 *
 * Test-only modes (set by the Node wiring only under NOVACRON_TEST=1, or by a test through
 * `setHostile`): `wrong-output` cheats — it skips the run and reports a made-up output at once — so
 * replicas disagree and the liar is recorded; `skip-renewals` claims and runs but never renews, so
 * its leases expire mid-task and are taken by other workers (it then aborts, as an honest worker
 * does); `zombie` never renews either, and also ignores losing its lease — no abort, it submits
 * its result at the end anyway — so its late result must be refused by the fencing token.
 * `setPaused(true)` stops planning new claims (running tasks go on): tests use it to choose which
 * peer claims first.
 */
import type { CommittedEntry } from '../ledger/types.ts'
import type { JobEntry, TaskInput, Token } from './entries.ts'
import { planClaims, type PlannedClaim } from './planner.ts'
import { encodeTaskResult, type TaskResult } from './result-codec.ts'
import type { CheckpointLink, TaskRunner } from './runner.ts'
import type { TaskState } from './state.ts'
import type { JobsState, JobState } from './state.ts'
import type { TaskSpec } from './task-types.ts'

/** Sandbox errors that every honest replica gets alike: they are the task's result. */
const DETERMINISTIC = new Set(['JobTimeoutError', 'JobMemoryError', 'JobTrapError', 'InvalidModuleError', 'UnsupportedImportError', 'JobOutputLimitError', 'InvalidJobError'])

export type WorkerHostileMode = 'wrong-output' | 'skip-renewals' | 'zombie'

/** Every test-only misbehaviour, for the wiring that parses one. */
export const WORKER_HOSTILE_MODES: readonly WorkerHostileMode[] = ['wrong-output', 'skip-renewals', 'zombie']

/** A task this worker holds a lease on, as the migration hooks see it. */
export interface HeldTask {
  job: string
  task: number
  replica: number
  token: Token
  /** blob id of the job's module, and its bytes */
  moduleId: string
  module: Uint8Array
}

export interface WorkerMigrationHooks {
  /** before a held task runs: the instrumented module and its checkpoint link, or undefined to run it plainly */
  prepare: (t: HeldTask) => Promise<{ module: Uint8Array, checkpoint: CheckpointLink } | undefined>
  /** the task's run here ended, whatever the outcome */
  ended?: (t: HeldTask) => void
}

export interface JobWorkerComponents {
  /** the jobs binding's state and submit (core/jobs/ledger-binding.ts) */
  jobs: { state: JobsState, submit: (entry: JobEntry, opts?: { timeoutMs?: number }) => Promise<CommittedEntry> }
  blobs: {
    fetch: (id: string, providers: string[]) => Promise<{ bytes: Uint8Array }>
    put: (bytes: Uint8Array) => { id: string }
  }
  runner: Pick<TaskRunner, 'run'>
  /** this peer's id (the author of its ledger entries) */
  self: string
  /** peers that may hold blobs (the mesh's members); the job's author is asked first */
  peers: () => string[]
  log?: (message: string) => void
  migration?: WorkerMigrationHooks
}

export interface JobWorkerInit {
  /** tasks this peer runs at once (advertised in each claim) @default 1 */
  capacity?: number
  /** how often the loop plans even without a commit (leases expiring in real time) @default 1000 */
  tickMs?: number
  /** cap on each of a task's stdout and stderr @default 16 MiB */
  maxOutputBytes?: number
  /** test-only misbehaviour */
  hostile?: WorkerHostileMode
  /** wall clock @default Date.now */
  now?: () => number
}

export interface WorkerTaskRecord {
  job: string
  task: number
  replica: number
  /** ms from submitting the claim to the commit of the result */
  claimToCommitMs: number
  /** ms the sandbox ran */
  runMs: number
  output: string
}

export interface JobWorkerStats {
  claimsSubmitted: number
  claimsRefused: number
  /**
   * claims whose commit this worker did not see within the submit timeout (a frozen or overloaded
   * peer): the worker keeps watching the slot, and if the claim commits for it later it runs the
   * task then (`claimsRecovered`) rather than leaving the lease to expire
   */
  claimsTimedOut: number
  /** timed-out claims that committed later for this worker and were run under their lease */
  claimsRecovered: number
  renewals: number
  renewalsRefused: number
  resultsCommitted: number
  resultsRefused: number
  /** tasks given up without a result (fetch failed, worker died) */
  abandoned: number
  /** tasks whose sandbox was terminated because their lease was lost while they ran */
  leaseLostAborts: number
  /** tasks that paused and left this peer by live migration */
  handedOver: number
  /** tasks this peer took over by live migration */
  adopted: number
  running: number
  /** the last tasks this worker completed (at most 1000) */
  recent: WorkerTaskRecord[]
  /** the last problems, newest last (at most 20) */
  errors: string[]
}

export interface JobWorker {
  start: () => void
  stop: () => void
  /** plan again now (call on every commit) */
  poke: () => void
  readonly capacity: number
  readonly stats: JobWorkerStats
  /** tasks running here now, `job/task/replica` */
  readonly active: string[]
  /** runs a task whose lease a committed `job.handover` gave this peer (no claim); false when it already runs here */
  adopt: (c: PlannedClaim, token: Token) => boolean
  /** the tokens of the leases held by tasks running here now */
  readonly holding: Array<{ job: string, task: number, replica: number, token: Token }>
  /** test-only: switch a misbehaviour on (or off with undefined) */
  setHostile: (mode: WorkerHostileMode | undefined) => void
  /** stop (true) or resume (false) claiming new tasks; tasks already running go on */
  setPaused: (paused: boolean) => void
  readonly paused: boolean
}

/** Timed-out claims watched at once at most (each was in flight, so this is many capacities' worth). */
const MAX_WATCHED = 256
/** How long a timed-out claim is watched at least (4 lease periods when longer). */
const WATCH_MIN_MS = 120_000

const key = (c: { job: string, task: number, replica: number }): string => `${c.job}/${c.task}/${c.replica}`

/** The task's input: its own entry over the job's common one (args and stdin each). */
export function taskInput (job: JobState, task: number): TaskInput {
  const own = job.spec.tasks?.[task] ?? {}
  const common = job.spec.common ?? {}
  const out: TaskInput = {}
  const args = own.args ?? common.args
  const stdin = own.stdin ?? common.stdin
  if (args != null) out.args = args
  if (stdin != null) out.stdin = stdin
  return out
}

export function createJobWorker (components: JobWorkerComponents, init: JobWorkerInit = {}): JobWorker {
  const { jobs, blobs, runner, self } = components
  const capacity = init.capacity ?? 1
  if (!Number.isInteger(capacity) || capacity < 1 || capacity > 64) throw new RangeError('capacity must be an integer from 1 to 64')
  const tickMs = init.tickMs ?? 1000
  const maxOutputBytes = init.maxOutputBytes ?? 16 * 1024 * 1024
  const now = init.now ?? Date.now
  const log = components.log ?? (() => {})
  const inflight = new Set<string>()
  /** leases held by tasks being prepared or run, with the controller that aborts each */
  const holding = new Map<string, { c: PlannedClaim, token: Token, ctrl: AbortController }>()
  /**
   * claims whose submit timed out: they may still commit (the peer was frozen or the ledger slow),
   * and then the slot's lease names this worker while nothing here runs it. Key → the claim, the
   * lease token the slot had for us before (not ours to recover), and when to stop watching.
   */
  const timedOut = new Map<string, { c: PlannedClaim, before?: Token, until: number }>()
  let hostile = init.hostile
  let paused = false
  const stats: JobWorkerStats = {
    claimsSubmitted: 0, claimsRefused: 0, claimsTimedOut: 0, claimsRecovered: 0, renewals: 0, renewalsRefused: 0, resultsCommitted: 0, resultsRefused: 0, abandoned: 0, leaseLostAborts: 0, handedOver: 0, adopted: 0, running: 0, recent: [], errors: []
  }
  let running = false
  let timer: ReturnType<typeof setInterval> | undefined
  let scheduled = false

  const problem = (msg: string): void => {
    stats.errors.push(msg)
    if (stats.errors.length > 20) stats.errors.shift()
    log(msg)
  }

  function poke (): void {
    if (!running || scheduled) return
    scheduled = true
    queueMicrotask(() => { scheduled = false; plan() })
  }

  /** Why the lease under `token` is no longer ours to run on, or undefined while it is. */
  function lostReason (c: PlannedClaim, token: Token): string | undefined {
    const job = jobs.state.jobs.get(c.job)
    if (job == null) return 'the job is unknown'
    if (job.status !== 'active') return `the job is ${job.status}`
    const task: TaskState | undefined = job.tasks[c.task]
    if (task == null || task.status !== 'open') return 'the task was settled by other replicas'
    const lease = task.slots[c.replica]?.lease
    if (lease == null) return 'the lease was released'
    if (lease.token.epoch !== token.epoch || lease.token.slot !== token.slot) return `the slot was claimed again by ${lease.worker === self ? 'this worker' : lease.worker}`
    return undefined
  }

  /** Aborts every task whose lease the committed log says we lost (called on each commit and tick). */
  function checkLeases (): void {
    if (hostile === 'zombie') return // runs on regardless; the ledger must refuse its late result
    for (const h of holding.values()) {
      if (h.ctrl.signal.aborted) continue
      const why = lostReason(h.c, h.token)
      if (why != null) h.ctrl.abort(new Error(`lease on ${key(h.c)} lost: ${why}`))
    }
  }

  /**
   * Runs the timed-out claims that committed for this worker after all, while their lease is live
   * (at the later of the ledger clock and the wall clock: the same judgement as planning). One whose
   * lease expired is not run: an expired lease blocks nobody (any worker, this one too, may claim
   * the slot at once and it no longer counts against this worker's capacity), so there is nothing
   * left to release. Stops watching a claim once it was run or found expired, the task or job
   * settled, a run of the slot started here (a later claim), or the watch ran out.
   */
  function recoverTimedOut (): void {
    const at = Math.max(jobs.state.clock.now, now())
    for (const [k, o] of timedOut) {
      if (inflight.has(k)) continue // its failed submit is still unwinding, or claimed again: a run that starts ends the watch
      const job = jobs.state.jobs.get(o.c.job)
      const task = job?.tasks[o.c.task]
      if (job == null || job.status !== 'active' || task == null || task.status !== 'open' || now() > o.until) { timedOut.delete(k); continue }
      const lease = task.slots[o.c.replica]?.lease
      if (lease == null || lease.worker !== self) continue // not committed yet, or refused: keep watching until `until`
      if (o.before != null && lease.token.epoch === o.before.epoch && lease.token.slot === o.before.slot) continue
      timedOut.delete(k)
      if (!jobs.state.live(lease, at)) {
        log(`the timed-out claim on ${k} committed, but its lease already expired: left to be claimed again`)
        continue
      }
      stats.claimsRecovered++
      log(`the timed-out claim on ${k} committed after all: running it under its lease (epoch ${lease.token.epoch})`)
      inflight.add(k)
      void runHeld(o.c, lease.token, now()).catch(err => { problem(`task ${k}: ${errText(err)}`) }).finally(() => {
        inflight.delete(k)
        poke()
      })
    }
  }

  function plan (): void {
    if (!running) return
    checkLeases()
    if (timedOut.size > 0) recoverTimedOut()
    const free = capacity - inflight.size
    if (free <= 0 || paused) return
    const at = Math.max(jobs.state.clock.now, now())
    for (const c of planClaims(jobs.state, self, free, at)) {
      if (inflight.has(key(c)) || inflight.size >= capacity) continue
      inflight.add(key(c))
      void work(c).catch(err => { problem(`task ${key(c)}: ${errText(err)}`) }).finally(() => {
        inflight.delete(key(c))
        poke()
      })
    }
  }

  /** Our token for the slot, if the ledger gave it to us in the claim committed at `slot`. */
  function held (c: PlannedClaim, slot?: number): Token | undefined {
    const lease = jobs.state.jobs.get(c.job)?.tasks[c.task]?.slots[c.replica]?.lease
    if (lease == null || lease.worker !== self || (slot != null && lease.token.slot !== slot)) return undefined
    return lease.token
  }

  async function work (c: PlannedClaim): Promise<void> {
    const claimedAt = now()
    stats.claimsSubmitted++
    const before = held(c)
    const committed = await jobs.submit({ kind: 'job.claim', body: { at: claimedAt, job: c.job, task: c.task, replica: c.replica, capacity } }).catch((err: Error) => {
      if (err.name === 'SubmitTimeoutError') {
        stats.claimsTimedOut++
        // the claim may still commit (or already has, unseen by the submit): watch the slot for it
        const ttl = jobs.state.jobs.get(c.job)?.spec.leaseTtlMs ?? 0
        if (timedOut.size >= MAX_WATCHED) timedOut.delete(timedOut.keys().next().value as string)
        timedOut.set(key(c), { c, ...(before != null ? { before } : {}), until: now() + Math.max(WATCH_MIN_MS, 4 * ttl) })
      }
      throw err
    })
    const token = held(c, committed.slot)
    if (token == null) { stats.claimsRefused++; return }
    await runHeld(c, token, claimedAt)
  }

  /** Runs a task under the lease `token` (claimed, or handed over) to its result. */
  async function runHeld (c: PlannedClaim, token: Token, claimedAt: number): Promise<void> {
    const job = jobs.state.jobs.get(c.job) as JobState
    const ctrl = new AbortController()
    timedOut.delete(key(c))
    holding.set(key(c), { c, token, ctrl })
    stats.running++
    const renew = setInterval(() => {
      if (hostile === 'skip-renewals' || hostile === 'zombie') return
      void jobs.submit({ kind: 'job.renew', body: { at: now(), job: c.job, task: c.task, replica: c.replica, token } }).then(() => {
        stats.renewals++
        if (held(c) == null || held(c)?.slot !== token.slot) {
          stats.renewalsRefused++
          if (!ctrl.signal.aborted) ctrl.abort(new Error(`lease on ${key(c)} lost: the renewal was refused (${lostReason(c, token) ?? 'not the holder'})`))
        }
      }, err => { problem(`renew ${key(c)}: ${errText(err)}`) })
    }, Math.max(200, Math.floor(job.spec.leaseTtlMs / 3)))
    let result: TaskResult | undefined
    let runMs = 0
    let heldTask: HeldTask | undefined
    try {
      const providers = [...new Set([job.author, ...components.peers()])].filter(p => p !== self)
      const module = (await blobs.fetch(job.spec.module, providers)).bytes
      const input = taskInput(job, c.task)
      const spec: TaskSpec = { args: input.args ?? [], env: { NOVACRON_TASK_INDEX: String(c.task) } }
      if (input.stdin != null) spec.stdin = (await blobs.fetch(input.stdin, providers)).bytes
      if (hostile === 'wrong-output') {
        // a cheater: skips the work and reports a made-up output at once
        result = { exitCode: 0, error: '', stdout: new TextEncoder().encode(`lie from ${self}\n`), stderr: new Uint8Array(0) }
      } else try {
        if (ctrl.signal.aborted) throw ctrl.signal.reason
        heldTask = { job: c.job, task: c.task, replica: c.replica, token, moduleId: job.spec.module, module }
        const cp = await components.migration?.prepare(heldTask)
        if (ctrl.signal.aborted) throw ctrl.signal.reason
        const out = await runner.run(cp?.module ?? module, spec, { timeoutMs: job.spec.timeoutMs, memoryBytes: job.spec.memoryBytes, maxOutputBytes }, { signal: ctrl.signal, ...(cp != null ? { checkpoint: cp.checkpoint } : {}) })
        runMs = out.runMs
        result = { exitCode: out.exitCode, error: '', stdout: out.stdout, stderr: out.stderr }
      } catch (err) {
        const name = err instanceof Error ? err.name : ''
        if (!DETERMINISTIC.has(name)) throw err
        result = { exitCode: -1, error: name, stdout: new Uint8Array(0), stderr: new TextEncoder().encode(errText(err)) }
      }
    } catch (err) {
      if (err instanceof Error && err.name === 'TaskHandedOverError') {
        stats.handedOver++
        log(`${key(c)} left this peer: ${errText(err)}`)
        return
      }
      if (ctrl.signal.aborted) {
        // the sandbox was terminated (or never started): the lease belongs to someone else now
        stats.leaseLostAborts++
        problem(`aborted ${key(c)}: ${errText(ctrl.signal.reason)}`)
      } else {
        stats.abandoned++
        problem(`abandoned ${key(c)}: ${errText(err)}`)
      }
      return
    } finally {
      clearInterval(renew)
      holding.delete(key(c))
      stats.running--
      if (heldTask != null) components.migration?.ended?.(heldTask)
    }
    const output = blobs.put(encodeTaskResult(result)).id
    // a run that ended before the loss was seen still reports: the ledger refuses a stale token
    if (ctrl.signal.aborted || lostReason(c, token) != null) log(`lease on ${key(c)} was lost as the task ended; submitting anyway (the ledger decides)`)
    await jobs.submit({ kind: 'job.result', body: { at: now(), job: c.job, task: c.task, replica: c.replica, token, output } })
    const slot = jobs.state.jobs.get(c.job)?.tasks[c.task]?.slots[c.replica]
    if (slot?.result?.worker === self && slot.result.token.slot === token.slot) {
      stats.resultsCommitted++
      stats.recent.push({ job: c.job, task: c.task, replica: c.replica, claimToCommitMs: now() - claimedAt, runMs: Math.round(runMs), output })
      if (stats.recent.length > 1000) stats.recent.shift()
    } else {
      stats.resultsRefused++
    }
  }

  return {
    capacity,
    stats,
    get active () { return [...inflight] },
    get holding () { return [...holding.values()].map(h => ({ job: h.c.job, task: h.c.task, replica: h.c.replica, token: h.token })) },
    adopt (c, token) {
      if (!running || inflight.has(key(c))) return false
      inflight.add(key(c))
      stats.adopted++
      void runHeld(c, token, now()).catch(err => { problem(`task ${key(c)}: ${errText(err)}`) }).finally(() => {
        inflight.delete(key(c))
        poke()
      })
      return true
    },
    poke,
    setHostile (mode) { hostile = mode },
    get paused () { return paused },
    setPaused (p) {
      paused = p
      poke()
    },
    start () {
      if (running) return
      running = true
      timer = setInterval(poke, tickMs)
      poke()
    },
    stop () {
      if (!running) return
      running = false
      clearInterval(timer)
    }
  }
}

function errText (err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err)
}
