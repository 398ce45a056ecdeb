/**
 * LZ4 frame encoder: writes block-independent standard frames (lz4_Frame_format.md) one block at
 * a time — header, blocks (stored raw when compression would not shrink them), end mark, content
 * checksum — from an input buffer the loader fills. Constants are shared with the decoder in
 * lz4frame.ts.
 */
import { E_BAD_ARGUMENT, E_CONTENT_SIZE } from './errors'
import { SLACK, compressBound, compressFast, compressHC, HC_TABLE_BYTES } from './lz4block'
import {
  MAGIC, FLG_INDEP, FLG_BLOCK_CHECKSUM, FLG_CONTENT_SIZE, FLG_CONTENT_CHECKSUM, blockMaxOf
} from './lz4frame'
import { Xxh32State, xxh32, xxh32Digest, xxh32Reset, xxh32Update } from './xxhash'

// Encoder option bits (encCreate `flags`)
const OPT_BLOCK_CHECKSUM: i32 = 1
const OPT_CONTENT_CHECKSUM: i32 = 2
const OPT_CONTENT_SIZE: i32 = 4

// --- encoder --------------------------------------------------------------------------------

@unmanaged
class Encoder {
  level: i32 = 0
  flags: i32 = 0
  blockSizeId: u32 = 0
  blockMax: usize = 0
  inBuf: usize = 0 // blockMax + SLACK
  outBuf: usize = 0 // 8 + compressBound(blockMax) + SLACK
  table: usize = 0 // compressor scratch
  hash: usize = 0 // Xxh32State
  declared: u64 = 0 // content size written in the header
  consumed: u64 = 0
}

/** Creates an encoder; returns 0 for bad arguments. `contentSize` is used when flags has bit 4. */
export function encCreate (level: i32, blockSizeId: i32, flags: i32, contentSize: f64): usize {
  if (blockSizeId < 4 || blockSizeId > 7 || level < 0 || level > 12) return 0
  const e = changetype<Encoder>(heap.alloc(offsetof<Encoder>()))
  e.level = level
  e.flags = flags
  e.blockSizeId = <u32>blockSizeId
  e.blockMax = blockMaxOf(<u32>blockSizeId)
  e.inBuf = heap.alloc(e.blockMax + SLACK)
  e.outBuf = heap.alloc(8 + compressBound(e.blockMax) + SLACK)
  e.table = heap.alloc(level >= 3 ? HC_TABLE_BYTES : 16384)
  e.hash = heap.alloc(offsetof<Xxh32State>())
  xxh32Reset(changetype<Xxh32State>(e.hash), 0)
  e.declared = <u64>contentSize
  e.consumed = 0
  return changetype<usize>(e)
}

export function encFree (ctx: usize): void {
  const e = changetype<Encoder>(ctx)
  heap.free(e.inBuf); heap.free(e.outBuf); heap.free(e.table); heap.free(e.hash)
  heap.free(ctx)
}

export function encInputPtr (ctx: usize): usize { return changetype<Encoder>(ctx).inBuf }
export function encOutputPtr (ctx: usize): usize { return changetype<Encoder>(ctx).outBuf }
export function encBlockMax (ctx: usize): usize { return changetype<Encoder>(ctx).blockMax }

/** Writes the frame header into the output buffer; returns its length. */
export function encHeader (ctx: usize): i32 {
  const e = changetype<Encoder>(ctx)
  const o = e.outBuf
  store<u32>(o, MAGIC)
  let flg: u32 = 0x40 | FLG_INDEP
  if (e.flags & OPT_BLOCK_CHECKSUM) flg |= FLG_BLOCK_CHECKSUM
  if (e.flags & OPT_CONTENT_SIZE) flg |= FLG_CONTENT_SIZE
  if (e.flags & OPT_CONTENT_CHECKSUM) flg |= FLG_CONTENT_CHECKSUM
  store<u8>(o + 4, <u8>flg)
  store<u8>(o + 5, <u8>(e.blockSizeId << 4))
  let len: usize = 6
  if (e.flags & OPT_CONTENT_SIZE) { store<u64>(o + 6, e.declared); len = 14 }
  store<u8>(o + len, <u8>(xxh32(o + 4, len - 4, 0) >> 8))
  return <i32>(len + 1)
}

/** Compresses `n` (1..blockMax) bytes from the input buffer into one block; returns its length. */
export function encBlock (ctx: usize, n: usize): i32 {
  const e = changetype<Encoder>(ctx)
  if (n == 0 || n > e.blockMax) return -E_BAD_ARGUMENT
  e.consumed += <u64>n
  if (e.flags & OPT_CONTENT_CHECKSUM) xxh32Update(changetype<Xxh32State>(e.hash), e.inBuf, n)
  const data = e.outBuf + 4
  let size = e.level >= 3
    ? compressHC(e.inBuf, n, data, e.table, 1 << (e.level - 1))
    : compressFast(e.inBuf, n, data, e.table)
  if (size >= n) {
    // Incompressible: store it raw (high bit of the size word).
    memory.copy(data, e.inBuf, n)
    size = n
    store<u32>(e.outBuf, <u32>n | 0x80000000)
  } else {
    store<u32>(e.outBuf, <u32>size)
  }
  let len: usize = 4 + size
  if (e.flags & OPT_BLOCK_CHECKSUM) { store<u32>(e.outBuf + len, xxh32(data, size, 0)); len += 4 }
  return <i32>len
}

/** Writes the end mark and content checksum; returns their length or -E_CONTENT_SIZE. */
export function encEnd (ctx: usize): i32 {
  const e = changetype<Encoder>(ctx)
  if ((e.flags & OPT_CONTENT_SIZE) != 0 && e.consumed != e.declared) return -E_CONTENT_SIZE
  store<u32>(e.outBuf, 0)
  if (e.flags & OPT_CONTENT_CHECKSUM) {
    store<u32>(e.outBuf + 4, xxh32Digest(changetype<Xxh32State>(e.hash)))
    return 8
  }
  return 4
}

