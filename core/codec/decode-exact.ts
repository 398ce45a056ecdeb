/**
 * The frame every lib0 decoder in core/ shares: run a reader over exactly `bytes`, turn lib0's plain
 * errors (a truncated varint, a string past the end) into the caller's typed decode error, and
 * refuse trailing bytes. Each codec keeps its own error class (a peer's bad message is reported in
 * the protocol's own terms); this only removes the copies of the wrapper.
 */
import * as decoding from 'lib0/decoding'

export interface DecodeErrors {
  /** The codec's own error class: thrown as is when a reader throws it. */
  own: abstract new (...args: never[]) => Error
  /** Builds the codec's error for `detail` ("<what>: trailing bytes", "<what>: <lib0 message>"). */
  make: (detail: string) => Error
}

/** Runs `read` over `bytes`; any failure becomes the codec's error, and so do trailing bytes. */
export function decodeExact<T> (bytes: Uint8Array, what: string, read: (d: decoding.Decoder) => T, errors: DecodeErrors): T {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${what} must be a Uint8Array`)
  const d = decoding.createDecoder(bytes)
  let out: T
  try {
    out = read(d)
  } catch (err) {
    if (err instanceof errors.own) throw err
    throw errors.make(`${what}: ${err instanceof Error ? err.message : String(err)}`)
  }
  if (decoding.hasContent(d)) throw errors.make(`${what}: trailing bytes`)
  return out
}
