/**
 * Matches at every short distance: the decoder's overlap path (distance < 16 builds its pattern
 * with one swizzle and stores it at a stride that is a multiple of the distance), the plain
 * 16/32-byte copies just above it (16–70), and lengths around every copy width (4–20, 31–33,
 * 47–49, 64, 100, 274, 1000, 4099). Frames are built sequence by sequence here, so each
 * (distance, length) pair is exercised exactly, in the fast loop (many sequences per block) and in
 * the careful loop (one sequence per block, decoded into a buffer of exactly the right size), and
 * the reference `lz4 -d` must restore the same frames to the same bytes. Then the compressor on
 * data that repeats at those distances, both ways with `lz4`.
 */
import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { lz4 } from '../_support/lz4-cli.ts'
import {
  compressFrame, decompressFrame, decompressFrameInto, initCoreWasm, Lz4Error, Lz4ErrorCode, Lz4FrameDecoder, xxh32
} from '../../core-wasm/index.ts'

const DISTANCES = Array.from({ length: 70 }, (_, i) => i + 1)
const LENGTHS = [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 31, 32, 33, 47, 48, 49, 64, 100, 274, 1000, 4099]


/** xorshift32 bytes: fixed seed, so every run builds the same frames. */
function noise (seed: number): (n: number) => number[] {
  let x = seed
  return n => Array.from({ length: n }, () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x & 255 })
}

/** Builds raw LZ4 blocks and the bytes they must decode to (LZ77 copy semantics, byte by byte). */
class BlockWriter {
  bytes: number[] = []
  out: number[] = []

  #length (n: number): void {
    for (; n >= 255; n -= 255) this.bytes.push(255)
    this.bytes.push(n)
  }

  /** One sequence: `literals`, then `len` bytes copied from `dist` bytes back (omit len: literals only, the last sequence). */
  sequence (literals: number[], dist?: number, len?: number): void {
    const ml = len === undefined ? 0 : len - 4
    this.bytes.push((Math.min(literals.length, 15) << 4) | Math.min(ml, 15))
    if (literals.length >= 15) this.#length(literals.length - 15)
    this.bytes.push(...literals)
    this.out.push(...literals)
    if (dist === undefined || len === undefined) return
    this.bytes.push(dist & 255, dist >> 8)
    if (ml >= 15) this.#length(ml - 15)
    for (let i = 0; i < len; i++) this.out.push(this.out[this.out.length - dist])
  }
}

/** A standard frame (independent blocks, 256 KiB max, content checksum) holding these blocks. */
function frame (blocks: number[][], content: Uint8Array): Uint8Array {
  const descriptor = Uint8Array.of(0x64, 0x50) // version 01, independent blocks, content checksum; 256 KiB
  const parts: number[] = [0x04, 0x22, 0x4D, 0x18, ...descriptor, (xxh32(descriptor) >>> 8) & 255]
  const le32 = (v: number): number[] => [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, v >>> 24]
  for (const b of blocks) parts.push(...le32(b.length), ...b)
  parts.push(...le32(0), ...le32(xxh32(content)))
  return Uint8Array.from(parts)
}

const eq = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0

before(async () => { await initCoreWasm() })

test('every distance 1-70 x every length, many sequences per block (fast loop): ours and lz4 -d agree with the LZ77 semantics', () => {
  const rnd = noise(0x5eed)
  const blocks: number[][] = []
  const content: number[] = []
  for (const dist of DISTANCES) {
    // One block per distance; each sequence brings `dist` fresh literals (so a match reaches back into
    // bytes no earlier match wrote), then copies `len` bytes at that distance. The block's size is
    // not a multiple of 16, which also drives the streaming checksum through its partial stripes.
    const w = new BlockWriter()
    for (const len of LENGTHS) w.sequence(rnd(dist), dist, len)
    w.sequence(rnd(16 + dist))
    blocks.push(w.bytes)
    content.push(...w.out)
  }
  const expected = Uint8Array.from(content)
  const f = frame(blocks, expected)
  assert.ok(eq(decompressFrame(f), expected), 'decompressFrame output differs from the LZ77 semantics')
  assert.ok(eq(lz4(['-d', '-c'], f), expected), 'lz4 -d output differs from the LZ77 semantics')
  const out = new Uint8Array(expected.length)
  assert.equal(decompressFrameInto(f, out), expected.length)
  assert.ok(eq(out, expected))
  // Fed in uneven pieces: the same bytes block by block.
  const dec = new Lz4FrameDecoder()
  const pieces: Uint8Array[] = []
  for (let i = 0; i < f.length; i += 997) pieces.push(...dec.push(f.subarray(i, i + 997)))
  dec.finish()
  assert.ok(eq(Buffer.concat(pieces), expected))
})

test('every distance 1-70 x every length as the only match of a block (careful loop), into an exactly sized buffer', () => {
  const rnd = noise(0xd15c)
  const frames: Uint8Array[] = []
  const contents: Uint8Array[] = []
  for (const dist of DISTANCES) {
    for (const len of LENGTHS) {
      const w = new BlockWriter()
      w.sequence(rnd(dist), dist, len)
      w.sequence(rnd(16))
      const expected = Uint8Array.from(w.out)
      const f = frame([w.bytes], expected)
      // Exact capacity: the block's output buffer ends where the data ends (overshoot only into slack).
      const out = new Uint8Array(expected.length)
      assert.equal(decompressFrameInto(f, out), expected.length, `distance ${dist}, length ${len}`)
      assert.ok(eq(out, expected), `distance ${dist}, length ${len}: output differs`)
      // One byte short: a typed error, and nothing written past the buffer.
      const short = new Uint8Array(expected.length - 1)
      assert.throws(() => decompressFrameInto(f, short), (e: unknown) => e instanceof Lz4Error && e.code === Lz4ErrorCode.OUTPUT_LIMIT)
      frames.push(f)
      contents.push(expected)
    }
  }
  // The reference decodes the same frames, concatenated, to the same bytes.
  assert.ok(eq(lz4(['-d', '-c'], Buffer.concat(frames)), Buffer.concat(contents)), 'lz4 -d output differs')
})

test('compressing data that repeats at every distance 1-70: round trip, real savings, and lz4 -d restores it', () => {
  const rnd = noise(0xc0de)
  const parts: number[] = []
  for (const dist of DISTANCES) {
    for (const len of [8, 17, 33, 100, 1000, 5000]) {
      const seed = rnd(dist)
      for (let i = 0; i < dist + len; i++) parts.push(seed[i % dist])
      parts.push(...rnd(7)) // a break, so the next run starts a new match
    }
  }
  const data = Uint8Array.from(parts)
  for (const level of [1, 9]) {
    const f = compressFrame(data, { level })
    assert.ok(f.length < data.length / 4, `level ${level}: only ${data.length} -> ${f.length} bytes: the repeats were not matched`)
    assert.ok(eq(decompressFrame(f), data), `level ${level}: round trip differs`)
    assert.ok(eq(lz4(['-d', '-c'], f), data), `level ${level}: lz4 -d output differs`)
  }
  // And the other way: lz4's own frames of the same data (it picks its own match lengths).
  for (const flag of ['-1', '-9']) assert.ok(eq(decompressFrame(lz4([flag, '-c'], data)), data), `lz4 ${flag} frame`)
})
