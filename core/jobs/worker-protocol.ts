/**
 * Messages between a runner and the worker that runs one task (structured clone, same shape for
 * Node worker threads and Web Workers), and the worker side's handler, shared by both platforms'
 * worker entry files.
 *
 *   worker → owner  { type: 'ready' }                       code loaded; waiting for the task
 *   owner  → worker { type: 'run', module, task, limits }   exactly one per worker
 *   worker → owner  { type: 'done', output } | { type: 'failed', error: { name, message } }
 *
 * A checkpointable run (live migration, core/migration/worker-run.ts) carries `checkpoint`: the
 * module is then the instrumented one, `from` an encoded snapshot to go on from, and `control` a
 * SharedArrayBuffer the owner writes requests into (the worker is busy in WebAssembly and reads no
 * messages; it reads the flag at each WASI call). Its extra replies, before the last one:
 *
 *   worker → owner  { type: 'memory', bytes }        a copy of linear memory (pre-copy rounds)
 *   worker → owner  { type: 'checkpoint', snapshot } a snapshot taken on the way (the task runs on)
 *   worker → owner  { type: 'paused', snapshot }     the task stopped; this is its last reply
 */
import { runInSandbox } from './sandbox.ts'
import { serializeJobError, type SerializedJobError } from './errors.ts'
import type { TaskLimits, TaskOutput, TaskSpec } from './task-types.ts'

/** What makes a run checkpointable (see the module doc). */
export interface CheckpointRunSpec {
  /** the instrumented module's mutable global kinds, in export order */
  globals: Array<'i32' | 'i64' | 'f32' | 'f64'>
  /** an encoded snapshot to resume from */
  from?: Uint8Array
  /** Int32Array view of 1 element: 0 nothing, 1 copy memory, 2 pause, 3 checkpoint and go on */
  control: SharedArrayBuffer
}

export interface RunMessage { type: 'run', module: Uint8Array, task: TaskSpec, limits: TaskLimits, checkpoint?: CheckpointRunSpec }
export type WorkerReply =
  | { type: 'ready' }
  | { type: 'done', output: TaskOutput }
  | { type: 'failed', error: SerializedJobError }
  | { type: 'memory', bytes: Uint8Array }
  | { type: 'checkpoint', snapshot: Uint8Array }
  | { type: 'paused', snapshot: Uint8Array }

/** The worker side: answers one `run` message, then the owner terminates the worker. */
export async function handleRunMessage (msg: unknown): Promise<WorkerReply> {
  const m = msg as Partial<RunMessage> | null
  if (m?.type !== 'run' || !(m.module instanceof Uint8Array) || m.task == null || m.limits == null) {
    return { type: 'failed', error: { name: 'JobWorkerError', message: 'the worker got a malformed run message' } }
  }
  try {
    return { type: 'done', output: await runInSandbox(m.module, m.task, m.limits) }
  } catch (err) {
    return { type: 'failed', error: serializeJobError(err) }
  }
}
