/**
 * LZ4 block format, compression side: a fast greedy compressor (single-probe hash table, the
 * `lz4 -1` algorithm) and a hash-chain compressor with lazy matching for levels >= 3 (the "HC"
 * trade: slower, higher ratio). The decompressor is in lz4decode.ts.
 *
 * Buffers handed to the block functions are allocated by lz4frame.ts / lz4encode.ts with SLACK
 * spare bytes after their logical end, so the hot loops may copy in 16-byte (v128) or 32-byte
 * strides and overshoot the logical end without leaving their own allocation. Every *logical*
 * bound is still checked: the decompressor never reads past `srcLen` bytes of input it trusts,
 * never writes past `dstCap`, and never follows an offset before `dst - prefixLen`.
 */
import { wildCopy16 } from './wildcopy'

/** Spare bytes after every buffer that the wildcopy loops may touch. */
export const SLACK: usize = 64

const MINMATCH: usize = 4
const LASTLITERALS: usize = 5 // the last 5 bytes of a block are always literals
const MFLIMIT: usize = 12 // a match must start at least 12 bytes before the end
const MAX_DISTANCE: usize = 65535

/** Worst-case compressed size of `n` input bytes (LZ4_COMPRESSBOUND). */
export function compressBound (n: usize): usize {
  return n + n / 255 + 16
}

// --- shared helpers -------------------------------------------------------------------------

/** Length of the common prefix of `a` and `b`, not reading at or past `limit` on `a`'s side. */
// @ts-ignore: decorator
@inline function countMatch (a: usize, b: usize, limit: usize): usize {
  const start = a
  while (a + 8 <= limit) {
    const diff = load<u64>(a) ^ load<u64>(b)
    if (diff != 0) return a - start + <usize>(ctz<u64>(diff) >> 3)
    a += 8; b += 8
  }
  while (a < limit && load<u8>(a) == load<u8>(b)) { a++; b++ }
  return a - start
}


/** Writes a length continuation (the 255-run after a saturated token nibble); returns new op. */
// @ts-ignore: decorator
@inline function writeLength (op: usize, len: usize): usize {
  while (len >= 255) { store<u8>(op, 255); op++; len -= 255 }
  store<u8>(op, <u8>len)
  return op + 1
}

/** Emits one sequence (literals `anchor..ip`, then a match of `matchLen` at `offset`). */
// @ts-ignore: decorator
@inline function emitSequence (op: usize, anchor: usize, litLen: usize, offset: usize, matchLen: usize): usize {
  const token = op++
  let t: u32
  if (litLen >= 15) { t = 15 << 4; op = writeLength(op, litLen - 15) } else t = <u32>litLen << 4
  wildCopy16(op, anchor, litLen)
  op += litLen
  store<u16>(op, <u16>offset); op += 2
  const ml = matchLen - MINMATCH
  if (ml >= 15) { t |= 15; op = writeLength(op, ml - 15) } else t |= <u32>ml
  store<u8>(token, <u8>t)
  return op
}

/** Emits the final literals-only sequence. */
// @ts-ignore: decorator
@inline function emitLastLiterals (op: usize, anchor: usize, litLen: usize): usize {
  const token = op++
  if (litLen >= 15) { store<u8>(token, 15 << 4); op = writeLength(op, litLen - 15) } else store<u8>(token, <u8>(litLen << 4))
  memory.copy(op, anchor, litLen)
  return op + litLen
}

// --- fast compressor ------------------------------------------------------------------------

const FAST_HASH_LOG: u64 = 12 // 4096 entries x u32: the reference LZ4_MEMORY_USAGE=14 table
const SKIP_TRIGGER: u32 = 6 // the reference's acceleration step: probe less often on incompressible data

// @ts-ignore: decorator
@inline function hash5 (p: usize): usize {
  // The reference hashes 5 bytes on 64-bit targets (LZ4_hash5).
  return <usize>(((load<u64>(p) << 24) * 889523592379) >> (64 - FAST_HASH_LOG))
}

/**
 * Compresses `srcLen` bytes at `src` into `dst` (capacity >= compressBound(srcLen) + SLACK).
 * `table` is 4096 u32 (16 KiB) of scratch. Returns the compressed size.
 */
export function compressFast (src: usize, srcLen: usize, dst: usize, table: usize): usize {
  let op = dst
  let anchor = src
  const iend = src + srcLen
  if (srcLen < MFLIMIT + 1) return emitLastLiterals(op, anchor, srcLen) - dst
  memory.fill(table, 0, 4 << <usize>FAST_HASH_LOG)
  const mflimit = iend - MFLIMIT
  const matchlimit = iend - LASTLITERALS
  let ip = src
  store<u32>(table + (hash5(ip) << 2), 0)
  ip++
  let forwardH = hash5(ip)
  while (true) {
    // Find a match: probe every position, then faster as misses accumulate.
    let forwardIp = ip
    let step: u32 = 1
    let searchMatchNb: u32 = 1 << SKIP_TRIGGER
    let match: usize = 0
    do {
      const h = forwardH
      ip = forwardIp
      forwardIp += step
      step = searchMatchNb++ >> SKIP_TRIGGER
      if (forwardIp > mflimit) return emitLastLiterals(op, anchor, iend - anchor) - dst
      match = src + load<u32>(table + (h << 2))
      forwardH = hash5(forwardIp)
      store<u32>(table + (h << 2), <u32>(ip - src))
    } while (match + MAX_DISTANCE < ip || load<u32>(match) != load<u32>(ip))
    // Extend backwards over equal literals.
    while (ip > anchor && match > src && load<u8>(ip - 1) == load<u8>(match - 1)) { ip--; match-- }
    // Encode the sequence, then keep going while the next position matches immediately.
    while (true) {
      const matchLen = countMatch(ip + MINMATCH, match + MINMATCH, matchlimit) + MINMATCH
      op = emitSequence(op, anchor, ip - anchor, ip - match, matchLen)
      ip += matchLen
      anchor = ip
      if (ip > mflimit) return emitLastLiterals(op, anchor, iend - anchor) - dst
      store<u32>(table + (hash5(ip - 2) << 2), <u32>(ip - 2 - src))
      const h = hash5(ip)
      match = src + load<u32>(table + (h << 2))
      store<u32>(table + (h << 2), <u32>(ip - src))
      if (match + MAX_DISTANCE >= ip && load<u32>(match) == load<u32>(ip)) continue
      break
    }
    ip++
    forwardH = hash5(ip)
  }
  return 0 // unreachable
}

// --- hash-chain compressor (levels >= 3) ----------------------------------------------------

const HC_HASH_LOG: u32 = 15 // 32768 heads x u32
const HC_CHAIN_SIZE: usize = 65536 // u16 deltas, indexed by position & 0xffff
export const HC_TABLE_BYTES: usize = (4 << HC_HASH_LOG) + HC_CHAIN_SIZE * 2

// @ts-ignore: decorator
@inline function hash4 (p: usize): usize {
  return <usize>((load<u32>(p) * 2654435761) >> (32 - HC_HASH_LOG))
}

// Hash-chain state of the block being compressed (globals keep the inner loop register-friendly).
let hcBase: usize = 0 // block start
let hcHeads: usize = 0 // u32 heads: position+1 of the newest occurrence, 0 = none
let hcChain: usize = 0 // u16 back-deltas
let hcNext: usize = 0 // next position (relative) to insert
let hcMatchPos: usize = 0 // out: where the best match starts

// @ts-ignore: decorator
@inline function hcInsertUpTo (ip: usize): void {
  const target = ip - hcBase
  let i = hcNext
  while (i < target) {
    const hp = hcHeads + (hash4(hcBase + i) << 2)
    const prev = <usize>load<u32>(hp) // position+1
    let delta: usize = prev == 0 ? 0 : i + 1 - prev
    if (delta > MAX_DISTANCE) delta = 0
    store<u16>(hcChain + ((i & 0xffff) << 1), <u16>delta)
    store<u32>(hp, <u32>(i + 1))
    i++
  }
  hcNext = i
}

/** Longest match for `ip` (length, 0 if < MINMATCH); its start goes to hcMatchPos. */
function hcFind (ip: usize, matchlimit: usize, attempts: i32): usize {
  hcInsertUpTo(ip)
  const rel = ip - hcBase
  let best: usize = 0
  let cand = <usize>load<u32>(hcHeads + (hash4(ip) << 2)) // position+1
  if (cand == 0) return 0
  cand -= 1
  const head = load<u32>(ip)
  while (attempts-- > 0) {
    if (rel - cand > MAX_DISTANCE) break
    const m = hcBase + cand
    // Cheap reject: the byte at `best` must match before the full comparison can win.
    if (load<u8>(m + best) == load<u8>(ip + best) && load<u32>(m) == head) {
      const len = countMatch(ip + MINMATCH, m + MINMATCH, matchlimit) + MINMATCH
      if (len > best) {
        best = len
        hcMatchPos = m
        if (ip + len >= matchlimit) break
      }
    }
    const delta = <usize>load<u16>(hcChain + ((cand & 0xffff) << 1))
    if (delta == 0 || delta > cand) break
    cand -= delta
  }
  return best
}

/** Hash-chain compressor; `table` is HC_TABLE_BYTES of scratch. `attempts` bounds each search. */
export function compressHC (src: usize, srcLen: usize, dst: usize, table: usize, attempts: i32): usize {
  let op = dst
  let anchor = src
  const iend = src + srcLen
  if (srcLen < MFLIMIT + 1) return emitLastLiterals(op, anchor, srcLen) - dst
  memory.fill(table, 0, 4 << HC_HASH_LOG)
  hcBase = src; hcHeads = table; hcChain = table + (4 << HC_HASH_LOG); hcNext = 0
  const mflimit = iend - MFLIMIT
  const matchlimit = iend - LASTLITERALS
  // The lazy probe only has to beat a match already in hand: a quarter of the budget finds most
  // of what the full search would (measured at level 9: 1.3-2.7x faster, ratio within 1%).
  const lazyAttempts = attempts > 4 ? attempts >> 2 : attempts
  let ip = src
  while (ip <= mflimit) {
    let len = hcFind(ip, matchlimit, attempts)
    if (len < MINMATCH) { ip++; continue }
    let mpos = hcMatchPos
    // Lazy evaluation: prefer a strictly longer match starting one byte later (not worth a second
    // search once the match is already long).
    while (len < 64 && ip + 1 <= mflimit) {
      const len2 = hcFind(ip + 1, matchlimit, lazyAttempts)
      if (len2 > len) { ip++; len = len2; mpos = hcMatchPos } else break
    }
    op = emitSequence(op, anchor, ip - anchor, ip - mpos, len)
    ip += len
    anchor = ip
  }
  return emitLastLiterals(op, anchor, iend - anchor) - dst
}
