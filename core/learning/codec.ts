/**
 * Wire codec of model updates (`/novacron/learning/1.0.0`, grammar in PROTOCOL.md). One message
 * type carries a client's update or a relay's partial aggregate:
 *
 *   update := varUint(1) • varUint(round) • varUint(sender) • varUint(samples) • varUint(clients)
 *             • varUint(size) • varUint(flags) • varUint(bodyLength) • body[bodyLength]
 *   flags  := bit0 sparse • bit1 lz4-compressed body • bits4..7 quantisation bits (0 = float32)
 *   raw    := [sparse: varUint(k) • k × varUint(gap)] • values
 *   values := bits = 0 ? f32le[count] : varUint(chunkSize) • f32le[chunks] lo • f32le[chunks] step • packed
 *
 * Gaps are index differences (first gap = first index), so sorted sparse indices cost ~1–2 bytes.
 * The decoder is strict: every length is checked against the expected model size and the bytes
 * actually present, trailing bytes are an error, and failures are `UpdateDecodeError`s with a
 * numeric code — never an out-of-bounds read or an unbounded allocation.
 */
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'
import { UpdateDecodeError } from './errors.ts'
import { dequantize, packedLength, quantize, type QuantizedChunks, type Sparse } from './quantize.ts'
import type { Rng } from './rng.ts'

export const MSG_UPDATE = 1

/** Numeric decode error codes (hot path) and their messages. */
export const DecodeErrorCode = {
  Truncated: 1,
  UnknownType: 2,
  SizeMismatch: 3,
  BadFlags: 4,
  BadSparse: 5,
  BadQuant: 6,
  Trailing: 7,
  Decompress: 8,
  TooLarge: 9
} as const
const MESSAGES: Record<number, string> = {
  1: 'truncated update', 2: 'unknown message type', 3: 'model size mismatch', 4: 'bad flags',
  5: 'bad sparse index list', 6: 'bad quantisation header', 7: 'trailing bytes', 8: 'body decompression failed', 9: 'update larger than allowed'
}
function fail (code: number, detail = ''): never {
  throw new UpdateDecodeError(`${MESSAGES[code]}${detail === '' ? '' : `: ${detail}`}`, code)
}

/** Optional byte compressor (core-wasm's LZ4 frame when it is available). */
export interface Compressor {
  compress: (data: Uint8Array) => Uint8Array
  decompress: (frame: Uint8Array, maxOutputSize: number) => Uint8Array
}

export interface EncodeOptions {
  /** 0 = float32 values, else 1..8 bits with stochastic rounding. @default 0 */
  bits?: number
  /** @default 256 */
  chunkSize?: number
  compressor?: Compressor
}

export interface UpdateMessage {
  round: number
  sender: number
  /** Training samples behind this update (sum over the subtree for a partial aggregate). */
  samples: number
  /** Clients folded into this message (1 for a plain update). */
  clients: number
  /** Dense values (decoded view). */
  values: Float32Array
}

export interface EncodedUpdate { bytes: Uint8Array, /** What the receiver will decode (for error feedback). */ delivered: Float32Array }

function f32le (a: Float32Array): Uint8Array {
  const out = new Uint8Array(a.length * 4)
  const dv = new DataView(out.buffer)
  a.forEach((v, i) => dv.setFloat32(i * 4, v, true))
  return out
}
function readF32le (d: decoding.Decoder, n: number): Float32Array {
  need(d, n * 4)
  const bytes = decoding.readUint8Array(d, n * 4)
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const out = new Float32Array(n)
  for (let i = 0; i < n; i++) out[i] = dv.getFloat32(i * 4, true)
  return out
}
function need (d: decoding.Decoder, n: number): void {
  if (d.arr.length - d.pos < n) fail(DecodeErrorCode.Truncated)
}
function varUint (d: decoding.Decoder): number {
  try { return decoding.readVarUint(d) } catch { return fail(DecodeErrorCode.Truncated) }
}

/**
 * Encodes dense `values` (or a sparse selection of them) for the wire and returns the bytes and
 * the exact dense vector the receiver will reconstruct.
 */
export function encodeUpdate (msg: Omit<UpdateMessage, 'values'> & { values: Float32Array | Sparse }, rng: Rng, opts: EncodeOptions = {}): EncodedUpdate {
  const bits = opts.bits ?? 0
  const chunkSize = opts.chunkSize ?? 256
  const sparse = msg.values instanceof Float32Array ? null : msg.values
  const size = sparse != null ? sparse.size : (msg.values as Float32Array).length
  const vals = sparse != null ? sparse.values : msg.values as Float32Array
  const raw = encoding.createEncoder()
  if (sparse != null) {
    encoding.writeVarUint(raw, sparse.indices.length)
    let prev = 0
    sparse.indices.forEach((ix, j) => { encoding.writeVarUint(raw, j === 0 ? ix : ix - prev); prev = ix })
  }
  let sent: Float32Array
  if (bits === 0) {
    encoding.writeUint8Array(raw, f32le(vals))
    sent = Float32Array.from(vals)
  } else {
    const q = quantize(vals, bits, rng, chunkSize)
    encoding.writeVarUint(raw, chunkSize)
    encoding.writeUint8Array(raw, f32le(q.lo))
    encoding.writeUint8Array(raw, f32le(q.step))
    encoding.writeUint8Array(raw, q.packed)
    sent = dequantize(q)
  }
  let body: Uint8Array = encoding.toUint8Array(raw)
  let compressed = false
  if (opts.compressor != null) {
    const c = opts.compressor.compress(body)
    if (c.length < body.length) { body = c; compressed = true }
  }
  const flags = (sparse != null ? 1 : 0) | (compressed ? 2 : 0) | (bits << 4)
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, MSG_UPDATE)
  encoding.writeVarUint(e, msg.round)
  encoding.writeVarUint(e, msg.sender)
  encoding.writeVarUint(e, msg.samples)
  encoding.writeVarUint(e, msg.clients)
  encoding.writeVarUint(e, size)
  encoding.writeVarUint(e, flags)
  encoding.writeVarUint(e, body.length)
  encoding.writeUint8Array(e, body)
  let delivered = sent
  if (sparse != null) {
    delivered = new Float32Array(size)
    sparse.indices.forEach((ix, j) => { delivered[ix] = sent[j] })
  }
  return { bytes: encoding.toUint8Array(e), delivered }
}

/** Largest raw body the decoder will accept for a model of `size` parameters. */
export function maxRawBodyLength (size: number): number {
  return 5 + size * 5 + size * 4 + 16
}

export interface DecodeOptions {
  expectedSize: number
  /** Reject messages longer than this many bytes before parsing. @default maxRawBodyLength(size) + 64 */
  maxBytes?: number
  compressor?: Compressor
}

export function decodeUpdate (bytes: Uint8Array, opts: DecodeOptions): UpdateMessage {
  const maxBytes = opts.maxBytes ?? maxRawBodyLength(opts.expectedSize) + 64
  if (bytes.length > maxBytes) fail(DecodeErrorCode.TooLarge, `${bytes.length} > ${maxBytes}`)
  const d = decoding.createDecoder(bytes)
  const type = varUint(d)
  if (type !== MSG_UPDATE) fail(DecodeErrorCode.UnknownType, String(type))
  const round = varUint(d)
  const sender = varUint(d)
  const samples = varUint(d)
  const clients = varUint(d)
  const size = varUint(d)
  if (size !== opts.expectedSize) fail(DecodeErrorCode.SizeMismatch, `${size} != ${opts.expectedSize}`)
  const flags = varUint(d)
  if ((flags & 0b1100) !== 0 || flags > 0xff) fail(DecodeErrorCode.BadFlags, String(flags))
  const bits = flags >> 4
  if (bits > 8) fail(DecodeErrorCode.BadFlags, `bits ${bits}`)
  const bodyLength = varUint(d)
  need(d, bodyLength)
  let body = decoding.readUint8Array(d, bodyLength)
  if (decoding.hasContent(d)) fail(DecodeErrorCode.Trailing)
  if ((flags & 2) !== 0) {
    if (opts.compressor == null) fail(DecodeErrorCode.Decompress, 'no decompressor configured')
    try { body = opts.compressor.decompress(body, maxRawBodyLength(size)) } catch (err) { fail(DecodeErrorCode.Decompress, err instanceof Error ? err.message : String(err)) }
  }
  const b = decoding.createDecoder(body)
  let indices: Uint32Array | null = null
  if ((flags & 1) !== 0) {
    const k = varUint(b)
    if (k > size) fail(DecodeErrorCode.BadSparse, `k ${k} > size ${size}`)
    indices = new Uint32Array(k)
    let ix = -1
    for (let j = 0; j < k; j++) {
      const gap = varUint(b)
      if (j > 0 && gap === 0) fail(DecodeErrorCode.BadSparse, 'indices not increasing')
      ix = j === 0 ? gap : ix + gap
      if (ix >= size) fail(DecodeErrorCode.BadSparse, `index ${ix} >= ${size}`)
      indices[j] = ix
    }
  }
  const count = indices != null ? indices.length : size
  let vals: Float32Array
  if (bits === 0) {
    vals = readF32le(b, count)
  } else {
    const chunkSize = varUint(b)
    if (chunkSize < 1 || chunkSize > 1 << 20) fail(DecodeErrorCode.BadQuant, `chunkSize ${chunkSize}`)
    const chunks = Math.ceil(count / chunkSize)
    const lo = readF32le(b, chunks)
    const step = readF32le(b, chunks)
    const plen = packedLength(count, bits)
    need(b, plen)
    const q: QuantizedChunks = { bits, chunkSize, lo, step, packed: decoding.readUint8Array(b, plen), count }
    vals = dequantize(q)
  }
  if (decoding.hasContent(b)) fail(DecodeErrorCode.Trailing, 'in body')
  let values = vals
  if (indices != null) {
    values = new Float32Array(size)
    indices.forEach((ix, j) => { values[ix] = vals[j] })
  }
  return { round, sender, samples, clients, values }
}

/** Dense float32 size of a model broadcast (what the coordinator sends each selected client). */
export function encodeWeights (round: number, weights: Float32Array, rng: Rng, compressor?: Compressor): Uint8Array {
  return encodeUpdate({ round, sender: 0, samples: 0, clients: 0, values: weights }, rng, { bits: 0, compressor }).bytes
}
