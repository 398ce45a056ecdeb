/**
 * Typed errors of the shared-state subsystem (issue board, memory store, backups, replication).
 *
 * Control-plane errors: one base class, one subclass per failure, each with a static `name` so tests
 * and the CLI match on the name, never on message text (libp2p's `errors.ts` habit). Validation
 * errors carry the offending `field` so a caller can point at the flag or form input at fault.
 */
export class StateError extends Error {
  static override name = 'StateError'
  override name = 'StateError'
}

/** Input rejected by a schema check; `field` names the offending field. */
export class ValidationError extends StateError {
  static override name = 'ValidationError'
  override name = 'ValidationError'
  constructor (message: string, readonly field?: string) {
    super(message)
  }
}

export class UnknownStatusError extends ValidationError {
  static override name = 'UnknownStatusError'
  override name = 'UnknownStatusError'
}

export class UnknownTypeError extends ValidationError {
  static override name = 'UnknownTypeError'
  override name = 'UnknownTypeError'
}

export class PriorityRangeError extends ValidationError {
  static override name = 'PriorityRangeError'
  override name = 'PriorityRangeError'
}

export class ProgressRangeError extends ValidationError {
  static override name = 'ProgressRangeError'
  override name = 'ProgressRangeError'
}

export class OversizeTextError extends ValidationError {
  static override name = 'OversizeTextError'
  override name = 'OversizeTextError'
}

/** A link or parent names an issue that does not exist on this board. */
export class MissingIssueError extends ValidationError {
  static override name = 'MissingIssueError'
  override name = 'MissingIssueError'
}

/** Adding the link (or parent) would close a cycle; `cycle` lists the ids around it. */
export class DependencyCycleError extends ValidationError {
  static override name = 'DependencyCycleError'
  override name = 'DependencyCycleError'
  constructor (message: string, readonly cycle: string[]) {
    super(message, 'links')
  }
}

/** The id is not on the board (or its entry is invalid). */
export class IssueNotFoundError extends StateError {
  static override name = 'IssueNotFoundError'
  override name = 'IssueNotFoundError'
  constructor (readonly id: string) {
    super(`no issue '${id}'`)
  }
}

/** A memory key does not exist (or has expired) in the namespace. */
export class MemoryKeyNotFoundError extends StateError {
  static override name = 'MemoryKeyNotFoundError'
  override name = 'MemoryKeyNotFoundError'
  constructor (readonly namespace: string, readonly key: string) {
    super(`no key '${key}' in namespace '${namespace}'`)
  }
}

/** A JSON Lines import failed; nothing was applied. `line` is 1-based. */
export class ImportError extends StateError {
  static override name = 'ImportError'
  override name = 'ImportError'
  constructor (message: string, readonly line: number) {
    super(`line ${line}: ${message}`)
  }
}

/** Base of backup failures: in every case the store is left unchanged. */
export class BackupError extends StateError {
  static override name = 'BackupError'
  override name = 'BackupError'
}

/** The passphrase does not open this backup. */
export class WrongPassphraseError extends BackupError {
  static override name = 'WrongPassphraseError'
  override name = 'WrongPassphraseError'
}

/** The file is not a backup, or it was truncated or altered. */
export class CorruptBackupError extends BackupError {
  static override name = 'CorruptBackupError'
  override name = 'CorruptBackupError'
}

/** A replication frame that does not decode; the provider drops it and counts it. */
export class StateProtocolError extends StateError {
  static override name = 'StateProtocolError'
  override name = 'StateProtocolError'
}

/** A frame larger than the configured limit. */
export class MessageTooLargeError extends StateProtocolError {
  static override name = 'MessageTooLargeError'
  override name = 'MessageTooLargeError'
}

/** A peer went over its message or byte budget on the state protocol; its message was dropped. */
export class RateLimitedError extends StateProtocolError {
  static override name = 'RateLimitedError'
  override name = 'RateLimitedError'
}

/** An entry that fails authorship: author not accepted, structs outside its bound client id, or a bad signature. */
export class ForgedEntryError extends StateProtocolError {
  static override name = 'ForgedEntryError'
  override name = 'ForgedEntryError'
  constructor (message: string, readonly reason: 'author' | 'client' | 'signature') {
    super(message)
  }
}

/** An id prefix matches more than one issue. */
export class AmbiguousIdError extends StateError {
  static override name = 'AmbiguousIdError'
  override name = 'AmbiguousIdError'
  constructor (readonly prefix: string, readonly matches: string[]) {
    super(`'${prefix}' matches ${matches.length} issues (${matches.slice(0, 5).join(', ')}${matches.length > 5 ? ', …' : ''}): type more of the id`)
  }
}

/** A signed entry read back from the local store is missing or is not the entry that was stored. */
export class StoredEntryError extends StateError {
  static override name = 'StoredEntryError'
  override name = 'StoredEntryError'
}
