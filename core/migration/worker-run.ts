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
 *                   same instance (periodic checkpoints).
 * A pause the task cannot take (files open, see checkpoint-run.ts) is asked again at the next call.
 */
import { initCoreWasm } from '../../core-wasm/index.ts'
import { serializeJobError } from '../jobs/errors.ts'
import type { OwnerMessage, RunMessage, WorkerReply } from '../jobs/worker-protocol.ts'
import { runCheckpointable, type CheckpointRunResult } from './checkpoint-run.ts'
import { DirtyTracker } from './dirty.ts'
import { decodeSnapshot, encodeSnapshot } from './snapshot-codec.ts'
import type { TaskSnapshot } from './snapshot.ts'

export const CONTROL_NONE = 0
export const CONTROL_COPY_MEMORY = 1
export const CONTROL_PAUSE = 2
export const CONTROL_CHECKPOINT = 3

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
export async function runCheckpointTask (msg: RunMessage & { checkpoint: NonNullable<RunMessage['checkpoint']> }, post: (reply: WorkerReply) => void, inbox: Inbox): Promise<WorkerReply> {
  const { checkpoint, task, limits } = msg
  const control = new Int32Array(checkpoint.control)
  const epoch = (): number => control.length > 1 ? Atomics.load(control, 1) : 0
  const mod = { bytes: msg.module, globals: checkpoint.globals, originalBytes: msg.module.length }
  try {
    await initCoreWasm() // xxh64 for the dirty tracking
    const tracker = new DirtyTracker(checkpoint.chunkBytes)
    const from: TaskSnapshot | undefined = checkpoint.from != null ? decodeSnapshot(checkpoint.from, { viewMemory: true }) : undefined // restoring copies it into the instance
    let request = CONTROL_NONE
    let result: CheckpointRunResult = await runCheckpointable(mod, task, limits, {
      ...(from != null ? { from, onResumed: () => { post({ type: 'resumed' }) } } : {}),
      shouldPause: (_at, memory) => {
        const r = request !== CONTROL_NONE ? request : Atomics.exchange(control, 0, CONTROL_NONE)
        if (r === CONTROL_COPY_MEMORY) {
          post({ type: 'memory', delta: tracker.delta(memory(), epoch()) })
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
        const delta = tracker.delta(snap.memory, epoch())
        post({ type: 'paused', snapshot: encodeSnapshot({ ...snap, memory: new Uint8Array(0) }), delta })
        const next = await inbox.next() as Partial<OwnerMessage> | null
        if (next?.type !== 'resume') return { type: 'failed', error: { name: 'JobWorkerError', message: `a paused task's worker got ${String(next?.type)}, not resume` } }
      } else {
        post({ type: 'checkpoint', snapshot: encodeSnapshot(snap) })
      }
      request = CONTROL_NONE
      result = await result.resume()
    }
  } catch (err) {
    return { type: 'failed', error: serializeJobError(err) }
  }
}
