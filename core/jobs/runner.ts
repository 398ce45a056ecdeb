/**
 * The platform-neutral half of a task runner: a bounded pool of "one task, one worker" slots with
 * a wall clock per task. The platform half (node-runtime/jobs: worker threads with
 * `resourceLimits`; app/jobs: Web Workers) only supplies `spawn`, a factory of `TaskWorker`s.
 *
 * Each task gets a fresh worker, terminated when the task ends: nothing a module did (a loop, a
 * grown heap, a corrupted shim) survives into the next task, and killing a looping task is one
 * `terminate()`. The wall clock starts when the worker has loaded its code (`ready`), so a slow
 * worker start under load is not charged to the task; a worker that never becomes ready within
 * `startTimeoutMs` fails the task with a `JobWorkerError`.
 */
import { JobTimeoutError, JobWorkerError, RunnerStoppedError, TaskAbortedError, TaskHandedOverError, sandboxErrorFrom, type JobError } from './errors.ts'
import { checkTask, resolveLimits, type TaskLimits, type TaskOutput, type TaskSpec } from './task-types.ts'
import type { CheckpointRunSpec, OwnerMessage, PausedReply, WarmBaseSpec, WorkerReply } from './worker-protocol.ts'

/** What a platform's worker must offer. */
export interface TaskWorker {
  /** `transfer`: buffers moved to the worker (detached here), not cloned */
  post: (msg: OwnerMessage, transfer?: ArrayBuffer[]) => void
  /** kills the worker; idempotent */
  terminate: () => void
}

export interface TaskWorkerEvents {
  message: (reply: WorkerReply) => void
  /** the worker died or failed to load; `error` is already typed (e.g. JobMemoryError for heap OOM) */
  failure: (error: JobError) => void
}

export type SpawnTaskWorker = (limits: TaskLimits, events: TaskWorkerEvents) => TaskWorker

export interface TaskRunnerInit {
  /** tasks run at once; more wait in order @default 1 */
  capacity?: number
  /** how long a worker may take to load before the task fails @default 60000 */
  startTimeoutMs?: number
}

export interface RunOptions {
  /**
   * aborting it fails the task with `TaskAbortedError` at once, terminating its worker (a task
   * still waiting for a slot fails when it gets one); the job worker aborts a task whose lease it lost
   */
  signal?: AbortSignal
  /** run the (instrumented) module checkpointably: live migration's hook (core/migration) */
  checkpoint?: CheckpointLink
}

/**
 * A checkpointable run's link to its owner. The owner writes requests into `spec.control`
 * (core/migration/worker-run.ts); memory deltas and on-the-way checkpoints come to `onReply`. When
 * the task pauses its worker keeps the paused instance and `onPaused` decides: resume it there (its
 * wall clock goes on from where it stopped), or let it leave — the worker is terminated and `run`
 * rejects with `TaskHandedOverError`. The time between the two is not charged to the task.
 */
export interface CheckpointLink {
  spec: CheckpointRunSpec
  onReply: (reply: Extract<WorkerReply, { type: 'memory' | 'checkpoint' }>) => void
  onPaused: (reply: PausedReply) => Promise<PauseDecision>
  /**
   * a run from `spec.from` reached the call it was paused in: it runs again (how long a resume
   * took); `warm`: in the instance its warm worker made ahead
   */
  onResumed?: (warm: boolean) => void
  /**
   * run time the task already used before `spec.from` (on another peer: its snapshot's clock),
   * charged against its wall-clock limit: a moved or resumed task keeps its remaining time
   * @default 0
   */
  usedMs?: number
  /**
   * `spec.from` is this run's alone (a snapshot just built for it), and so is the whole buffer it
   * views (a migrated snapshot is a view of the target's memory image, core/migration/chunk-image.ts):
   * that buffer is moved to the worker instead of cloned — one 256 MiB copy less for a 256 MiB
   * task — and detached here @default false
   */
  moveFrom?: boolean
  /**
   * a worker made ahead for this run (`TaskRunner.warm`): the run takes it instead of starting
   * one, and restores `spec.from` into its ready instance when that fits. A handle already taken,
   * released or dead is ignored (a fresh worker)
   */
  warm?: WarmWorker
  /**
   * ms the task's worker has slept so far for a migration's throttle (auto-converge: the owner
   * slows a task whose pre-copy does not converge), read from the worker's shared counter; they
   * are not charged against the task's wall-clock limit, as a pause is not @default none
   */
  sleptMs?: () => number
}

/** A worker started ahead of its run (`TaskRunner.warm`), holding a ready instance. */
export interface WarmWorker {
  /** true once a run took it, it was released, or its worker died */
  readonly spent: boolean
  /** terminates the worker unless a run took it; idempotent */
  release: () => void
  /**
   * with `WarmSpec.base`: the chunks of it the instance holds (`warmed`, core/migration/warm-base.ts),
   * or undefined when the worker failed or was released first; undefined without a base
   */
  readonly based: Promise<Uint8Array | undefined>
}

/** What a warm worker is made for. */
export interface WarmSpec {
  /** the instrumented module the run will get */
  module: Uint8Array
  limits: Partial<TaskLimits>
  /** the memory its instance is grown to and touched (the snapshot's to come, at most the cap) */
  memoryBytes: number
  /**
   * a checkpoint of the task kept here, copied into that memory where its chunks match their
   * names; its memory's buffer is moved to the worker when it owns it whole. A promise: the worker
   * starts now and gets it once it resolves (`base` message), before a run takes it (none when
   * the run comes first) @default none
   */
  base?: WarmBaseSpec | Promise<WarmBaseSpec | undefined>
}

/** What happens to a paused task: it goes on in its worker, or leaves this peer. */
export type PauseDecision = { resume: true } | { leave: string }

export interface TaskRunner {
  /** runs one task in a fresh worker: its output, or a typed `JobError` */
  run: (module: Uint8Array, task?: TaskSpec, limits?: Partial<TaskLimits>, opts?: RunOptions) => Promise<TaskOutput>
  readonly capacity: number
  /** tasks running now */
  readonly running: number
  /** tasks waiting for a slot */
  readonly queued: number
  /** fails queued tasks and terminates running ones (RunnerStoppedError); idempotent */
  stop: () => void
  /**
   * starts a worker now, outside the runner's capacity (the caller bounds how many), that makes an
   * instance of `spec.module` with its memory grown and touched, for a checkpointable run from a
   * snapshot that arrives later (a migration's target): pass it as `CheckpointLink.warm`, or
   * `release()` it
   */
  warm: (spec: WarmSpec) => WarmWorker
}

/** A warm worker as the runner holds it. */
interface HeldWarm extends WarmWorker {
  /** hands the worker and its later events to a run; undefined when spent */
  /** hands the worker and its later events to a run under `limits`; undefined when spent or made for other limits */
  take: (events: TaskWorkerEvents, limits: TaskLimits) => { worker: TaskWorker, ready: boolean } | undefined
}

export function createTaskRunner (spawn: SpawnTaskWorker, init: TaskRunnerInit = {}): TaskRunner {
  const capacity = init.capacity ?? 1
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer')
  const startTimeoutMs = init.startTimeoutMs ?? 60_000
  const waiting: Array<() => void> = []
  const active = new Set<(err: JobError) => void>()
  let running = 0
  let stopped = false

  async function slot (): Promise<void> {
    if (running < capacity && waiting.length === 0) { running++; return }
    await new Promise<void>(resolve => waiting.push(resolve))
  }
  function release (): void {
    const next = waiting.shift()
    if (next != null) next()
    else running--
  }

  function runOne (module: Uint8Array, task: TaskSpec, limits: TaskLimits, signal?: AbortSignal, link?: CheckpointLink): Promise<TaskOutput> {
    return new Promise<TaskOutput>((resolve, reject) => {
      let worker: TaskWorker | undefined
      let timer: ReturnType<typeof setTimeout> | undefined
      let settled = false
      const spec = link?.spec
      let ranMs = link?.usedMs ?? 0 // wall clock used by earlier workers of this task, here or elsewhere (checkpointable runs)
      let readyAt = 0
      let sleptAtReady = 0 // the worker's throttle sleeps as of readyAt: not charged
      const slept = (): number => link?.sleptMs?.() ?? 0
      /** wall clock the task has used, its throttle sleeps left out */
      const used = (): number => ranMs + performance.now() - readyAt - (slept() - sleptAtReady)
      const finish = (err: JobError | undefined, output?: TaskOutput): void => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        active.delete(abort)
        signal?.removeEventListener('abort', onSignal)
        worker?.terminate()
        if (err != null) reject(err)
        else resolve(output as TaskOutput)
      }
      const abort = (err: JobError): void => { finish(err) }
      const onSignal = (): void => { finish(abortedError(signal)) }
      active.add(abort)
      signal?.addEventListener('abort', onSignal, { once: true })
      if (signal?.aborted === true) { finish(abortedError(signal)); return } // aborted while it waited for a slot
      const events: TaskWorkerEvents = {
        message: reply => {
          if (reply.type === 'ready') {
            clearTimeout(timer)
            clock()
            const from = spec?.from
            const move = link?.moveFrom === true && from != null && from.buffer instanceof ArrayBuffer ? [from.buffer] : []
            worker?.post({ type: 'run', module, task, limits, ...(spec != null ? { checkpoint: spec } : {}) }, move)
          } else if (reply.type === 'done') finish(undefined, reply.output)
          else if (reply.type === 'failed') finish(sandboxErrorFrom(reply.error))
          else if (reply.type === 'paused' && link != null) paused(reply, link)
          else if ((reply.type === 'memory' || reply.type === 'checkpoint') && link != null) link.onReply(reply)
          else if (reply.type === 'resumed') link?.onResumed?.(reply.warm)
        },
        failure: err => { finish(err) }
      }
      const clock = (): void => {
        readyAt = performance.now()
        sleptAtReady = slept()
        arm(limits.timeoutMs - ranMs)
      }
      // the timer is armed for the time left as if the task never slept; when it fires, the
      // sleeps since are given back (armed again for what is left)
      const arm = (ms: number): void => {
        timer = setTimeout(() => {
          const left = limits.timeoutMs - used()
          if (left >= 1) arm(left)
          else finish(new JobTimeoutError(`the task ran past its wall-clock limit of ${limits.timeoutMs} ms and was terminated`))
        }, Math.max(0, ms))
      }
      /** The task stopped; its worker holds the paused instance: go on there, or let it leave. */
      const paused = (reply: PausedReply, l: CheckpointLink): void => {
        clearTimeout(timer)
        ranMs = used()
        l.onPaused(reply).then(next => {
          if (settled) return
          if ('leave' in next) { finish(new TaskHandedOverError(`the task left this peer: ${next.leave}`)); return }
          clock()
          worker?.post({ type: 'resume' })
        }, err => { finish(new JobWorkerError(`deciding on the paused task failed: ${err instanceof Error ? err.message : String(err)}`)) })
      }
      const start = (): void => {
        timer = setTimeout(() => { finish(new JobWorkerError(`the task's worker did not start within ${startTimeoutMs} ms`)) }, startTimeoutMs)
        const taken = link?.warm != null && warms.has(link.warm) ? (link.warm as HeldWarm).take(events, limits) : undefined
        if (taken == null) link?.warm?.release() // it was for this run alone
        else {
          worker = taken.worker
          if (taken.ready) events.message({ type: 'ready' })
          return
        }
        try {
          worker = spawn(limits, events)
        } catch (err) {
          finish(new JobWorkerError(`the task's worker could not be started: ${err instanceof Error ? err.message : String(err)}`))
          return
        }
        if (settled) worker.terminate()
      }
      start()
    })
  }

  /** warm workers not yet taken by a run, released or dead (stop() terminates them) */
  const warms = new Set<WarmWorker>()
  function warm (spec: WarmSpec): WarmWorker {
    const limits = resolveLimits(spec.limits)
    let run: TaskWorkerEvents | undefined
    let ready = false
    let spent = false
    let worker: TaskWorker | undefined
    let based: (held: Uint8Array | undefined) => void = () => {}
    let basePosted = false // a base that follows (a promise) was posted to the worker
    const basedP = spec.base != null ? new Promise<Uint8Array | undefined>(resolve => { based = resolve }) : Promise.resolve(undefined)
    const events: TaskWorkerEvents = {
      message: reply => {
        if (reply.type === 'ready') {
          ready = true
          const later = spec.base instanceof Promise ? spec.base : undefined
          const base = later == null ? spec.base as WarmBaseSpec | undefined : undefined
          const moved = (b: WarmBaseSpec | undefined): ArrayBuffer[] => b != null && b.memory.buffer instanceof ArrayBuffer ? [b.memory.buffer] : []
          worker?.post({ type: 'warm', module: spec.module, limits, memoryBytes: spec.memoryBytes, ...(base != null ? { base } : {}), ...(later != null ? { baseFollows: true } : {}) }, moved(base))
          // a base read after the worker was made: posted before any run (a run that took the
          // worker first made it go on without one)
          later?.catch(() => undefined).then(b => {
            if (spent || worker == null) return
            basePosted = true
            worker.post({ type: 'base', ...(b != null ? { base: b } : {}) }, moved(b))
            if (b == null) based(undefined)
          }, () => {})
        }
        if (reply.type === 'warmed') { based(reply.held); return }
        run?.message(reply) // before a run took it the worker says nothing but `ready` (and `warmed`)
      },
      failure: err => { spent = true; warms.delete(held); based(undefined); run?.failure(err) }
    }
    const held: HeldWarm = {
      get spent () { return spent },
      based: basedP,
      release () { if (!spent) { spent = true; warms.delete(held); based(undefined); worker?.terminate() } },
      take (e, runLimits) {
        // the worker's heap limit and the instance's memory cap were set for `limits`
        if (spent || worker == null || runLimits.memoryBytes !== limits.memoryBytes || runLimits.maxOutputBytes > limits.maxOutputBytes) return undefined
        spent = true
        warms.delete(held)
        run = e
        if (spec.base instanceof Promise && !basePosted) based(undefined) // taken before its base came: it holds none
        return { worker, ready }
      }
    }
    if (stopped) { spent = true; based(undefined); return held }
    try {
      worker = spawn(limits, events)
      warms.add(held)
    } catch {
      spent = true // the run that would take it starts a worker of its own
      based(undefined)
    }
    return held
  }

  return {
    capacity,
    warm,
    get running () { return running },
    get queued () { return waiting.length },
    async run (module, task = {}, partial = {}, opts = {}) {
      if (!(module instanceof Uint8Array)) throw new TypeError('module must be a Uint8Array')
      checkTask(task)
      const limits = resolveLimits(partial)
      const { signal } = opts
      if (stopped) throw new RunnerStoppedError('the task runner is stopped')
      if (signal?.aborted === true) throw abortedError(signal)
      await slot()
      try {
        if (stopped) throw new RunnerStoppedError('the task runner is stopped')
        return await runOne(module, task, limits, signal, opts.checkpoint)
      } finally {
        release()
      }
    },
    stop () {
      if (stopped) return
      stopped = true
      for (const abort of [...active]) abort(new RunnerStoppedError('the task runner was stopped'))
      for (const w of [...warms]) w.release()
      for (const w of waiting.splice(0)) { running++; w() } // each woken task releases the slot it is handed
    }
  }
}

function abortedError (signal: AbortSignal | undefined): TaskAbortedError {
  const why = signal?.reason instanceof Error ? signal.reason.message : typeof signal?.reason === 'string' ? signal.reason : 'aborted'
  return new TaskAbortedError(`the task was aborted: ${why}`)
}
