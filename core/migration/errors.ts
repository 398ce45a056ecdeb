/**
 * Typed errors of live migration (core/migration). Each sets a static and an instance `name`
 * (the jobs layer's habit) so callers branch on `err.name`.
 */

export class MigrationError extends Error {
  static override name = 'MigrationError'
  override name = 'MigrationError'
}

/** Why a module cannot be checkpointed; it still runs, unmigratable. */
export type NotCheckpointableReason =
  | 'parse-failed' // binaryen could not read the module
  | 'no-memory' // it defines no memory of its own (or more than one)
  | 'already-instrumented' // it exports asyncify_* or our global names, or imports novacron.*, already
  | 'instrument-failed' // the asyncify pass or validation failed
  | 'too-large' // the module, or the instrumented module, is over the size bound
  | 'foreign-imports' // it imports more than WASI functions (precheck.ts; was `no-wasi-calls` before loops had poll points)

/** The module cannot be checkpointed; `reason` says why. */
export class NotCheckpointableError extends MigrationError {
  static override name = 'NotCheckpointableError'
  override name = 'NotCheckpointableError'
  constructor (readonly reason: NotCheckpointableReason, message: string) {
    super(message)
  }
}

/** A snapshot does not fit the module it is resumed with, or the resume went wrong. */
export class ResumeError extends MigrationError {
  static override name = 'ResumeError'
  override name = 'ResumeError'
}

/** Bytes that are not a valid snapshot or migration frame. */
export class MigrationDecodeError extends MigrationError {
  static override name = 'MigrationDecodeError'
  override name = 'MigrationDecodeError'
}

/** A chunk whose bytes do not match its hash (corrupted in transit). */
export class ChunkHashError extends MigrationError {
  static override name = 'ChunkHashError'
  override name = 'ChunkHashError'
  constructor (readonly hash: string, message: string) {
    super(message)
  }
}

/** A migration could not be done (no target accepted, the task ended, the handover was refused…); the task runs on here. */
export class MigrationFailedError extends MigrationError {
  static override name = 'MigrationFailedError'
  override name = 'MigrationFailedError'
}

/**
 * The task did not stop within the reply timeout: it stops only at a WASI call, and a loop that
 * makes none cannot be stopped inside it. The migration fails; the task runs on here.
 */
export class PauseTimeoutError extends MigrationFailedError {
  static override name = 'PauseTimeoutError'
  override name = 'PauseTimeoutError'
}

/** `migrate` named a task that is not running checkpointably on this peer. */
export class NotMigratableError extends MigrationError {
  static override name = 'NotMigratableError'
  override name = 'NotMigratableError'
}

/** The target is linked to this peer only through the relay, and no direct link opened in time. */
export class NoDirectLinkError extends MigrationError {
  static override name = 'NoDirectLinkError'
  override name = 'NoDirectLinkError'
}
