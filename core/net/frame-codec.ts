/**
 * Codec of the request/response protocol: length-prefixed frames and the response envelope.
 *
 *   frame    := varUint(length) • bytes(length)              (unsigned LEB128, minimal, ≤ 5 bytes)
 *   request  := frame(payload)
 *   response := frame(varUint(0) • payload)                  success
 *             | frame(varUint(1) • varString(message))       the remote handler failed
 *
 * `FrameDecoder` is incremental (bytes arrive in arbitrary chunks) and rejects an oversize frame as
 * soon as its length prefix is read — before buffering any of it — so a peer cannot make us
 * allocate more than `maxFrameSize`. The varint is written here rather than taken from a library
 * because that early rejection must happen inside the incremental prefix read.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { FrameTooLargeError, MalformedMessageError, TruncatedFrameError } from './errors.ts'

/** Longest accepted length prefix: 5 LEB128 bytes hold any length below 2^35. */
const MAX_PREFIX_BYTES = 5

export const RESPONSE_OK = 0
export const RESPONSE_ERROR = 1
const MAX_ERROR_TEXT = 1024

/** Encodes one frame; throws `FrameTooLargeError` when `payload` exceeds `maxFrameSize`. */
export function encodeFrame (payload: Uint8Array, maxFrameSize: number): Uint8Array {
  if (!(payload instanceof Uint8Array)) throw new TypeError('frame payload must be a Uint8Array')
  if (payload.length > maxFrameSize) throw new FrameTooLargeError(payload.length, maxFrameSize)
  const prefix: number[] = []
  let n = payload.length
  do {
    let byte = n & 0x7f
    n = Math.floor(n / 128)
    if (n > 0) byte |= 0x80
    prefix.push(byte)
  } while (n > 0)
  const out = new Uint8Array(prefix.length + payload.length)
  out.set(prefix, 0)
  out.set(payload, prefix.length)
  return out
}

/** Incremental frame decoder: `push` chunks, get complete frames; `end` checks nothing is left over. */
export class FrameDecoder {
  private chunks: Uint8Array[] = []
  private size = 0
  /** Length of the frame being read, once its prefix is complete. */
  private want = -1

  constructor (readonly maxFrameSize: number) {}

  /** Bytes held that do not yet form a complete frame. */
  get buffered (): number {
    return this.size
  }

  /** Adds bytes; returns every frame they complete. Throws on an oversize or malformed prefix. */
  push (chunk: Uint8Array): Uint8Array[] {
    if (chunk.length > 0) { this.chunks.push(chunk); this.size += chunk.length }
    const frames: Uint8Array[] = []
    for (;;) {
      if (this.want < 0 && !this.readPrefix()) break
      if (this.size < this.want) break
      frames.push(this.take(this.want))
      this.want = -1
    }
    return frames
  }

  /** Call at end of input: throws `TruncatedFrameError` when a frame was started but not finished. */
  end (): void {
    if (this.size > 0 || this.want >= 0) {
      throw new TruncatedFrameError(this.want >= 0
        ? `input ended ${this.want - this.size} bytes short of a ${this.want}-byte frame`
        : 'input ended inside a length prefix')
    }
  }

  /** Reads the length prefix if it is complete; returns false when more bytes are needed. */
  private readPrefix (): boolean {
    if (this.size === 0) return false
    const head = this.peek(Math.min(this.size, MAX_PREFIX_BYTES))
    let value = 0
    for (let i = 0; i < head.length; i++) {
      const byte = head[i]
      value += (byte & 0x7f) * 2 ** (7 * i)
      // reject as early as possible: even a partial prefix can already be too large
      if (value > this.maxFrameSize) throw new FrameTooLargeError(value, this.maxFrameSize)
      if ((byte & 0x80) === 0) {
        if (i > 0 && byte === 0) throw new MalformedMessageError('non-minimal frame length prefix')
        this.take(i + 1)
        this.want = value
        return true
      }
    }
    if (head.length >= MAX_PREFIX_BYTES) throw new MalformedMessageError('frame length prefix longer than 5 bytes')
    return false
  }

  private peek (n: number): Uint8Array {
    if (this.chunks[0].length >= n) return this.chunks[0].subarray(0, n)
    const out = new Uint8Array(n)
    let off = 0
    for (const c of this.chunks) {
      const part = c.subarray(0, n - off)
      out.set(part, off)
      off += part.length
      if (off === n) break
    }
    return out
  }

  private take (n: number): Uint8Array {
    if (n === 0) return new Uint8Array(0)
    const out = this.peek(n)
    const copy = out.buffer === this.chunks[0]?.buffer && this.chunks[0].length >= n ? out.slice() : out
    let left = n
    while (left > 0) {
      const c = this.chunks[0]
      if (c.length <= left) { this.chunks.shift(); left -= c.length } else { this.chunks[0] = c.subarray(left); left = 0 }
    }
    this.size -= n
    return copy
  }
}

/** Decodes input that must consist of whole frames only. */
export function decodeFrames (bytes: Uint8Array, maxFrameSize: number): Uint8Array[] {
  const decoder = new FrameDecoder(maxFrameSize)
  const frames = decoder.push(bytes)
  decoder.end()
  return frames
}

export type Response = { ok: true, payload: Uint8Array } | { ok: false, message: string }

export function encodeResponse (response: Response): Uint8Array {
  const encoder = encoding.createEncoder()
  if (response.ok) {
    encoding.writeVarUint(encoder, RESPONSE_OK)
    encoding.writeUint8Array(encoder, response.payload)
  } else {
    encoding.writeVarUint(encoder, RESPONSE_ERROR)
    encoding.writeVarString(encoder, response.message.slice(0, MAX_ERROR_TEXT))
  }
  return encoding.toUint8Array(encoder)
}

/** Decodes a response envelope; throws `MalformedMessageError` on anything else. */
export function decodeResponse (bytes: Uint8Array): Response {
  try {
    const decoder = decoding.createDecoder(bytes)
    const status = decoding.readVarUint(decoder)
    if (status === RESPONSE_OK) return { ok: true, payload: bytes.subarray(decoder.pos) }
    if (status === RESPONSE_ERROR) {
      const message = decoding.readVarString(decoder)
      if (decoding.hasContent(decoder)) throw new MalformedMessageError('trailing bytes after error response')
      return { ok: false, message }
    }
    throw new MalformedMessageError(`unknown response status ${status}`)
  } catch (err) {
    if (err instanceof MalformedMessageError) throw err
    throw new MalformedMessageError(`malformed response: ${err instanceof Error ? err.message : String(err)}`)
  }
}
