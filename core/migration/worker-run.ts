/**
 * The worker side of a checkpointable run: what a task's worker (Node worker thread or Web Worker)
 * does with a `run` message that carries `checkpoint` (core/jobs/worker-protocol.ts).
 *
 * The task runs in WebAssembly without yielding, so the owner cannot reach it by message: it
 * writes a request into a shared Int32 (`control`), which this side reads at every WASI call (one
 * `Atomics.exchange`, cheap next to a WASI call):
 *   1 copy memory → a `memory` reply, the task goes on (a pre-copy round);
 *   2 pause       → the task stops at this call; the `paused` reply (its encoded snapshot) is the
 *                   last one, and the owner decides what happens next (hand over, or resume it in a
 *                   fresh worker);
 *   3 checkpoint  → stop, post the snapshot as a `checkpoint` reply, and go on at once from it in a
 *                   fresh instance in this worker (periodic checkpoints).
 * A pause the task cannot take (files open, see checkpoint-run.ts) is asked again at the next call.
 */
import { serializeJobError } from '../jobs/errors.ts'
import type { RunMessage, WorkerReply } from '../jobs/worker-protocol.ts'
import { runCheckpointable } from './checkpoint-run.ts'
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

/** Runs one checkpointable task; `post` carries the interim replies. Resolves with the last reply. */
export async function runCheckpointTask (msg: RunMessage & { checkpoint: NonNullable<RunMessage['checkpoint']> }, post: (reply: WorkerReply) => void): Promise<WorkerReply> {
  const { checkpoint, task, limits } = msg
  const control = new Int32Array(checkpoint.control)
  const mod = { bytes: msg.module, globals: checkpoint.globals, originalBytes: msg.module.length }
  try {
    let from: TaskSnapshot | undefined = checkpoint.from != null ? decodeSnapshot(checkpoint.from, { viewMemory: true }) : undefined // restoring copies it into the instance
    for (;;) {
      let request = CONTROL_NONE
      const result = await runCheckpointable(mod, task, limits, {
        ...(from != null ? { from } : {}),
        shouldPause: (_at, memory) => {
          const r = request !== CONTROL_NONE ? request : Atomics.exchange(control, 0, CONTROL_NONE)
          if (r === CONTROL_COPY_MEMORY) {
            const bytes = memory()
            post({ type: 'memory', bytes })
            return false
          }
          // a pause the task declines is asked again at the next call
          request = r
          return r === CONTROL_PAUSE || r === CONTROL_CHECKPOINT
        }
      })
      if (result.kind === 'done') return { type: 'done', output: result.output }
      const snapshot = encodeSnapshot(result.snapshot)
      if (request === CONTROL_PAUSE) return { type: 'paused', snapshot }
      post({ type: 'checkpoint', snapshot })
      from = result.snapshot
    }
  } catch (err) {
    return { type: 'failed', error: serializeJobError(err) }
  }
}
