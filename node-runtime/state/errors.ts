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

/** No peer runs on this machine and there is no stored state to read or change. */
export class NoStoreError extends StateError {
  static override name = 'NoStoreError'
  override name = 'NoStoreError'
}

/** `--peer <name>` names no running peer. */
export class PeerNotRunningError extends StateError {
  static override name = 'PeerNotRunningError'
  override name = 'PeerNotRunningError'
}

/** `--name` (or the default name) of a starting peer is held by a running peer. */
export class PeerNameInUseError extends StateError {
  static override name = 'PeerNameInUseError'
  override name = 'PeerNameInUseError'
}
