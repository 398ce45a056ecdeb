/**
 * The `/novacron/blobs/1.0.0` codec: property round trips of every message, and a garbage list plus
 * random bytes fed to both readers, which may only return a message or throw
 * MalformedBlobMessageError.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse, type BlobResponse } from '../../core/blobs/index.ts'

const hex = (n: number): fc.Arbitrary<string> => fc.uint8Array({ minLength: n, maxLength: n }).map(b => Buffer.from(b).toString('hex'))
const ref = fc.record({ hash: hex(8), length: fc.integer({ min: 1, max: 65536 }) }).map(r => ({ ...r }))

test('requests round-trip', () => {
  fc.assert(fc.property(hex(32), id => { assert.deepEqual(decodeRequest(encodeRequest({ type: 'manifest', id })), { type: 'manifest', id }) }), { seed: 1 })
  fc.assert(fc.property(fc.array(hex(8), { maxLength: 256 }), hashes => {
    assert.deepEqual(decodeRequest(encodeRequest({ type: 'chunks', hashes })), { type: 'chunks', hashes })
  }), { seed: 2 })
})

test('responses round-trip', () => {
  fc.assert(fc.property(hex(32), fc.array(ref, { maxLength: 50 }), (id, chunks) => {
    const res: BlobResponse = { type: 'manifest', manifest: { id, size: chunks.reduce((n, c) => n + c.length, 0), chunks } }
    assert.deepEqual(decodeResponse(encodeResponse(res)), res)
  }), { seed: 3 })
  fc.assert(fc.property(fc.array(fc.record({ hash: hex(8), frame: fc.uint8Array({ maxLength: 100 }) }), { maxLength: 20 }), chunks => {
    const back = decodeResponse(encodeResponse({ type: 'chunks', chunks }))
    assert.equal(back.type, 'chunks')
    if (back.type === 'chunks') assert.deepEqual(back.chunks.map(c => [c.hash, Buffer.from(c.frame)]), chunks.map(c => [c.hash, Buffer.from(c.frame)]))
  }), { seed: 4 })
  fc.assert(fc.property(hex(32), id => { assert.deepEqual(decodeResponse(encodeResponse({ type: 'notFound', id })), { type: 'notFound', id }) }), { seed: 5 })
})

test('inconsistent manifests are refused', () => {
  const m = encodeResponse({ type: 'manifest', manifest: { id: 'ab'.repeat(32), size: 10, chunks: [{ hash: '00'.repeat(8), length: 10 }] } })
  const badSize = m.slice()
  badSize[33] = 11 // size 11, chunks sum to 10
  assert.throws(() => decodeResponse(badSize), { name: 'MalformedBlobMessageError', message: /sum/ })
  assert.throws(() => decodeResponse(encodeResponse({ type: 'manifest', manifest: { id: 'ab'.repeat(32), size: 70000, chunks: [{ hash: '00'.repeat(8), length: 70000 }] } })), { name: 'MalformedBlobMessageError', message: /outside/ })
  assert.throws(() => decodeRequest(encodeRequest({ type: 'chunks', hashes: Array(257).fill('00'.repeat(8)) })), { name: 'MalformedBlobMessageError' })
})

const GARBAGE = [
  new Uint8Array(0), Uint8Array.of(0), Uint8Array.of(4), Uint8Array.of(1), Uint8Array.of(1, 2, 3), Uint8Array.of(2, 0xff, 0xff, 0xff, 0xff, 0x0f),
  Uint8Array.of(2, 1, 1, 2, 3), new Uint8Array(33).fill(1), Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01)
]

test('garbage and random bytes: a message or MalformedBlobMessageError, nothing else', () => {
  const check = (bytes: Uint8Array): void => {
    for (const read of [decodeRequest, decodeResponse]) {
      try { read(bytes) } catch (e) { assert.equal((e as Error).name, 'MalformedBlobMessageError', String(e)) }
    }
  }
  for (const g of GARBAGE) check(g)
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), check), { seed: 6, numRuns: 3000 })
  // mutations of valid messages
  const valid = encodeResponse({ type: 'manifest', manifest: { id: 'cd'.repeat(32), size: 30, chunks: [{ hash: '11'.repeat(8), length: 10 }, { hash: '22'.repeat(8), length: 20 }] } })
  fc.assert(fc.property(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 }), fc.nat(valid.length), (at, v, cut) => {
    const m = valid.slice(0, cut)
    if (at < m.length) m[at] = v
    check(m)
  }), { seed: 7, numRuns: 3000 })
})
