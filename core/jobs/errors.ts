/**
 * Typed errors of the jobs layer (core/jobs): what a task can fail with in the sandbox, and what
 * the claim state machine refuses. One base class, `JobError`; every subclass sets a static and an
 * instance `name` (libp2p's `errors.ts` habit) so callers and tests branch on `err.name`.
 *
 * Sandbox errors cross a worker boundary as `{ name, message }` (structured clone drops class
 * identity); `sandboxErrorFrom` turns that back into the right class.
 */

export class JobError extends Error {
  static override name = 'JobError'
  override name = 'JobError'
}

/** The task ran past its wall-clock limit; its worker was terminated. */
export class JobTimeoutError extends JobError {
  static override name = 'JobTimeoutError'
  override name = 'JobTimeoutError'
}

/** The module declares more memory than the cap, hit the cap and failed, or its worker ran out of heap. */
export class JobMemoryError extends JobError {
  static override name = 'JobMemoryError'
  override name = 'JobMemoryError'
}

/** The module trapped (unreachable, out-of-bounds access, division by zero, stack overflow, …). */
export class JobTrapError extends JobError {
  static override name = 'JobTrapError'
  override name = 'JobTrapError'
}

/** The bytes are not a WebAssembly module we can run (bad magic, malformed, no `_start` or memory). */
export class InvalidModuleError extends JobError {
  static override name = 'InvalidModuleError'
  override name = 'InvalidModuleError'
}

/** The module imports something the sandbox does not provide (only WASI preview 1 functions). */
export class UnsupportedImportError extends JobError {
  static override name = 'UnsupportedImportError'
  override name = 'UnsupportedImportError'
}

/** The task wrote more to stdout or stderr than its output cap allows. */
export class JobOutputLimitError extends JobError {
  static override name = 'JobOutputLimitError'
  override name = 'JobOutputLimitError'
}

/** The task's worker died for a reason the sandbox could not classify (it is reported, never hidden). */
export class JobWorkerError extends JobError {
  static override name = 'JobWorkerError'
  override name = 'JobWorkerError'
}

/** A task or job description is malformed (bad limits, sizes over their caps, …). */
export class InvalidJobError extends JobError {
  static override name = 'InvalidJobError'
  override name = 'InvalidJobError'
}

/** The runner was stopped while the task waited or ran. */
export class RunnerStoppedError extends JobError {
  static override name = 'RunnerStoppedError'
  override name = 'RunnerStoppedError'
}

/** The task was aborted by its owner (e.g. its lease was lost): the worker was terminated. */
export class TaskAbortedError extends JobError {
  static override name = 'TaskAbortedError'
  override name = 'TaskAbortedError'
}

/** The paused task left this peer (live migration handed it to another): nothing is reported here. */
export class TaskHandedOverError extends JobError {
  static override name = 'TaskHandedOverError'
  override name = 'TaskHandedOverError'
}

const SANDBOX_ERRORS: Record<string, new (message: string) => JobError> = {
  JobTimeoutError,
  JobMemoryError,
  JobTrapError,
  InvalidModuleError,
  UnsupportedImportError,
  JobOutputLimitError,
  JobWorkerError,
  InvalidJobError
}

/** A sandbox error as it crosses a worker boundary. */
export interface SerializedJobError {
  name: string
  message: string
}

export function serializeJobError (err: unknown): SerializedJobError {
  if (err instanceof JobError) return { name: err.name, message: err.message }
  if (err instanceof Error) return { name: 'JobWorkerError', message: `${err.name}: ${err.message}` }
  return { name: 'JobWorkerError', message: String(err) }
}

/** The typed error for a serialized one; an unknown name becomes a `JobWorkerError`. */
export function sandboxErrorFrom (e: SerializedJobError): JobError {
  const Ctor = Object.hasOwn(SANDBOX_ERRORS, e.name) ? SANDBOX_ERRORS[e.name] : undefined
  return Ctor != null ? new Ctor(e.message) : new JobWorkerError(`${e.name}: ${e.message}`)
}
