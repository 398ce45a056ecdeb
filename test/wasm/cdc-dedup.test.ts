/**
 * Content-defined chunking and deltas: chunk sizes respect min/max and cover the input exactly,
 * cuts are deterministic and independent of how far the data extends, an edit disturbs only the
 * chunks around it (so a changed snapshot shares most chunks), and createDelta/applyDelta and the
 * recipe codec round-trip and reject tampering with DedupError. xxHash64 is checked against the
 * published test values.
 */
import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import fc from 'fast-check'
import {
  applyDelta, chunkData, createDelta, decodeDelta, decodeRecipe, DedupError, encodeDelta, encodeRecipe, initCoreWasm, xxh32, xxh64, xxh64Hex
} from '../../core-wasm/index.ts'

before(async () => { await initCoreWasm() })

function data (size: number, seed: number): Uint8Array {
  let x = seed >>> 0 || 1
  const out = new Uint8Array(size)
  for (let i = 0; i < size; i++) { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; out[i] = (x & 3) === 0 ? 32 : x >>> 24 }
  return out
}

test('xxHash32/64 match the reference values', () => {
  const enc = new TextEncoder()
  assert.equal(xxh32(new Uint8Array(0)), 0x02CC5D05)
  assert.equal(xxh32(enc.encode('abc')), 0x32D153FF)
  assert.equal(xxh64(new Uint8Array(0)), 0xEF46DB3751D8E999n)
  assert.equal(xxh64(enc.encode('abc')), 0x44BC2CF5AD770999n)
})

test('chunks cover the input exactly and respect min/avg/max (across the 4 MiB copy windows)', () => {
  const d = data(9 << 20, 1)
  const opts = { min: 2048, avg: 8192, max: 65536 }
  const chunks = chunkData(d, opts)
  let off = 0
  for (const [i, c] of chunks.entries()) {
    assert.equal(c.offset, off)
    assert.ok(c.length <= opts.max)
    if (i < chunks.length - 1) assert.ok(c.length >= opts.min, `chunk ${i} is ${c.length} bytes`)
    assert.match(c.hash, /^[0-9a-f]{16}$/)
    if (i % 97 === 0) assert.equal(c.hash, xxh64Hex(d.subarray(c.offset, c.offset + c.length)))
    off += c.length
  }
  assert.equal(off, d.length)
  const mean = d.length / chunks.length
  assert.ok(mean > 4096 && mean < 16384, `mean chunk ${mean}`)
  assert.deepEqual(chunkData(d, opts), chunks, 'deterministic')
})

test('cut points do not depend on what follows (streaming windows agree with one shot)', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 1 << 30 }), fc.integer({ min: 10_000, max: 300_000 }), (seed, size) => {
    const d = data(size, seed)
    const whole = chunkData(d, { min: 256, avg: 1024, max: 4096 })
    const prefix = chunkData(d.subarray(0, Math.floor(size / 2)), { min: 256, avg: 1024, max: 4096 })
    // Every chunk of the prefix except its last (cut by the end of input) is a chunk of the whole.
    return prefix.slice(0, -1).every((c, i) => whole[i].hash === c.hash && whole[i].length === c.length)
  }), { seed: 4, numRuns: 25 })
})

test('an insertion near the start disturbs only nearby chunks', () => {
  const d = data(2 << 20, 2)
  const edited = new Uint8Array(d.length + 7)
  edited.set(d.subarray(0, 5000)); edited.set([1, 2, 3, 4, 5, 6, 7], 5000); edited.set(d.subarray(5000), 5007)
  const before = new Set(chunkData(d).map(c => c.hash))
  const after = chunkData(edited)
  const shared = after.filter(c => before.has(c.hash)).length
  assert.ok(shared >= after.length - 3, `only ${shared} of ${after.length} chunks shared`)
})

test('a delta after a 5% change sends a small fraction and rebuilds the new snapshot exactly', () => {
  const old = data(4 << 20, 3)
  const changed = old.slice()
  let x = 77
  for (let k = 0; k < 20; k++) { x = (x * 1103515245 + 12345) >>> 0; const at = x % (changed.length - 10_500); changed.fill(k, at, at + 10_485) }
  const store = new Map(chunkData(old).map(c => [c.hash, old.subarray(c.offset, c.offset + c.length)]))
  const delta = createDelta(changed, store.keys())
  assert.ok(delta.stats.savedFraction > 0.8, `saved only ${delta.stats.savedFraction}`)
  assert.ok(delta.stats.sentBytes < changed.length * 0.2)
  // Over the wire: encode, decode (hashes checked), apply.
  const wire = encodeDelta(delta)
  assert.ok(wire.length < delta.stats.sentBytes + delta.recipe.chunks.length * 12 + 64)
  const received = decodeDelta(wire)
  assert.deepEqual(received.recipe, delta.recipe)
  for (const [h, bytes] of received.missing) store.set(h, bytes)
  assert.deepEqual(decodeRecipe(encodeRecipe(delta.recipe)), delta.recipe)
  assert.deepEqual(Buffer.from(applyDelta(received.recipe, h => store.get(h))), Buffer.from(changed))
})

test('decodeDelta rejects tampered chunks, junk and truncation with DedupError', () => {
  const wire = encodeDelta(createDelta(data(40_000, 8), []))
  const tampered = wire.slice(); tampered[tampered.length - 5] ^= 0x10
  assert.throws(() => decodeDelta(tampered), (e: unknown) => e instanceof DedupError && /hash/.test(e.message))
  for (let cut = 1; cut < wire.length; cut += 997) assert.throws(() => decodeDelta(wire.subarray(0, cut)), DedupError)
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), junk => {
    try { decodeDelta(junk) } catch (e) { return e instanceof DedupError }
    return true
  }), { seed: 6, numRuns: 1000 })
})

test('applyDelta rejects missing, resized and tampered chunks', () => {
  const d = data(100_000, 5)
  const delta = createDelta(d, [])
  const lookup = (h: string): Uint8Array | undefined => delta.missing.get(h)
  const first = delta.recipe.chunks[0].hash
  assert.throws(() => applyDelta(delta.recipe, h => h === first ? undefined : lookup(h)), (e: unknown) => e instanceof DedupError && /missing/.test(e.message))
  assert.throws(() => applyDelta(delta.recipe, h => h === first ? lookup(h)?.subarray(1) : lookup(h)), (e: unknown) => e instanceof DedupError)
  assert.throws(() => applyDelta(delta.recipe, h => { const b = lookup(h)?.slice(); if (b != null && h === first) b[0] ^= 1; return b }), (e: unknown) => e instanceof DedupError && /hash/.test(e.message))
  assert.throws(() => applyDelta({ ...delta.recipe, totalLength: 5 }, lookup), DedupError)
})

test('decodeRecipe rejects garbage with DedupError, never anything else', () => {
  const good = encodeRecipe(createDelta(data(50_000, 6), []).recipe)
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), bytes => {
    try { decodeRecipe(bytes) } catch (e) { return e instanceof DedupError }
    return true
  }), { seed: 5, numRuns: 2000 })
  for (let cut = 0; cut < good.length; cut += 3) assert.throws(() => decodeRecipe(good.subarray(0, cut)), DedupError)
  assert.throws(() => decodeRecipe(Uint8Array.of(1, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x80, 0x80, 0x80, 0x80, 0x08)), DedupError)
  assert.throws(() => decodeRecipe(good, { maxChunks: 1 }), DedupError)
})

test('chunking options are validated', () => {
  assert.throws(() => chunkData(new Uint8Array(10), { min: 9000, avg: 8192, max: 65536 }), RangeError)
  assert.throws(() => chunkData(new Uint8Array(10), { avg: 1.5 }), RangeError)
  assert.throws(() => chunkData('text' as unknown as Uint8Array), TypeError)
  assert.deepEqual(chunkData(new Uint8Array(0)), [])
})
