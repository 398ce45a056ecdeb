/**
 * The service's handle on one checkpointable task running here (`RunningTask`) and what a
 * migration or a checkpoint asks of it through the shared control word (worker-run.ts): a memory
 * copy, a pause, a prepared full-delta buffer, a throttle, a checkpoint. The task is inside
 * WebAssembly and reads no messages: a request waits for its next WASI call or loop poll point,
 * at most `replyTimeoutMs`, after which it is withdrawn (`PauseTimeoutError`) and the task runs on.
 */
import type { PauseDecision } from '../jobs/runner.ts'
import type { HeldTask } from '../jobs/worker.ts'
import type { MemoryDelta, PausedReply } from '../jobs/worker-protocol.ts'
import { PauseTimeoutError } from './errors.ts'
import type { OutgoingContext } from './outgoing.ts'
import { CONTROL_CHECKPOINT, CONTROL_COPY_MEMORY, CONTROL_NONE, CONTROL_PAUSE, CONTROL_PREPARE, REQUEST_BITS } from './worker-run.ts'

/**
 * control word elements: the request, the dirty-tracking epoch, the memory size (pages), the
 * throttle (%), the ms slept for it, a checkpoint's tag (worker-run.ts)
 */
export const CONTROL_WORDS = 6

export interface RunningTask {
  held: HeldTask
  control: Int32Array
  memoryWaiters: Array<(d: MemoryDelta | undefined) => void>
  pauseWaiter?: (p: PausedReply | undefined) => void
  decide?: (d: PauseDecision) => void
  migrating: boolean
  /** a checkpoint was asked for at `checkpointAt` and not yet stored */
  checkpointing: boolean
  checkpointAt: number
  /** the tag of the last checkpoint asked for (the worker remembers its chunks' hashes under it) */
  checkpointTag: number
  /** the last checkpoint stored here: its worker's tag and its blob (a move's `base`) */
  lastCheckpoint?: { tag: number, blob: string, /** when it reached this thread (`performance.now()`) */ at?: number }
  ended: boolean
  timer?: ReturnType<typeof setInterval>
}

export const keyOf = (t: { job: string, task: number, replica: number }): string => `${t.job}/${t.task}/${t.replica}`

export function runningTask (held: HeldTask): RunningTask {
  return { held, control: new Int32Array(new SharedArrayBuffer(4 * CONTROL_WORDS)), memoryWaiters: [], migrating: false, checkpointing: false, checkpointAt: 0, checkpointTag: 0, ended: false }
}

/** Resolves with what `register`'s callback gets, or undefined after `timeoutMs`. */
function waitOr<T> (timeoutMs: number, register: (resolve: (v: T | undefined) => void) => void): Promise<T | undefined> {
  return new Promise(resolve => {
    const timer = setTimeout(() => { resolve(undefined) }, timeoutMs)
    register(v => { clearTimeout(timer); resolve(v) })
  })
}

/** The task's side of a migration's context (outgoing.ts), over its control word. */
export function taskControls (r: RunningTask, replyTimeoutMs: number): Pick<OutgoingContext, 'copyMemory' | 'pause' | 'prepareFull' | 'decide' | 'memoryBytes' | 'throttle'> {
  return {
    copyMemory: async (fresh, base) => {
      if (r.ended) return undefined
      if (fresh) { Atomics.store(r.control, 5, base ?? 0); Atomics.add(r.control, 1, 1) }
      let waiter: ((d: MemoryDelta | undefined) => void) | undefined
      const m = await waitOr<MemoryDelta>(replyTimeoutMs, resolve => { waiter = resolve; r.memoryWaiters.push(resolve); Atomics.store(r.control, 0, CONTROL_COPY_MEMORY) })
      if (m != null || r.ended) return m
      Atomics.compareExchange(r.control, 0, CONTROL_COPY_MEMORY, CONTROL_NONE)
      r.memoryWaiters = r.memoryWaiters.filter(w => w !== waiter)
      throw new PauseTimeoutError(`task ${keyOf(r.held)} made no WASI call and reached no poll point within ${replyTimeoutMs} ms (its memory is copied only at one: loops and recursive functions have them, every 10,000 passes; a loop whose body alone runs long, or the poll points' interval on a slow peer, can outlast this); it runs on here`)
    },
    pause: async (fresh, base) => {
      if (r.ended) return undefined
      if (fresh) { Atomics.store(r.control, 5, base ?? 0); Atomics.add(r.control, 1, 1) }
      let waiter: ((p: PausedReply | undefined) => void) | undefined
      const s = await waitOr<PausedReply>(replyTimeoutMs, resolve => { waiter = resolve; r.pauseWaiter = resolve; Atomics.store(r.control, 0, CONTROL_PAUSE) })
      if (s != null || r.ended) return s
      // nothing in time: withdraw the request, and should the task stop after all, it goes on
      // (onPaused: a pause nobody waits for resumes) instead of waiting forever
      Atomics.compareExchange(r.control, 0, CONTROL_PAUSE, CONTROL_NONE)
      if (r.pauseWaiter === waiter) r.pauseWaiter = undefined
      throw new PauseTimeoutError(`task ${keyOf(r.held)} did not stop within ${replyTimeoutMs} ms: it stops only at a WASI call or a poll point (loop headers, recursive functions' entries: every 10,000 passes); it runs on here`)
    },
    // never over another request (a checkpoint asked for): preparing is only a speed-up
    prepareFull: () => { Atomics.compareExchange(r.control, 0, CONTROL_NONE, CONTROL_PREPARE) },
    decide: d => { r.decide?.(d) },
    memoryBytes: () => Atomics.load(r.control, 2) * 65536 || undefined,
    throttle: pct => { Atomics.store(r.control, 3, pct) }
  }
}

/**
 * Asks for a checkpoint, unless the task ended or is moving; a request lost to a migration's copy
 * or pause (one control word) is asked again once `retryMs` passed.
 */
export function requestCheckpoint (r: RunningTask, retryMs: number): void {
  if (r.ended || r.migrating || (r.checkpointing && performance.now() - r.checkpointAt < retryMs)) return
  r.checkpointing = true
  r.checkpointAt = performance.now()
  r.checkpointTag = (r.checkpointTag + 1) % (1 << (31 - REQUEST_BITS)) || 1
  Atomics.store(r.control, 0, CONTROL_CHECKPOINT | (r.checkpointTag << REQUEST_BITS))
}
