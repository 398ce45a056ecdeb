/**
 * Errors of the learning subsystem (control plane). Tests assert on `name`.
 * Rejections of individual updates in the hot path are not thrown: they are counted by reason
 * (see `validate.ts`), so one bad client never aborts a round.
 */

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
