/**
 * Errors of the ledger (control plane: classes with a static `name`, tests assert on `name`).
 * Bad bytes from a peer are a `LedgerDecodeError` inside the codec and a counted rejection in the
 * shell, never an exception in the event loop.
 */
export class LedgerError extends Error {
  static override name = 'LedgerError'
  override name = 'LedgerError'
}

/** Bytes that are not a well-formed ledger message, block, microblock, entry or genesis. */
export class LedgerDecodeError extends LedgerError {
  static override name = 'LedgerDecodeError'
  override name = 'LedgerDecodeError'
}

/** A stored or received block (or the genesis) does not verify; `height` names it (-1: genesis). */
export class LedgerVerifyError extends LedgerError {
  static override name = 'LedgerVerifyError'
  override name = 'LedgerVerifyError'
  constructor (readonly height: number, message: string) {
    super(`ledger does not verify at height ${height}: ${message}`)
  }
}

/** A submitted entry was not committed in time. */
export class SubmitTimeoutError extends LedgerError {
  static override name = 'SubmitTimeoutError'
  override name = 'SubmitTimeoutError'
}

/** An entry was refused: before submission (its validator, the settings table) or at apply. */
export class EntryRefusedError extends LedgerError {
  static override name = 'EntryRefusedError'
  override name = 'EntryRefusedError'
  constructor (readonly reason: string) {
    super(`entry refused: ${reason}`)
  }
}

/** An operation that needs this peer to be a replica of the current epoch. */
export class NotReplicaError extends LedgerError {
  static override name = 'NotReplicaError'
  override name = 'NotReplicaError'
}

/** The ledger is not running (submit before start or after stop). */
export class LedgerStoppedError extends LedgerError {
  static override name = 'LedgerStoppedError'
  override name = 'LedgerStoppedError'
}

/**
 * The mesh's `maxFrameSize` is below what the ledger's largest gossip record needs (gossipsub drops
 * a longer message as it arrives: committed blocks would never reach followers); names both numbers.
 */
export class MeshFrameSizeError extends LedgerError {
  static override name = 'MeshFrameSizeError'
  override name = 'MeshFrameSizeError'
  constructor (readonly maxFrameSize: number, readonly needed: number) {
    super(`mesh.maxFrameSize is ${maxFrameSize} bytes, below the ${needed} bytes the ledger's largest gossip record needs (a full block, its certificate and gossipsub's envelope)`)
  }
}
