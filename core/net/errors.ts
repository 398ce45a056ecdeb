/**
 * Typed errors of the mesh layer (core/net).
 *
 * One base class, `MeshError`, with a subclass per failure a caller may want to tell apart. Every
 * subclass sets a static and an instance `name` (libp2p's `errors.ts` habit) so tests and callers
 * branch on `err.name`, never on message text. Errors that come from a remote peer's bytes
 * (`FrameTooLargeError`, `TruncatedFrameError`, `MalformedMessageError`) are caught at the stream
 * boundary and never reach an honest peer's event loop.
 */

export class MeshError extends Error {
  static override name = 'MeshError'
  override name = 'MeshError'
}

/** One problem with one configuration field. */
export interface ConfigIssue {
  /** The field's name in the `Init` object, e.g. `maxPeers` or `bootstrap[1]`. */
  field: string
  /** What is wrong with it, in words. */
  problem: string
}

/** Invalid configuration: lists every bad field at once, not only the first. */
export class ConfigError extends MeshError {
  static override name = 'ConfigError'
  override name = 'ConfigError'
  readonly issues: readonly ConfigIssue[]
  constructor (issues: ConfigIssue[]) {
    super(`invalid mesh configuration: ${issues.map(i => `${i.field}: ${i.problem}`).join('; ')}`)
    this.issues = Object.freeze(issues.map(i => Object.freeze({ ...i })))
  }
}

/** A frame (or its declared length) exceeds the maximum frame size. */
export class FrameTooLargeError extends MeshError {
  static override name = 'FrameTooLargeError'
  override name = 'FrameTooLargeError'
  constructor (readonly length: number, readonly maxFrameSize: number) {
    super(`frame of ${length} bytes exceeds the maximum of ${maxFrameSize}`)
  }
}

/** The input ended in the middle of a frame (its length prefix or its payload). */
export class TruncatedFrameError extends MeshError {
  static override name = 'TruncatedFrameError'
  override name = 'TruncatedFrameError'
}

/** Bytes that do not follow the grammar: an over-long varint, an unknown message type, ... */
export class MalformedMessageError extends MeshError {
  static override name = 'MalformedMessageError'
  override name = 'MalformedMessageError'
}

/** A request got no complete response within its timeout. */
export class RequestTimeoutError extends MeshError {
  static override name = 'RequestTimeoutError'
  override name = 'RequestTimeoutError'
  constructor (readonly protocol: string, readonly timeoutMs: number) {
    super(`request on ${protocol} timed out after ${timeoutMs} ms`)
  }
}

/** The remote handler failed; carries the remote's error text (never its stack). */
export class RemoteError extends MeshError {
  static override name = 'RemoteError'
  override name = 'RemoteError'
}

/** The node is not started (or is stopping) and cannot do what was asked. */
export class NotStartedError extends MeshError {
  static override name = 'NotStartedError'
  override name = 'NotStartedError'
}

/**
 * The mesh dialer gave up on a WebRTC dial: no progress for its idle limit, past its hard cap, or
 * (`afterIce`) no link within its ICE-stage limit after the ICE candidate exchange began.
 */
export class DialStalledError extends MeshError {
  static override name = 'DialStalledError'
  override name = 'DialStalledError'
  readonly afterIce: boolean
  constructor (message: string, afterIce = false) {
    super(message)
    this.afterIce = afterIce
  }
}

/** `MeshNode.ping`: the peer has no open link without relay limits. */
export class NoUsableLinkError extends MeshError {
  static override name = 'NoUsableLinkError'
  override name = 'NoUsableLinkError'
}

/** `MeshNode.ping`: no echo within the caller's timeout. */
export class PingTimeoutError extends MeshError {
  static override name = 'PingTimeoutError'
  override name = 'PingTimeoutError'
}

/** A direct link was closed because its far end stopped answering keep-alive pings (silent-links.ts). */
export class SilentLinkError extends MeshError {
  static override name = 'SilentLinkError'
  override name = 'SilentLinkError'
}
