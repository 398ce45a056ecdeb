/**
 * Round trips of the LZ4 frame codec: property tests (fast-check, seeded) over random and
 * compressible inputs and every option, streaming with random split points on both sides,
 * multi-block inputs, concatenated frames, and the memory bound of the streaming path.
 */
import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import fc from 'fast-check'
import {
  compressFrame, decompressFrame, decompressFrameInto, initCoreWasm, Lz4Error, Lz4ErrorCode, LZ4_BLOCK_SIZES, Lz4FrameDecoder, Lz4FrameEncoder,
  wasmMemoryBytes, type CompressFrameOptions
} from '../../core-wasm/index.ts'

before(async () => { await initCoreWasm() })

const options: fc.Arbitrary<CompressFrameOptions> = fc.record({
  level: fc.integer({ min: 0, max: 12 }),
  contentSize: fc.boolean(),
  blockChecksum: fc.boolean(),
  contentChecksum: fc.boolean(),
  blockSize: fc.constantFrom(...LZ4_BLOCK_SIZES)
})

/** Compressible data: runs and repeats of a small alphabet, mixed with noise. */
const compressible: fc.Arbitrary<Uint8Array> = fc.array(fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 40 }),
  fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 3000 })).map(([b, n]) => new Uint8Array(n).fill(b)),
  fc.constantFrom('quorum ', 'replica ', 'the mesh ', '{"peer":"12D3Koo"}').map(s => new TextEncoder().encode(s.repeat(7)))
), { maxLength: 60 }).map(parts => Uint8Array.from(parts.flatMap(p => [...p])))

const eq = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0

test('decompress(compress(x)) == x for random bytes and any options', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 4000 }), options, (data, opts) => {
    return eq(decompressFrame(compressFrame(data, opts)), data)
  }), { seed: 1, numRuns: 300 })
})

test('decompress(compress(x)) == x for compressible data and any options', () => {
  fc.assert(fc.property(compressible, options, (data, opts) => {
    const frame = compressFrame(data, opts)
    return eq(decompressFrame(frame), data)
  }), { seed: 2, numRuns: 300 })
})

test('streaming with random split points on both sides gives the same bytes', () => {
  fc.assert(fc.property(compressible, fc.array(fc.integer({ min: 1, max: 997 }), { minLength: 1, maxLength: 8 }), options, (data, cuts, opts) => {
    const enc = new Lz4FrameEncoder({ ...opts, contentSize: opts.contentSize === true ? data.length : undefined, blockSize: 65536 })
    const frameParts: Uint8Array[] = []
    let i = 0
    for (let k = 0; i < data.length; k++) { const n = cuts[k % cuts.length]; frameParts.push(...enc.push(data.subarray(i, i + n))); i += n }
    frameParts.push(...enc.finish())
    const frame = Buffer.concat(frameParts)
    const dec = new Lz4FrameDecoder()
    const out: Uint8Array[] = []
    i = 0
    for (let k = 0; i < frame.length; k++) { const n = cuts[(k + 1) % cuts.length]; out.push(...dec.push(frame.subarray(i, i + n))); i += n }
    dec.finish()
    return eq(Buffer.concat(out), data)
  }), { seed: 3, numRuns: 150 })
})

test('multi-block input (9 MiB, 4 MiB blocks) round trips; level 9 too', () => {
  const data = new Uint8Array(9 << 20)
  let x = 99
  for (let i = 0; i < data.length; i += 64) { x = (x * 1103515245 + 12345) >>> 0; data.fill(x >>> 24, i, i + (x & 63)) }
  for (const level of [1, 9]) {
    const frame = compressFrame(data, { level })
    assert.ok(frame.length < data.length / 2)
    assert.ok(eq(decompressFrame(frame, { maxOutputSize: data.length }), data))
  }
})

test('concatenated frames decode to the concatenation', () => {
  const a = new TextEncoder().encode('first frame '.repeat(100))
  const b = Uint8Array.from({ length: 3000 }, (_, i) => (i * 7919) & 255)
  const both = Buffer.concat([compressFrame(a), compressFrame(b, { level: 9, blockChecksum: true })])
  assert.ok(eq(decompressFrame(both), Buffer.concat([a, b])))
})

test('decompressFrameInto fills a caller buffer and refuses one too small', () => {
  const data = new TextEncoder().encode('reuse me '.repeat(1000))
  const frame = compressFrame(data, { contentSize: false })
  const out = new Uint8Array(data.length + 10)
  assert.equal(decompressFrameInto(frame, out), data.length)
  assert.ok(eq(out.subarray(0, data.length), data))
  assert.throws(() => decompressFrameInto(frame, new Uint8Array(100)), (e: unknown) => e instanceof Lz4Error && e.code === Lz4ErrorCode.OUTPUT_LIMIT)
})

test('the empty input is a valid frame: 15 bytes like lz4 writes, 23 with the content size', () => {
  const frame = compressFrame(new Uint8Array(0))
  assert.equal(frame.length, 23)
  assert.equal(decompressFrame(frame).length, 0)
  assert.equal(compressFrame(new Uint8Array(0), { contentSize: false }).length, 15)
})

test('streaming 48 MiB keeps WASM memory bounded (no whole-input buffer inside the module)', () => {
  const piece = new Uint8Array(1 << 20)
  for (let i = 0; i < piece.length; i++) piece[i] = (i * 31) % 251 < 120 ? 0 : (i * 7) & 255
  const enc = new Lz4FrameEncoder()
  const dec = new Lz4FrameDecoder()
  let restored = 0
  const check = (v: Uint8Array): void => { restored += v.length }
  for (let i = 0; i < 48; i++) enc.write(piece, c => dec.write(c, check))
  enc.end(c => dec.write(c, check))
  dec.finish()
  assert.equal(restored, 48 << 20)
  assert.ok(wasmMemoryBytes() < 40 << 20, `WASM memory grew to ${wasmMemoryBytes()} bytes`)
})
