/**
 * LZ4 block decompressor: a fast loop for the bulk of a block and a careful loop for its last
 * bytes, both checking every bound that could let input steer a read or write out of range.
 *
 * The fast loop runs while at least FAST_IN input bytes and FAST_OUT output bytes remain. There a
 * sequence with short lengths needs no per-copy check: its 16 literal bytes and its first 32 match
 * bytes land inside the buffers by construction, so a sequence costs one loop test, one offset
 * test and one length test. Long literal runs that would cross the marks go back to the careful
 * loop at the same token; long matches are checked against the real output end and may overshoot
 * it only into the SLACK bytes every buffer carries (lz4block.ts). Overlapping matches (distance
 * < 16) replicate their period with one swizzle and store that vector at a stride that is a
 * multiple of the period, instead of copying byte by byte.
 */
import { E_CORRUPT_BLOCK } from './errors'
import { wildCopy16 } from './wildcopy'

const MINMATCH: usize = 4
const FAST_IN: usize = 32 // fast loop: input bytes that must remain (16-byte literal read + offset)
const FAST_OUT: usize = 64 // fast loop: output bytes that must remain (14 literals + 32 match bytes)
const LONG_COPY: usize = 256 // literal runs above this use bulk memory.copy

// SHUF row d (d = 1..15), lane i = i mod d: swizzling the 16 bytes at `op - d` with it yields the
// next 16 output bytes of a match at distance d. STEP[d] = the largest multiple of d <= 16, the
// stride at which that same vector repeats.
const SHUF: usize = memory.data<u8>([
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 0 (unused)
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 1
  0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, // 2
  0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, // 3
  0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, // 4
  0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, // 5
  0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5, 0, 1, 2, 3, // 6
  0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, // 7
  0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7, // 8
  0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 2, 3, 4, 5, 6, // 9
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, // 10
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0, 1, 2, 3, 4, // 11
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0, 1, 2, 3, // 12
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0, 1, 2, // 13
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 0, 1, // 14
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0 // 15
], 16)
const STEP: usize = memory.data<u8>([16, 16, 16, 15, 16, 15, 12, 14, 16, 9, 10, 11, 12, 13, 14, 15])

/** Copies `n` bytes (n > 0) in 32-byte strides; may touch up to 31 bytes past either end. */
// @ts-ignore: decorator
@inline function wildCopy32 (dst: usize, src: usize, n: usize): void {
  const end = dst + n
  do {
    v128.store(dst, v128.load(src))
    v128.store(dst, v128.load(src, 16), 16)
    dst += 32; src += 32
  } while (dst < end)
}

/**
 * Copies a match of `len` bytes from distance `offset` (1..65535, already checked to stay inside
 * the window) with the format's forward-overlap meaning. Writes at most 31 bytes past `op + len`
 * and never reads a byte at or after `op` before it has been written.
 */
// @ts-ignore: decorator
@inline function copyMatch (op: usize, offset: usize, len: usize): void {
  const m = op - offset
  if (offset >= 16) {
    // Each 16-byte load ends at least `offset - 16` bytes below its own store: already written.
    // Most matches are short: one 16-byte copy, the second only when needed (fewer stores for
    // later loads of this output to wait on; a few % faster on text, within this VM's noise).
    v128.store(op, v128.load(m))
    if (len > 16) {
      v128.store(op, v128.load(m, 16), 16)
      if (len > 32) wildCopy32(op + 32, m + 32, len - 32)
    }
  } else {
    // Lanes >= offset of the load are unused by the swizzle (they may not be written yet).
    const pat = i8x16.swizzle(v128.load(m), v128.load(SHUF + (offset << 4)))
    const step = <usize>load<u8>(STEP + offset)
    const end = op + len
    let d = op
    do { v128.store(d, pat); d += step } while (d < end)
  }
}

/**
 * Decompresses one block. `src..src+srcLen` is input (SLACK readable bytes after it), output goes
 * to `dst` (capacity `dstCap`, SLACK writable bytes after it), and matches may reach back
 * `prefixLen` bytes before `dst` (the previous 64 KiB of a block-linked frame).
 * Returns the decompressed size, or -E_CORRUPT_BLOCK.
 */
export function decompressBlock (src: usize, srcLen: usize, dst: usize, dstCap: usize, prefixLen: usize): i32 {
  let ip = src
  const iend = src + srcLen
  let op = dst
  const oend = dst + dstCap
  const lowest = dst - prefixLen
  if (srcLen == 0) return -E_CORRUPT_BLOCK
  if (srcLen > FAST_IN && dstCap > FAST_OUT) {
    const ilimit = iend - FAST_IN
    const olimit = oend - FAST_OUT
    while (ip < ilimit && op < olimit) {
      const token = <usize>load<u8>(ip)
      let lit = token >> 4
      if (lit < 15) {
        // ip + 17 <= iend and op + 16 < oend: one fixed copy covers any short run.
        v128.store(op, v128.load(ip, 1))
        ip += lit + 1
        op += lit
      } else {
        let p = ip + 1
        let b: usize = 255
        while (b == 255 && p < ilimit) { b = <usize>load<u8>(p++); lit += b }
        // Only runs that end before both marks stay here; the careful loop redoes the others
        // from this same token (nothing has been written for it yet).
        if (b == 255 || lit > ilimit - p || lit > olimit - op) break
        if (lit <= LONG_COPY) wildCopy32(op, p, lit)
        else memory.copy(op, p, lit)
        ip = p + lit
        op += lit
      }
      // Now ip + 2 < iend (short run: ip < ilimit + 15; long run: ip <= ilimit).
      const offset = <usize>load<u16>(ip)
      ip += 2
      // Offset 0 wraps to the maximum, so one unsigned test rejects it and any reach before the window.
      if (offset - 1 >= op - lowest) return -E_CORRUPT_BLOCK
      let ml = (token & 15) + MINMATCH
      if (ml == 15 + MINMATCH) {
        let b: usize
        do {
          if (ip >= iend) return -E_CORRUPT_BLOCK
          b = <usize>load<u8>(ip++)
          ml += b
        } while (b == 255)
        if (ml > oend - op) return -E_CORRUPT_BLOCK
      } // else ml <= 18 and op < olimit + 15: the match ends well before oend.
      copyMatch(op, offset, ml)
      op += ml
    }
  }
  // Careful loop: the last sequences (and small blocks), every copy checked against both ends.
  while (true) {
    if (ip >= iend) return -E_CORRUPT_BLOCK // a block must end with a literals-only sequence
    const token = <usize>load<u8>(ip++)
    let litLen = token >> 4
    if (litLen == 15) {
      let b: usize
      do {
        if (ip >= iend) return -E_CORRUPT_BLOCK
        b = <usize>load<u8>(ip++)
        litLen += b
      } while (b == 255)
    }
    if (litLen > iend - ip || litLen > oend - op) return -E_CORRUPT_BLOCK
    // SLACK covers the strides' overshoot on both sides; long runs use bulk memory.
    if (litLen > LONG_COPY) memory.copy(op, ip, litLen)
    else if (litLen > 0) wildCopy16(op, ip, litLen)
    ip += litLen
    op += litLen
    if (ip == iend) break // the last sequence carries literals only
    if (iend - ip < 2) return -E_CORRUPT_BLOCK
    const offset = <usize>load<u16>(ip)
    ip += 2
    if (offset - 1 >= op - lowest) return -E_CORRUPT_BLOCK
    let matchLen = token & 15
    if (matchLen == 15) {
      let b: usize
      do {
        if (ip >= iend) return -E_CORRUPT_BLOCK
        b = <usize>load<u8>(ip++)
        matchLen += b
      } while (b == 255)
    }
    matchLen += MINMATCH
    if (matchLen > oend - op) return -E_CORRUPT_BLOCK
    copyMatch(op, offset, matchLen)
    op += matchLen
  }
  return <i32>(op - dst)
}
