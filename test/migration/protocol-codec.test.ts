/**
 * The codec of `/novacron/migration/1.2.0` (core/migration/protocol-codec.ts), fuzzed with
 * fast-check under fixed seeds: every request and response round-trips exactly; any bytes, and any
 * truncation or byte flip of a valid encoding, decode or fail with a MigrationDecodeError — never
 * another error; counts over their bounds are refused before anything is allocated for them; a
 * `chunks` request written in place by the source (chunk-batch.ts) is the codec's own encoding.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import * as encoding from 'lib0/encoding'
import { initCoreWasm } from '../../core-wasm/index.ts'
import { ChunkBatchWriter, encodeChunkFrame } from '../../core/migration/chunk-batch.ts'
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse, type MigrationRequest, type MigrationResponse } from '../../core/migration/protocol-codec.ts'

const hash = fc.uint8Array({ minLength: 8, maxLength: 8 }).map(b => [...b].map(x => x.toString(16).padStart(2, '0')).join(''))
const sha = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(b => [...b].map(x => x.toString(16).padStart(2, '0')).join(''))
const id = fc.string({ maxLength: 64 })
const u = fc.nat({ max: 2 ** 40 })
const requestArb: fc.Arbitrary<MigrationRequest> = fc.oneof(
  fc.record({ type: fc.constant('offer' as const), id, job: fc.string({ maxLength: 40 }), task: u, replica: fc.nat(6), token: fc.record({ epoch: u, slot: u }), memoryBytes: u, chunkBytes: fc.constantFrom(4096, 8192, 16384, 65536) }),
  fc.record({ type: fc.constant('chunks' as const), id, chunks: fc.array(fc.record({ index: fc.nat((1 << 20) - 1), frame: fc.uint8Array({ maxLength: 100 }) }), { maxLength: 6 }) }),
  fc.record({ type: fc.constant('final' as const), id, meta: fc.uint8Array({ maxLength: 200 }), sha256: sha, recipe: fc.array(fc.record({ hash, length: fc.nat(1 << 20) }), { maxLength: 10 }).map(chunks => ({ totalLength: chunks.reduce((a, c) => a + c.length, 0), chunks })) }),
  fc.record({ type: fc.constant('abort' as const), id }),
  fc.record({ type: fc.constant('keep' as const), id, job: fc.string({ maxLength: 40 }), task: u, replica: fc.nat(6), token: fc.record({ epoch: u, slot: u }), blob: sha })
)
const responseArb: fc.Arbitrary<MigrationResponse> = fc.oneof(
  fc.record({ type: fc.constant('accept' as const), have: fc.array(hash, { maxLength: 10 }) }),
  fc.record({ type: fc.constant('resend' as const), hashes: fc.array(hash, { maxLength: 10 }) }),
  fc.record({ type: fc.constant('ok' as const) }),
  fc.record({ type: fc.constant('refuse' as const), reason: fc.string({ maxLength: 200 }) })
)

function typedOrOk (f: () => unknown): void {
  try { f() } catch (err) { assert.equal((err as Error).name, 'MigrationDecodeError', `${(err as Error).name}: ${(err as Error).message}`) }
}

test('requests and responses round-trip', () => {
  fc.assert(fc.property(requestArb, r => { assert.deepEqual(decodeRequest(encodeRequest(r)), structuredClone(r)) }), { seed: 20, numRuns: 400 })
  fc.assert(fc.property(responseArb, r => { assert.deepEqual(decodeResponse(encodeResponse(r)), structuredClone(r)) }), { seed: 21, numRuns: 400 })
})

test('random bytes, truncations and flips give only MigrationDecodeError', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), b => { typedOrOk(() => decodeRequest(b)); typedOrOk(() => decodeResponse(b)) }), { seed: 22, numRuns: 2000 })
  fc.assert(fc.property(requestArb, fc.nat(), fc.nat(255), (r, at, x) => {
    const b = encodeRequest(r)
    typedOrOk(() => decodeRequest(b.subarray(0, at % (b.length + 1))))
    const flipped = b.slice()
    flipped[at % b.length] ^= x
    typedOrOk(() => decodeRequest(flipped))
  }), { seed: 23, numRuns: 1000 })
})

test('counts over their bounds are refused before allocation; recipes must add up', () => {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, 2) // chunks
  encoding.writeVarString(e, 'x')
  encoding.writeVarUint(e, 2 ** 40) // frames
  assert.throws(() => decodeRequest(encoding.toUint8Array(e)), { name: 'MigrationDecodeError' })
  const f = encoding.createEncoder()
  encoding.writeVarUint(f, 1) // accept
  encoding.writeVarUint(f, 1e9) // hashes
  assert.throws(() => decodeResponse(encoding.toUint8Array(f)), { name: 'MigrationDecodeError' })
  const bad = encodeRequest({ type: 'final', id: 'x', meta: new Uint8Array(1), sha256: '0'.repeat(64), recipe: { totalLength: 5, chunks: [{ hash: '0'.repeat(16), length: 5 }] } })
  bad[bad.length - 33] = 4 // the chunk's length no longer adds up to totalLength
  assert.throws(() => decodeRequest(bad), { name: 'MigrationDecodeError' })
  assert.throws(() => decodeRequest(new Uint8Array([9, 0])), { name: 'MigrationDecodeError' })
  const past = encodeRequest({ type: 'chunks', id: 'x', chunks: [{ index: 1 << 20, frame: new Uint8Array(3) }] })
  assert.throws(() => decodeRequest(past), { name: 'MigrationDecodeError', message: /past the largest memory/ })
})

test('a chunks request written in place by the source is the codec\'s encoding, its buffer reused', async () => {
  await initCoreWasm()
  const random = new Uint8Array(8192)
  let x = 7
  for (let i = 0; i < random.length; i++) { x = (x * 1103515245 + 12345) >>> 0; random[i] = x >>> 24 }
  const text = new TextEncoder().encode('a counter, a table, '.repeat(410)).subarray(0, 8192)
  const batch = [{ index: 0, hash: '0123456789abcdef', chunk: random }, { index: 300, hash: 'fedcba9876543210', chunk: text }]
  const writer = new ChunkBatchWriter()
  const first = writer.write('m1', batch)
  const expected = encodeRequest({ type: 'chunks', id: 'm1', chunks: batch.map(c => ({ index: c.index, frame: encodeChunkFrame(c.hash, c.chunk) })) })
  assert.deepEqual(first, expected)
  assert.ok(expected.length < random.length + text.length, 'the text chunk is compressed, the random one stored')
  const second = writer.write('m1', batch.slice(1))
  assert.equal(second.buffer, first.buffer, 'the next batch reuses the buffer')
  assert.deepEqual(decodeRequest(second), { type: 'chunks', id: 'm1', chunks: [{ index: 300, frame: encodeChunkFrame(batch[1].hash, text) }] })
  assert.throws(() => writer.write('m1', [{ index: 1, hash: 'xyz', chunk: text }]), TypeError)
})

test('an offer names a chunk size of whole pages, a power of two up to 64 KiB: any other is a MigrationDecodeError', () => {
  const offer = (chunkBytes: number): Uint8Array => encodeRequest({ type: 'offer', id: 'm', job: '1.0', task: 0, replica: 0, token: { epoch: 1, slot: 2 }, memoryBytes: 65536, chunkBytes })
  for (const ok of [4096, 8192, 65536]) assert.equal((decodeRequest(offer(ok)) as { chunkBytes: number }).chunkBytes, ok)
  for (const bad of [0, 1, 2048, 4095, 6144, 12288, 131072, 2 ** 40]) assert.throws(() => decodeRequest(offer(bad)), { name: 'MigrationDecodeError' }, `${bad}`)
  const old = offer(4096).subarray(0, -2) // a 1.5.0 offer: no chunk size (varUint(4096) is 2 bytes)
  assert.throws(() => decodeRequest(old), { name: 'MigrationDecodeError' })
})
