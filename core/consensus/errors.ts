/**
 * Errors of the consensus subsystem. Control-plane errors are classes with a static `name`
 * (tests assert on `name`); the per-message rejections inside the state machine are not thrown
 * at all but counted under the numeric/string reasons in `RejectReason` (see replica.ts).
 */
export class ConsensusError extends Error {
  static override name = 'ConsensusError'
  override name = 'ConsensusError'
}

/** Bytes that are not a well-formed consensus message (truncated, trailing bytes, bad field). */
export class MessageDecodeError extends ConsensusError {
  static override name = 'MessageDecodeError'
  override name = 'MessageDecodeError'
}

/** A message type byte this codec does not know. */
export class UnknownMessageTypeError extends MessageDecodeError {
  static override name = 'UnknownMessageTypeError'
  override name = 'UnknownMessageTypeError'
  constructor (readonly messageType: number) {
    super(`unknown consensus message type ${messageType}`)
  }
}

/** Well-formed but not in canonical form (e.g. an over-long varint): rejected so one message has one encoding. */
export class NonCanonicalEncodingError extends MessageDecodeError {
  static override name = 'NonCanonicalEncodingError'
  override name = 'NonCanonicalEncodingError'
}

/** Invalid replica/protocol configuration (n, f, sample size, quorum). */
export class ConsensusConfigError extends ConsensusError {
  static override name = 'ConsensusConfigError'
  override name = 'ConsensusConfigError'
}
