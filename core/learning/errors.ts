/**
 * Errors of the learning subsystem (control plane). Tests assert on `name`.
 * Rejections of individual updates in the hot path are not thrown: they are counted by reason
 * (see `validate.ts`), so one bad client never aborts a round.
 */

/** An error as one line for a log: its name and message. */
export function errorText (err: unknown): string { return err instanceof Error ? `${err.name}: ${err.message}` : String(err) }

export class LearningError extends Error {
  static override name = 'LearningError'
  override name = 'LearningError'
}

/** A configuration value is invalid (bad partition spec, impossible privacy target, ...). */
export class LearningConfigError extends LearningError {
  static override name = 'LearningConfigError'
  override name = 'LearningConfigError'
}

/** An encoded update could not be decoded (truncated, bad header, bad sizes). */
export class UpdateDecodeError extends LearningError {
  static override name = 'UpdateDecodeError'
  override name = 'UpdateDecodeError'
  constructor (message: string, readonly code: number) {
    super(message)
  }
}

/** No tfjs backend in the requested list could be initialised. */
export class BackendUnavailableError extends LearningError {
  static override name = 'BackendUnavailableError'
  override name = 'BackendUnavailableError'
}

/** The privacy budget is spent and the policy is 'stop'. */
export class PrivacyBudgetExceededError extends LearningError {
  static override name = 'PrivacyBudgetExceededError'
  override name = 'PrivacyBudgetExceededError'
}

/** What is wrong with a data file (`DataSourceError.problem`). */
export type DataProblem = 'unreadable' | 'json' | 'structure' | 'ragged' | 'label' | 'number' | 'empty' | 'mismatch'

/**
 * A data file (LEAF JSON, CSV, a data directory) is malformed: `file` names it, `problem` says
 * what kind of fault it is (tests assert on it), the message says where (user, row, line).
 */
export class DataSourceError extends LearningError {
  static override name = 'DataSourceError'
  override name = 'DataSourceError'
  constructor (readonly file: string, readonly problem: DataProblem, detail: string) {
    super(`${file}: ${detail}`)
  }
}

/** A live-learning message (core/learning/live/codec.ts) could not be decoded. */
export class LiveDecodeError extends LearningError {
  static override name = 'LiveDecodeError'
  override name = 'LiveDecodeError'
}

/** A live-learning request was refused or failed (the peer said why, or did not answer). */
export class LiveRoundError extends LearningError {
  static override name = 'LiveRoundError'
  override name = 'LiveRoundError'
}

/** Weights fetched by hash did not hash to it: refused. */
export class WeightsHashMismatchError extends LearningError {
  static override name = 'WeightsHashMismatchError'
  override name = 'WeightsHashMismatchError'
}

/** Why a peer refused a coordinator's `hold` (core/learning/live/holds.ts); each is counted in `stats.holdsRefused`. */
export type HoldRefusal = 'another-task' | 'not-learner' | 'stale' | 'not-started' | 'too-often' | 'base-not-held' | 'malformed'

/** A `hold` was refused: `reason` says which rule (tests assert on it), the message the detail. */
export class HoldRefusedError extends LearningError {
  static override name = 'HoldRefusedError'
  override name = 'HoldRefusedError'
  constructor (readonly reason: HoldRefusal, detail: string) {
    super(`hold refused (${reason}): ${detail}`)
  }
}
