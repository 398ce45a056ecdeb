/**
 * Interoperability with the reference implementation, both ways, through real `lz4` processes:
 * frames we write are restored byte for byte by `lz4 -d`, and frames `lz4` writes (default, -9,
 * --content-size, -BX, -BD, small blocks) are restored by us. The CI installs lz4; without
 * /usr/bin/lz4 this test fails with a clear message instead of skipping.
 */
import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { lz4 } from '../_support/lz4-cli.ts'
import { compressFrame, decompressFrame, initCoreWasm, type CompressFrameOptions } from '../../core-wasm/index.ts'


/** Deterministic inputs with different shapes: text, runs, noise, mixed, sizes around block edges. */
function inputs (): Array<[string, Uint8Array]> {
  let x = 12345
  const rnd = (): number => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x }
  const noise = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => rnd() & 255)
  const text = new TextEncoder().encode(Array.from({ length: 40000 }, (_, i) => `line ${i % 977}: quorum ${rnd() % 50} of mesh peers`).join('\n'))
  const mixed = new Uint8Array(300_000)
  for (let i = 0; i < mixed.length; i += 1000) mixed.set(i % 3000 === 0 ? noise(1000) : text.subarray(i, i + 1000), i)
  return [
    ['empty', new Uint8Array(0)],
    ['one byte', Uint8Array.of(42)],
    ['12 bytes', noise(12)],
    ['13 bytes repeated', new Uint8Array(13).fill(7)],
    ['text 1.3 MB', text],
    ['zeros 70000', new Uint8Array(70000)],
    ['noise 65536', noise(65536)],
    ['noise 65537', noise(65537)],
    ['mixed 300000', mixed]
  ]
}

before(async () => {
  await initCoreWasm()
  lz4(['--version'], new Uint8Array(0))
})

const ourVariants: Array<[string, CompressFrameOptions]> = [
  ['level 1', {}],
  ['level 9', { level: 9 }],
  ['level 3, no content size', { level: 3, contentSize: false }],
  ['block checksums', { blockChecksum: true }],
  ['no content checksum, 64K blocks', { contentChecksum: false, blockSize: 65536 }],
  ['level 12, 256K blocks', { level: 12, blockSize: 262144 }]
]

for (const [variant, opts] of ourVariants) {
  test(`lz4 -d restores our frames (${variant})`, () => {
    for (const [name, data] of inputs()) {
      const frame = compressFrame(data, opts)
      const back = lz4(['-d', '-c'], frame)
      assert.equal(Buffer.compare(back, Buffer.from(data)), 0, `${name}: lz4 -d output differs`)
    }
  })
}

test('lz4 -d accepts our xxHash32 checksums at every length 0-300 and across 64 KiB block seams', () => {
  // Content checksums go through the streaming update, block checksums through the one-shot hash
  // (over compressed blocks of every size): both end in 32-byte SIMD stripes, one 16-byte stripe
  // and a scalar tail, so every length mod 32 and both paths are covered. lz4 fails on a mismatch.
  let x = 777
  const noise = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x & 3 })
  const datas: Uint8Array[] = []
  for (let n = 0; n <= 300; n++) datas.push(noise(n))
  for (const n of [65536 + 15, 65536 * 2 + 17, 65536 * 3 - 1]) datas.push(noise(n))
  const frames = datas.map(d => compressFrame(d, { blockChecksum: true, blockSize: 65536 }))
  const back = lz4(['-d', '-c'], Buffer.concat(frames))
  assert.equal(Buffer.compare(back, Buffer.concat(datas)), 0)
})

const theirVariants: string[][] = [[], ['-9'], ['--content-size'], ['-BX'], ['-BD', '-B4'], ['-12', '-BD', '-BX', '--content-size', '-B5'], ['--no-frame-crc'], ['--fast=5']]

for (const args of theirVariants) {
  test(`we restore frames from lz4 ${args.join(' ') || '(default)'}`, () => {
    for (const [name, data] of inputs()) {
      const frame = lz4(['-c', '-q', ...args], data)
      const back = decompressFrame(frame)
      assert.equal(Buffer.compare(Buffer.from(back), Buffer.from(data)), 0, `${name}: our output differs`)
    }
  })
}

test('our level 1 ratio matches lz4 -1: identical with the same block size, within 3% by default', () => {
  const [, text] = inputs()[4]
  const same = compressFrame(text, { contentSize: false, blockSize: 4194304 }).length
  const ours = compressFrame(text, { contentSize: false }).length
  const theirs = lz4(['-1', '-c'], text).length
  assert.ok(Math.abs(same / theirs - 1) < 0.002, `ours ${same} vs lz4 -1 ${theirs} (4 MiB blocks both)`)
  assert.ok(ours / theirs - 1 < 0.03, `ours ${ours} (256 KiB blocks) vs lz4 -1 ${theirs}`)
})

test('level 9 compresses text better than level 1', () => {
  const [, text] = inputs()[4]
  assert.ok(compressFrame(text, { level: 9 }).length < compressFrame(text).length * 0.9)
})
