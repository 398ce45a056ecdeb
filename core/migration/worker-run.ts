/**
 * The worker side of a checkpointable run: what a task's worker (Node worker thread or Web Worker)
 * does with a `run` message that carries `checkpoint` (core/jobs/worker-protocol.ts).
 *
 * The task runs in WebAssembly without yielding, so the owner cannot reach it by message: it
 * writes a request into a shared Int32 (`control`), which this side reads at every WASI call (one
 * `Atomics.exchange`, cheap next to a WASI call):
 *   1 copy memory → a `memory` reply with the chunks changed since the last one (dirty.ts; all of
 *                   them when `control[1]`, the tracking epoch, changed), the task goes on;
 *   2 pause       → the task stops at this call; the `paused` reply carries its snapshot without
 *                   memory and the chunks changed since the last copy. This worker keeps the
 *                   paused instance: a `resume` message goes on in it (a failed move), or the
 *                   owner terminates the worker (the task left);
 *   3 checkpoint  → stop, post the whole snapshot as a `checkpoint` reply, and go on at once in the
 *                   same instance (periodic checkpoints);
 *   4 prepare     → make the buffer of a delta listing every chunk ready, pages faulted in
 *                   (dirty.ts `prepare`: a migration about to start, so that its first full
 *                   delta — a stop-and-copy's pause — does not fault in fresh memory), go on.
 * A pause the task cannot take (files open, see checkpoint-run.ts) is asked again at the next call.
 * When the control word has a third element, the worker keeps the task's memory size there, in
 * 64 KiB pages, as of its last WASI call (what a migration's offer announces); a fourth is the
 * throttle the owner sets (0–99 % of the time slept at WASI calls: checkpoint-run.ts), and a fifth
 * the ms this worker has slept for it so far, which the owner leaves out of the task's wall-clock
 * limit (core/jobs/runner.ts `CheckpointLink.sleptMs`). A checkpoint request carries the owner's
 * tag for it above the request's low bits (`REQUEST_BITS`: read in the same atomic exchange), and
 * the worker remembers that checkpoint's chunk hashes under it (dirty.ts `remember`) and names it
 * in its reply; a sixth element is the tag of the checkpoint a new epoch starts from (read with its
 * first copy or pause: its delta lists only the chunks changed since — a move to a target keeping
 * that checkpoint), 0 for none.
 */
import { initCoreWasm } from '../../core-wasm/index.ts'
import { serializeJobError } from '../jobs/errors.ts'
import { handleRunMessage, type OwnerMessage, type RunMessage, type BaseMessage, type WarmBaseSpec, type WarmMessage, type WorkerReply } from '../jobs/worker-protocol.ts'
import { runCheckpointable, warmInstance, type CheckpointRunResult, type WarmInstance } from './checkpoint-run.ts'
import { WASM_PAGE } from '../jobs/wasm-binary.ts'
import { DirtyTracker } from './dirty.ts'
import { decodeSnapshot, encodeSnapshot } from './snapshot-codec.ts'
import type { TaskSnapshot } from './snapshot.ts'

export const CONTROL_NONE = 0
export const CONTROL_COPY_MEMORY = 1
export const CONTROL_PAUSE = 2
export const CONTROL_CHECKPOINT = 3
export const CONTROL_PREPARE = 4
/** the request is the control word's low bits; a checkpoint request carries its tag above them */
export const REQUEST_BITS = 3
const REQUEST_MASK = (1 << REQUEST_BITS) - 1

/**
 * A task worker's message handler (Node worker thread and Web Worker entries alike): an optional
 * `warm` (with a `base`, a checkpoint the target keeps: copied into the instance, answered by
 * `warmed` with the chunks that matched, warm-base.ts), then the one `run` (checkpointable runs here, others in core/jobs' sandbox), then the
 * owner's messages to a running checkpointable task.
 */
export function taskWorkerHandler (post: (reply: WorkerReply) => void): (msg: unknown) => void {
  const inbox = new Inbox()
  let started = false
  let warm: Promise<WarmInstance | undefined> | undefined
  /** a `warm` with `baseFollows`: gives its instance the base when the `base` message comes (or none) */
  let baseLater: ((b: WarmBaseSpec | undefined) => void) | undefined
  return msg => {
    if (started) { inbox.push(msg); return }
    const m = msg as Partial<WarmMessage> | Partial<BaseMessage> | null
    if (m?.type === 'base') {
      baseLater?.(isWarmBase(m.base) ? m.base : undefined)
      baseLater = undefined
      return
    }
    if (m?.type === 'warm') {
      // a failed warm-up costs nothing but the time: the run makes a fresh instance
      if (warm == null && m.module instanceof Uint8Array && m.limits != null && typeof m.memoryBytes === 'number') {
        const { module, limits, memoryBytes } = m
        const base = isWarmBase(m.base) ? m.base : m.baseFollows === true ? new Promise<WarmBaseSpec | undefined>(resolve => { baseLater = resolve }) : undefined
        warm = (async () => {
          if (base != null) await initCoreWasm() // xxh64 of the base's chunks
          const w = await warmInstance({ bytes: module, globals: [], originalBytes: module.length }, limits, memoryBytes, base)
          // the owner learns which of the kept checkpoint's chunks this instance holds
          if (w.held != null) post({ type: 'warmed', held: w.held })
          return w
        })().catch(() => undefined)
      }
      return
    }
    started = true
    baseLater?.(undefined) // the run came before the base: the instance goes on without one
    baseLater = undefined
    void (isCheckpointRun(msg) ? runCheckpointTask(msg, post, inbox, warm) : handleRunMessage(msg)).then(post)
  }
}

function isWarmBase (b: unknown): b is WarmBaseSpec {
  const x = b as Partial<WarmBaseSpec> | null | undefined
  return x?.memory instanceof Uint8Array && x.hashes instanceof BigUint64Array && typeof x.chunkBytes === 'number' && Number.isInteger(x.chunkBytes) && x.chunkBytes >= 64 && (x.held == null || x.held instanceof Uint8Array)
}

/** True for a run message this file handles. */
export function isCheckpointRun (msg: unknown): msg is RunMessage & { checkpoint: NonNullable<RunMessage['checkpoint']> } {
  const m = msg as Partial<RunMessage> | null
  return m?.type === 'run' && m.checkpoint != null && m.checkpoint.control instanceof SharedArrayBuffer && m.module instanceof Uint8Array
}

/** The owner's messages after `run`, in order (the worker entry pushes them; the run awaits them). */
export class Inbox {
  private readonly queue: unknown[] = []
  private waiter: ((m: unknown) => void) | undefined
  push (msg: unknown): void {
    const w = this.waiter
    this.waiter = undefined
    if (w != null) w(msg)
    else if (this.queue.length < 16) this.queue.push(msg)
  }

  async next (): Promise<unknown> {
    if (this.queue.length > 0) return this.queue.shift()
    return await new Promise(resolve => { this.waiter = resolve })
  }
}

/**
 * Runs one checkpointable task; `post` carries the interim replies, `inbox` the owner's messages
 * after `run`. Resolves with the last reply (`done` or `failed`).
 */
export async function runCheckpointTask (msg: RunMessage & { checkpoint: NonNullable<RunMessage['checkpoint']> }, post: (reply: WorkerReply) => void, inbox: Inbox, warming?: Promise<WarmInstance | undefined>): Promise<WorkerReply> {
  const { checkpoint, task, limits } = msg
  const control = new Int32Array(checkpoint.control)
  const epoch = (): number => control.length > 1 ? Atomics.load(control, 1) : 0
  const base = (): number => control.length > 5 ? Atomics.load(control, 5) : 0
  const mod = { bytes: msg.module, globals: checkpoint.globals, originalBytes: msg.module.length }
  try {
    await initCoreWasm() // xxh64 for the dirty tracking
    const tracker = new DirtyTracker(checkpoint.chunkBytes, true) // a partial delta's bytes live until the next request
    const from: TaskSnapshot | undefined = checkpoint.from != null ? decodeSnapshot(checkpoint.from, { viewMemory: true }) : undefined // restoring copies it into the instance
    const warm = from != null ? await warming : undefined
    let request = CONTROL_NONE
    let published = 0 // the memory size last written to control[2]
    let checkpointTag = 0 // the tag of the checkpoint request being answered
    let sleptMs = 0 // throttle sleeps so far (control[4])
    let result: CheckpointRunResult = await runCheckpointable(mod, task, limits, {
      ...(from != null ? { from, onResumed: () => { post({ type: 'resumed', warm: warm?.used === true }) } } : {}),
      ...(warm != null ? { warm } : {}),
      ...(checkpoint.baseHeld instanceof Uint8Array ? { baseHeld: checkpoint.baseHeld } : {}),
      ...(control.length > 3 ? { throttle: () => Atomics.load(control, 3) } : {}),
      ...(control.length > 4 ? { onSlept: (ms: number) => { sleptMs += ms; Atomics.store(control, 4, Math.round(sleptMs)) } } : {}),
      shouldPause: (at, memory) => {
        if (at.memoryBytes !== published && control.length > 2) { published = at.memoryBytes; Atomics.store(control, 2, at.memoryBytes / WASM_PAGE) }
        const raw = request !== CONTROL_NONE ? request : Atomics.exchange(control, 0, CONTROL_NONE)
        const r = raw & REQUEST_MASK
        if (r === CONTROL_CHECKPOINT) checkpointTag = raw >>> REQUEST_BITS // read with the request: one atomic word
        if (tracker.hasPrepared) tracker.expire()
        if (r === CONTROL_PREPARE) {
          tracker.prepare(at.memoryBytes)
          return false
        }
        if (r === CONTROL_COPY_MEMORY) {
          post({ type: 'memory', delta: tracker.delta(memory(), epoch(), base()) })
          return false
        }
        // a pause the task declines is asked again at the next call
        request = r
        return r === CONTROL_PAUSE || r === CONTROL_CHECKPOINT
      }
    })
    for (;;) {
      if (result.kind === 'done') return { type: 'done', output: result.output }
      const snap = result.snapshot
      if (request === CONTROL_PAUSE) {
        const delta = tracker.delta(snap.memory, epoch(), base())
        post({ type: 'paused', snapshot: encodeSnapshot({ ...snap, memory: new Uint8Array(0) }), delta })
        const next = await inbox.next() as Partial<OwnerMessage> | null
        if (next?.type !== 'resume') return { type: 'failed', error: { name: 'JobWorkerError', message: `a paused task's worker got ${String(next?.type)}, not resume` } }
        tracker.dropScratch() // the move failed: the task runs on here without it
      } else {
        post({ type: 'checkpoint', snapshot: encodeSnapshot(snap), tag: checkpointTag })
        tracker.remember(snap.memory, checkpointTag) // after the post: the owner stores it meanwhile
      }
      request = CONTROL_NONE
      result = await result.resume()
    }
  } catch (err) {
    return { type: 'failed', error: serializeJobError(err) }
  }
}
