/** Errors of the Node side of shared state: the data dir and the local control endpoint. */
import { StateError } from '../../core/state/errors.ts'

/** The data dir's database is held by a running peer and its control endpoint does not answer. */
export class DataDirLockedError extends StateError {
  static override name = 'DataDirLockedError'
  override name = 'DataDirLockedError'
}

/** The control endpoint answered with an error it could not map to a known error class. */
export class ControlError extends StateError {
  static override name = 'ControlError'
  override name = 'ControlError'
}
