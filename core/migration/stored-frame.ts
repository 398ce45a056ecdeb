/**
 * LZ4 frames that store a chunk raw, for chunks that would not compress (precopy.ts).
 *
 * Running the LZ4 compressor over random bytes costs the most of a migration's per-chunk work
 * (~20 MB/s for 8 KiB chunks on this machine under load, against ~60 MB/s to decode) and saves
 * nothing. A chunk whose sampled bytes take most of the 256 values (`looksIncompressible`) is
 * instead sent as a standard LZ4 frame holding one *uncompressed* block (LZ4 frame format §
 * "Data Blocks": the block size's high bit set), which any LZ4 decoder reads; `readStoredFrame`
 * reads exactly that shape back without a decoder context. Everything else is compressed as
 * before. The wire format does not change (PROTOCOL.md `chunkFrame`), and the chunk's xxh64 is
 * checked after either path.
 */
import { xxh32 } from '../../core-wasm/index.ts'

const MAGIC = 0x184d2204
const FLG_VERSION = 0x40 // version 01
const FLG_INDEPENDENT = 0x20
const FLG_BLOCK_CHECKSUM = 0x10
const FLG_CONTENT_SIZE = 0x08
const FLG_CONTENT_CHECKSUM = 0x04
const FLG_DICT_ID = 0x01
const BD_64K = 0x40 // block maximum size 64 KiB
const STORED = 0x80000000
const SAMPLES = 512
/** distinct byte values among `SAMPLES` sampled bytes at or over which a chunk counts as random (random bytes give ~221 ± 6) */
const DISTINCT_RANDOM = 180

/** True when `chunk` (≥ 4 KiB) looks like random bytes: LZ4 would not shrink it. Cheap: 512 sampled bytes. */
export function looksIncompressible (chunk: Uint8Array): boolean {
  if (chunk.length < 4096) return false
  const seen = new Uint8Array(256)
  let distinct = 0
  const step = Math.floor(chunk.length / SAMPLES)
  for (let i = 0; i < SAMPLES; i++) {
    const b = chunk[i * step]
    if (seen[b] === 0) { seen[b] = 1; distinct++ }
  }
  return distinct >= DISTINCT_RANDOM
}

/** A standard LZ4 frame holding `chunk` (at most 64 KiB) as one uncompressed block, with its content size. */
export function storedFrame (chunk: Uint8Array): Uint8Array {
  if (chunk.length > 65536) throw new RangeError('a stored frame holds at most 64 KiB')
  const out = new Uint8Array(4 + 2 + 8 + 1 + 4 + chunk.length + 4)
  const v = new DataView(out.buffer)
  v.setUint32(0, MAGIC, true)
  out[4] = FLG_VERSION | FLG_INDEPENDENT | FLG_CONTENT_SIZE
  out[5] = BD_64K
  v.setBigUint64(6, BigInt(chunk.length), true)
  out[14] = (xxh32(out.subarray(4, 14)) >>> 8) & 0xff // header checksum
  v.setUint32(15, (chunk.length | STORED) >>> 0, true)
  out.set(chunk, 19)
  v.setUint32(19 + chunk.length, 0, true) // end mark
  return out
}

/**
 * The data of a frame of exactly the shape `storedFrame` makes (one uncompressed block of at most
 * `max` bytes, the end mark, nothing after; a content size, if declared, equal to it), as a view;
 * undefined for anything else (the caller decodes it with a real LZ4 decoder). Its integrity is
 * the caller's check (the chunk's xxh64).
 */
export function readStoredFrame (frame: Uint8Array, max: number): Uint8Array | undefined {
  if (frame.length < 4 + 2 + 1 + 4 + 4) return undefined
  const v = new DataView(frame.buffer, frame.byteOffset, frame.byteLength)
  if (v.getUint32(0, true) !== MAGIC) return undefined
  const flg = frame[4]
  if ((flg & 0xc0) !== FLG_VERSION || (flg & (FLG_BLOCK_CHECKSUM | FLG_CONTENT_CHECKSUM | FLG_DICT_ID | 0x02)) !== 0) return undefined
  let at = 6
  let declared: number | undefined
  if ((flg & FLG_CONTENT_SIZE) !== 0) {
    if (frame.length < at + 8 + 1 + 4 + 4) return undefined
    const size = v.getBigUint64(at, true)
    if (size > BigInt(max)) return undefined
    declared = Number(size)
    at += 8
  }
  if (frame[at] !== ((xxh32(frame.subarray(4, at)) >>> 8) & 0xff)) return undefined
  at += 1
  const word = v.getUint32(at, true)
  if ((word & STORED) === 0) return undefined
  const len = (word & ~STORED) >>> 0
  at += 4
  if (len > max || (declared != null && declared !== len) || at + len + 4 !== frame.length) return undefined
  if (v.getUint32(at + len, true) !== 0) return undefined
  return frame.subarray(at, at + len)
}
