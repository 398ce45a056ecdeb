/**
 * Messages between a runner and the worker that runs one task (structured clone, same shape for
 * Node worker threads and Web Workers), and the worker side's handler, shared by both platforms'
 * worker entry files.
 *
 *   worker → owner  { type: 'ready' }                       code loaded; waiting for the task
 *   owner  → worker { type: 'run', module, task, limits }   exactly one per worker
 *   worker → owner  { type: 'done', output } | { type: 'failed', error: { name, message } }
 */
import { runInSandbox } from './sandbox.ts'
import { serializeJobError, type SerializedJobError } from './errors.ts'
import type { TaskLimits, TaskOutput, TaskSpec } from './task-types.ts'

export interface RunMessage { type: 'run', module: Uint8Array, task: TaskSpec, limits: TaskLimits }
export type WorkerReply = { type: 'ready' } | { type: 'done', output: TaskOutput } | { type: 'failed', error: SerializedJobError }

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
