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

/** bytes a stored frame adds to its chunk: header 15, block size 4, end mark 4 */
export const STORED_OVERHEAD = 23
const CANONICAL_FLG = FLG_VERSION | FLG_INDEPENDENT | FLG_CONTENT_SIZE

/** The 19 bytes before a stored chunk of `length` bytes (header and block size), by length: chunks have few lengths. */
const heads = new Map<number, Uint8Array>()
function storedHead (length: number): Uint8Array {
  let h = heads.get(length)
  if (h != null) return h
  h = new Uint8Array(19)
  const v = new DataView(h.buffer)
  v.setUint32(0, MAGIC, true)
  h[4] = CANONICAL_FLG
  h[5] = BD_64K
  v.setBigUint64(6, BigInt(length), true)
  h[14] = (xxh32(h.subarray(4, 14)) >>> 8) & 0xff // header checksum
  v.setUint32(15, (length | STORED) >>> 0, true)
  if (heads.size < 64) heads.set(length, h)
  return h
}

/** Writes the stored frame of `chunk` (at most 64 KiB) into `out` at `at` (`STORED_OVERHEAD` + its length bytes); the position after it. */
export function writeStoredFrame (out: Uint8Array, at: number, chunk: Uint8Array): number {
  if (chunk.length > 65536) throw new RangeError('a stored frame holds at most 64 KiB')
  out.set(storedHead(chunk.length), at)
  out.set(chunk, at + 19)
  const end = at + 19 + chunk.length
  out[end] = 0; out[end + 1] = 0; out[end + 2] = 0; out[end + 3] = 0 // end mark
  return end + 4
}

/** A standard LZ4 frame holding `chunk` (at most 64 KiB) as one uncompressed block, with its content size. */
export function storedFrame (chunk: Uint8Array): Uint8Array {
  const out = new Uint8Array(STORED_OVERHEAD + chunk.length)
  writeStoredFrame(out, 0, chunk)
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
  const check = flg === CANONICAL_FLG && frame[5] === BD_64K && declared != null && declared <= 65536
    ? storedHead(declared)[14] // the header storedFrame writes: its checksum is known
    : (xxh32(frame.subarray(4, at)) >>> 8) & 0xff
  if (frame[at] !== check) return undefined
  at += 1
  const word = v.getUint32(at, true)
  if ((word & STORED) === 0) return undefined
  const len = (word & ~STORED) >>> 0
  at += 4
  if (len > max || (declared != null && declared !== len) || at + len + 4 !== frame.length) return undefined
  if (v.getUint32(at + len, true) !== 0) return undefined
  return frame.subarray(at, at + len)
}
