/**
 * FastCDC-style content-defined chunking (Xia et al., USENIX ATC 2016): a gear rolling hash,
 * cut-point skipping below `min`, and normalized chunking — a stricter mask (more bits) before
 * `avg` and a looser one after it, which narrows the chunk-size distribution around `avg`.
 * Masks use the *high* bits of the 64-bit gear hash, because after `fp = (fp << 1) + G[b]` only
 * the high bits depend on a full 64-byte window. Each chunk is identified by its xxHash64.
 *
 * The gear table is derived from a fixed seed with SplitMix64, so every peer (browser or Node)
 * cuts identical data at identical places.
 */
import { xxh64 } from './xxhash'

const GEAR_SEED: u64 = 0x6E6F7661_63726F6E // "novacron"
const gear = memory.data(256 * 8)
let gearReady = false

function initGear (): void {
  let x = GEAR_SEED
  for (let i = 0; i < 256; i++) {
    x += 0x9E3779B97F4A7C15
    let z = x
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
    z = (z ^ (z >> 27)) * 0x94D049BB133111EB
    store<u64>(gear + (<usize>i << 3), z ^ (z >> 31))
  }
  gearReady = true
}

// @ts-ignore: decorator
@inline function highMask (bits: u32): u64 {
  return bits == 0 ? 0 : (~(<u64>0)) << (64 - <u64>bits)
}

/**
 * Length of the next chunk of `data[0..len)`, or 0 when `len < max` and not `eof` (more data is
 * needed to decide). `bits` = log2(avg).
 */
// @ts-ignore: decorator
@inline function cutPoint (p: usize, len: usize, min: usize, avg: usize, max: usize, maskS: u64, maskL: u64, eof: bool): usize {
  if (len <= min) return eof ? len : 0
  let end = len < max ? len : max
  let normal = avg < end ? avg : end
  let fp: u64 = 0
  let i = min
  while (i < normal) {
    fp = (fp << 1) + load<u64>(gear + (<usize>load<u8>(p + i) << 3))
    if ((fp & maskS) == 0) return i + 1
    i++
  }
  while (i < end) {
    fp = (fp << 1) + load<u64>(gear + (<usize>load<u8>(p + i) << 3))
    if ((fp & maskL) == 0) return i + 1
    i++
  }
  if (end == max || eof) return end
  return 0
}

let consumedBytes: usize = 0

/**
 * Cuts as many chunks as fit in `data[0..len)` and writes one 16-byte record per chunk to `out`
 * (u64 length, u64 xxHash64), at most `outCap` records. Returns the number of records;
 * cdcConsumed() tells how many input bytes they cover (the rest must be passed again with more
 * data, or with eof).
 */
export function cdcChunks (data: usize, len: usize, min: usize, avg: usize, max: usize, eof: bool, out: usize, outCap: i32): i32 {
  if (!gearReady) initGear()
  const bits = <u32>(31 - clz<u32>(<u32>avg))
  const maskS = highMask(bits + 1)
  const maskL = highMask(bits > 1 ? bits - 1 : 1)
  let off: usize = 0
  let n: i32 = 0
  while (n < outCap && off < len) {
    const cut = cutPoint(data + off, len - off, min, avg, max, maskS, maskL, eof)
    if (cut == 0) break
    store<u64>(out + (<usize>n << 4), <u64>cut)
    store<u64>(out + (<usize>n << 4) + 8, xxh64(data + off, cut, 0))
    off += cut
    n++
  }
  consumedBytes = off
  return n
}

export function cdcConsumed (): usize { return consumedBytes }
