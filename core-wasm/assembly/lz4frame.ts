/**
 * The standard LZ4 frame format (lz4_Frame_format.md v1.6.x): shared constants, and a
 * push-driven decoder state machine that accepts
 * input in pieces of any size, emits one decoded block at a time, verifies every checksum, and
 * handles concatenated frames, skippable frames and block-linked frames written by `lz4 -BD`.
 *
 * The encoder is in lz4encode.ts. Both are unmanaged structs in linear memory (created and freed
 * by the loader), so a 256 MiB stream only ever needs a few blocks inside the module.
 * Decoder memory is bounded by 3 x min(blockMax, maxOutput) + 64 KiB + a few hundred bytes
 * (staging for two compressed blocks, one decoded block, the history window).
 */
import {
  E_BAD_BLOCK_SIZE_ID, E_BAD_MAGIC, E_BLOCK_CHECKSUM, E_BLOCK_TOO_LARGE, E_CONTENT_CHECKSUM,
  E_CONTENT_SIZE, E_DICTIONARY, E_HEADER_CHECKSUM, E_LEGACY_FORMAT, E_OUTPUT_LIMIT,
  E_RESERVED_BIT, E_TRUNCATED, E_UNSUPPORTED_VERSION
} from './errors'
import { SLACK } from './lz4block'
import { decompressBlock } from './lz4decode'
import { Xxh32State, xxh32, xxh32Digest, xxh32Reset, xxh32Update } from './xxhash'

export const MAGIC: u32 = 0x184D2204
const SKIPPABLE_MASK: u32 = 0xFFFFFFF0
const SKIPPABLE_MAGIC: u32 = 0x184D2A50
const LEGACY_MAGIC: u32 = 0x184C2102
const HIST: usize = 65536 // history kept for block-linked frames

// FLG bits
export const FLG_INDEP: u32 = 0x20
export const FLG_BLOCK_CHECKSUM: u32 = 0x10
export const FLG_CONTENT_SIZE: u32 = 0x08
export const FLG_CONTENT_CHECKSUM: u32 = 0x04
const FLG_DICT_ID: u32 = 0x01


/** Block maximum size for a BD block-size id (4..7 -> 64 KiB, 256 KiB, 1 MiB, 4 MiB). */
// @ts-ignore: decorator
@inline export function blockMaxOf (id: u32): usize {
  return <usize>1 << (8 + 2 * id)
}

// --- decoder --------------------------------------------------------------------------------

const S_MAGIC: i32 = 0 // expecting a frame (or skippable frame) header
const S_BLOCK: i32 = 1 // expecting a block size word (or the end mark)
const S_CHECKSUM: i32 = 2 // expecting the content checksum
const S_SKIP: i32 = 3 // skipping a skippable frame's payload
const S_FAILED: i32 = 4 // sticky error

/** decStep results. */
const R_NEED_INPUT: i32 = 0
const R_OUTPUT: i32 = 1
const R_PROGRESS: i32 = 2

@unmanaged
class Decoder {
  state: i32 = 0
  error: i32 = 0
  flg: u32 = 0
  framesDone: u32 = 0
  blockMax: usize = 0
  inBuf: usize = 0
  inCap: usize = 0
  inStart: usize = 0
  inEnd: usize = 0
  outBuf: usize = 0 // HIST + outCap + SLACK
  outCap: usize = 0
  outLen: usize = 0
  outPtr: usize = 0 // the decoded block: outBuf + HIST, or a raw block where it lies in inBuf
  histLen: usize = 0
  maxOutput: u64 = 0
  produced: u64 = 0
  frameProduced: u64 = 0
  contentSize: u64 = 0
  skipLeft: u64 = 0
  hash: usize = 0 // Xxh32State
}

/** Creates a decoder that fails with E_OUTPUT_LIMIT past `maxOutput` decoded bytes. */
export function decCreate (maxOutput: f64): usize {
  const d = changetype<Decoder>(heap.alloc(offsetof<Decoder>()))
  d.state = S_MAGIC
  d.error = 0
  d.flg = 0
  d.framesDone = 0
  d.blockMax = 0
  d.inCap = 4096
  d.inBuf = heap.alloc(d.inCap + SLACK)
  d.inStart = 0
  d.inEnd = 0
  d.outBuf = 0
  d.outCap = 0
  d.outLen = 0
  d.outPtr = 0
  d.histLen = 0
  d.maxOutput = <u64>maxOutput
  d.produced = 0
  d.frameProduced = 0
  d.contentSize = 0
  d.skipLeft = 0
  d.hash = heap.alloc(offsetof<Xxh32State>())
  return changetype<usize>(d)
}

export function decFree (ctx: usize): void {
  const d = changetype<Decoder>(ctx)
  heap.free(d.inBuf)
  if (d.outBuf != 0) heap.free(d.outBuf)
  heap.free(d.hash)
  heap.free(ctx)
}

export function decInputPtr (ctx: usize): usize { const d = changetype<Decoder>(ctx); return d.inBuf + d.inEnd }
export function decInputSpace (ctx: usize): usize { const d = changetype<Decoder>(ctx); return d.inCap - d.inEnd }
export function decCommit (ctx: usize, n: usize): void { const d = changetype<Decoder>(ctx); d.inEnd += n }
export function decOutputPtr (ctx: usize): usize { return changetype<Decoder>(ctx).outPtr }
export function decOutputLen (ctx: usize): usize { return changetype<Decoder>(ctx).outLen }
export function decProduced (ctx: usize): f64 { return <f64>changetype<Decoder>(ctx).produced }
/** The current frame's declared content size, or -1 when its header has none. */
export function decContentSize (ctx: usize): f64 {
  const d = changetype<Decoder>(ctx)
  return (d.flg & FLG_CONTENT_SIZE) != 0 ? <f64>d.contentSize : -1
}

function fail (d: Decoder, code: i32): i32 {
  d.state = S_FAILED
  d.error = code
  return -code
}

/**
 * True when `need` bytes are buffered. Otherwise makes room for them after the pending bytes —
 * moving those to the start of the staging buffer only when the unit would not fit where it is,
 * and growing the buffer to twice the unit (so most units arrive without a move) — and returns
 * false so the caller commits more input. `need` is bounded by the caller (<= blockMax + 8).
 */
function ensure (d: Decoder, need: usize): bool {
  const avail = d.inEnd - d.inStart
  if (avail >= need) return true
  if (d.inStart + need <= d.inCap) return false
  if (d.inStart > 0) {
    memory.copy(d.inBuf, d.inBuf + d.inStart, avail)
    d.inStart = 0
    d.inEnd = avail
  }
  if (d.inCap < need) {
    const cap = need << 1
    const fresh = heap.alloc(cap + SLACK)
    memory.copy(fresh, d.inBuf, avail)
    heap.free(d.inBuf)
    d.inBuf = fresh
    d.inCap = cap
  }
  return false
}

/**
 * Advances the decoder as far as one step: R_OUTPUT when a decoded block is ready at
 * decOutputPtr/decOutputLen (valid until the next step or commit), R_PROGRESS when it consumed a
 * header or trailer, R_NEED_INPUT when more input must be committed first, or a negative error
 * code (sticky).
 */
export function decStep (ctx: usize): i32 {
  const d = changetype<Decoder>(ctx)
  const st = d.state
  if (st == S_FAILED) return -d.error
  if (st == S_MAGIC) return stepHeader(d)
  if (st == S_BLOCK) return stepBlock(d)
  if (st == S_CHECKSUM) {
    if (!ensure(d, 4)) return R_NEED_INPUT
    const stored = load<u32>(d.inBuf + d.inStart)
    d.inStart += 4
    if (stored != xxh32Digest(changetype<Xxh32State>(d.hash))) return fail(d, E_CONTENT_CHECKSUM)
    return endFrame(d)
  }
  // S_SKIP
  const avail = <u64>(d.inEnd - d.inStart)
  if (avail == 0 && d.skipLeft > 0) return R_NEED_INPUT
  const n = avail < d.skipLeft ? avail : d.skipLeft
  d.inStart += <usize>n
  d.skipLeft -= n
  if (d.skipLeft == 0) d.state = S_MAGIC
  return R_PROGRESS
}

function stepHeader (d: Decoder): i32 {
  if (!ensure(d, 4)) return R_NEED_INPUT
  let p = d.inBuf + d.inStart
  const magic = load<u32>(p)
  if ((magic & SKIPPABLE_MASK) == SKIPPABLE_MAGIC) {
    if (!ensure(d, 8)) return R_NEED_INPUT
    p = d.inBuf + d.inStart
    d.skipLeft = <u64>load<u32>(p + 4)
    d.inStart += 8
    d.state = S_SKIP
    return R_PROGRESS
  }
  if (magic == LEGACY_MAGIC) return fail(d, E_LEGACY_FORMAT)
  if (magic != MAGIC) return fail(d, E_BAD_MAGIC)
  if (!ensure(d, 6)) return R_NEED_INPUT
  p = d.inBuf + d.inStart
  const flg = <u32>load<u8>(p + 4)
  const bd = <u32>load<u8>(p + 5)
  if ((flg >> 6) != 1) return fail(d, E_UNSUPPORTED_VERSION)
  if ((flg & 0x02) != 0 || (bd & 0x8F) != 0) return fail(d, E_RESERVED_BIT)
  const id = (bd >> 4) & 7
  if (id < 4) return fail(d, E_BAD_BLOCK_SIZE_ID)
  let hlen: usize = 7
  if (flg & FLG_CONTENT_SIZE) hlen += 8
  if (flg & FLG_DICT_ID) hlen += 4
  if (!ensure(d, hlen)) return R_NEED_INPUT
  p = d.inBuf + d.inStart
  if (<u32>load<u8>(p + hlen - 1) != ((xxh32(p + 4, hlen - 5, 0) >> 8) & 0xFF)) return fail(d, E_HEADER_CHECKSUM)
  if (flg & FLG_DICT_ID) return fail(d, E_DICTIONARY)
  d.flg = flg
  d.blockMax = blockMaxOf(id)
  d.contentSize = (flg & FLG_CONTENT_SIZE) ? load<u64>(p + 6) : 0
  if ((flg & FLG_CONTENT_SIZE) != 0 && d.contentSize > d.maxOutput - d.produced) return fail(d, E_OUTPUT_LIMIT)
  // Output capacity: one block, but never more than the caller allows in total.
  const remaining = d.maxOutput - d.produced
  const cap: usize = <u64>d.blockMax < remaining ? d.blockMax : <usize>remaining
  if (d.outCap < cap || d.outBuf == 0) {
    if (d.outBuf != 0) heap.free(d.outBuf)
    d.outBuf = heap.alloc(HIST + cap + SLACK)
    d.outCap = cap
  }
  d.inStart += hlen
  d.frameProduced = 0
  d.histLen = 0
  xxh32Reset(changetype<Xxh32State>(d.hash), 0)
  d.state = S_BLOCK
  return R_PROGRESS
}

function stepBlock (d: Decoder): i32 {
  if (!ensure(d, 4)) return R_NEED_INPUT
  const word = load<u32>(d.inBuf + d.inStart)
  if (word == 0) {
    d.inStart += 4
    if (d.flg & FLG_CONTENT_CHECKSUM) { d.state = S_CHECKSUM; return R_PROGRESS }
    return endFrame(d)
  }
  const size = <usize>(word & 0x7FFFFFFF)
  const raw = (word & 0x80000000) != 0
  if (size > d.blockMax) return fail(d, E_BLOCK_TOO_LARGE)
  // A block decodes to at least ~size*255/256 bytes, so one this large cannot fit the limit.
  const remaining = d.maxOutput - d.produced
  if (<u64>size > remaining + (remaining >> 7) + 16) return fail(d, E_OUTPUT_LIMIT)
  const checksummed = (d.flg & FLG_BLOCK_CHECKSUM) != 0
  const total: usize = 4 + size + (checksummed ? 4 : 0)
  if (!ensure(d, total)) return R_NEED_INPUT
  const data = d.inBuf + d.inStart + 4
  if (checksummed && xxh32(data, size, 0) != load<u32>(data + size)) return fail(d, E_BLOCK_CHECKSUM)
  let dst = d.outBuf + HIST
  let len: usize
  const linked = (d.flg & FLG_INDEP) == 0
  if (raw) {
    if (size > d.outCap) return fail(d, E_OUTPUT_LIMIT)
    // Independent blocks are handed out where they lie (valid until the next step); only linked
    // ones are copied, because the history window must follow them.
    if (linked) memory.copy(dst, data, size)
    else dst = data
    len = size
  } else {
    const r = decompressBlock(data, size, dst, d.outCap, linked ? d.histLen : 0)
    if (r < 0) {
      // Running out of a capacity smaller than the block maximum means the limit was hit.
      return fail(d, d.outCap < d.blockMax ? E_OUTPUT_LIMIT : -r)
    }
    len = <usize>r
  }
  if (<u64>len > remaining) return fail(d, E_OUTPUT_LIMIT)
  if ((d.flg & FLG_CONTENT_SIZE) != 0 && d.frameProduced + <u64>len > d.contentSize) return fail(d, E_CONTENT_SIZE)
  if (d.flg & FLG_CONTENT_CHECKSUM) xxh32Update(changetype<Xxh32State>(d.hash), dst, len)
  if ((d.flg & FLG_INDEP) == 0) {
    // Slide the 64 KiB window: [len, HIST + len) -> [0, HIST).
    memory.copy(d.outBuf, d.outBuf + len, HIST)
    d.histLen = d.histLen + len < HIST ? d.histLen + len : HIST
  }
  d.produced += <u64>len
  d.frameProduced += <u64>len
  d.inStart += total
  d.outLen = len
  d.outPtr = dst
  return R_OUTPUT
}

function endFrame (d: Decoder): i32 {
  if ((d.flg & FLG_CONTENT_SIZE) != 0 && d.frameProduced != d.contentSize) return fail(d, E_CONTENT_SIZE)
  d.framesDone++
  d.state = S_MAGIC
  return R_PROGRESS
}

/** Called when the input has ended: 0 if it ended on a frame boundary, else a negative code. */
export function decEnd (ctx: usize): i32 {
  const d = changetype<Decoder>(ctx)
  if (d.state == S_FAILED) return -d.error
  if (d.state != S_MAGIC || d.inEnd != d.inStart || d.framesDone == 0) return fail(d, E_TRUNCATED)
  return 0
}

export function decFramesDone (ctx: usize): u32 { return changetype<Decoder>(ctx).framesDone }
