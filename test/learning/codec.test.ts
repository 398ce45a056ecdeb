/** Update codec: round trips (dense, sparse, quantised, compressed), exact sizes, and garbage. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { createRng, decodeUpdate, DecodeErrorCode, encodeUpdate, topK, type Compressor } from '../../core/learning/index.ts'

const size = 300
const values = Float32Array.from({ length: size }, (_, i) => Math.sin(i * 0.7) * (i % 5))

test('dense float32 round trip is exact and its size is header + 4 bytes per value', () => {
  const enc = encodeUpdate({ round: 3, sender: 7, samples: 420, clients: 1, values }, createRng(1))
  const dec = decodeUpdate(enc.bytes, { expectedSize: size })
  assert.deepEqual(Array.from(dec.values), Array.from(values))
  assert.deepEqual([dec.round, dec.sender, dec.samples, dec.clients], [3, 7, 420, 1])
  // header: type 1 + round 1 + sender 1 + samples 2 + clients 1 + size 2 + flags 1 + bodyLength 2
  assert.equal(enc.bytes.length, 11 + size * 4)
})

test('sparse + 4-bit: decoded equals the encoder\'s `delivered` view, and is small', () => {
  const s = topK(values, 30)
  const enc = encodeUpdate({ round: 1, sender: 2, samples: 10, clients: 1, values: s }, createRng(2), { bits: 4, chunkSize: 16 })
  const dec = decodeUpdate(enc.bytes, { expectedSize: size })
  assert.deepEqual(Array.from(dec.values), Array.from(enc.delivered))
  for (let i = 0; i < size; i++) if (!s.indices.includes(i)) assert.equal(dec.values[i], 0)
  assert.ok(enc.bytes.length < 30 * 2 + 2 * 8 + 15 + 16, `size ${enc.bytes.length}`)
})

test('property: any vector, any bits/sparsity, round-trips to `delivered`', () => {
  fc.assert(fc.property(
    fc.array(fc.float({ min: -10, max: 10, noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 200 }),
    fc.integer({ min: 0, max: 8 }), fc.double({ min: 0.01, max: 1, noNaN: true }), fc.integer(),
    (arr, bits, frac, seed) => {
      const v = Float32Array.from(arr)
      const k = Math.max(1, Math.round(v.length * frac))
      const enc = encodeUpdate({ round: 1, sender: 1, samples: 1, clients: 1, values: k < v.length ? topK(v, k) : v }, createRng(seed), { bits })
      const dec = decodeUpdate(enc.bytes, { expectedSize: v.length })
      assert.deepEqual(Array.from(dec.values), Array.from(enc.delivered))
    }), { numRuns: 150 })
})

test('compressed bodies go through the compressor both ways', () => {
  // a toy run-length compressor, only to exercise the flag path in this unit test
  const rle: Compressor = {
    compress: d => { const o: number[] = []; for (let i = 0; i < d.length;) { let j = i; while (j < d.length && d[j] === d[i] && j - i < 255) j++; o.push(j - i, d[i]); i = j } return Uint8Array.from(o) },
    decompress: (f, max) => { const o: number[] = []; for (let i = 0; i < f.length; i += 2) { for (let k = 0; k < f[i]; k++) o.push(f[i + 1]) } if (o.length > max) throw new Error('too big'); return Uint8Array.from(o) }
  }
  const zeros = new Float32Array(1000)
  zeros[5] = 1
  const enc = encodeUpdate({ round: 1, sender: 1, samples: 1, clients: 1, values: zeros }, createRng(1), { compressor: rle })
  assert.ok(enc.bytes.length < 100)
  assert.deepEqual(Array.from(decodeUpdate(enc.bytes, { expectedSize: 1000, compressor: rle }).values), Array.from(zeros))
  assert.throws(() => decodeUpdate(enc.bytes, { expectedSize: 1000 }), (e: Error & { code?: number }) => e.name === 'UpdateDecodeError' && e.code === DecodeErrorCode.Decompress)
})

test('wrong size, truncation, trailing bytes, oversize and bad flags are typed errors', () => {
  const enc = encodeUpdate({ round: 1, sender: 1, samples: 1, clients: 1, values }, createRng(1), { bits: 8 })
  const code = (b: Uint8Array, expectedSize = size, maxBytes?: number): number | undefined => {
    try { decodeUpdate(b, { expectedSize, maxBytes }); return undefined } catch (e) { assert.equal((e as Error).name, 'UpdateDecodeError'); return (e as { code: number }).code }
  }
  assert.equal(code(enc.bytes, size + 1), DecodeErrorCode.SizeMismatch)
  assert.equal(code(enc.bytes.slice(0, enc.bytes.length - 3)), DecodeErrorCode.Truncated)
  assert.equal(code(Uint8Array.from([...enc.bytes, 0])), DecodeErrorCode.Trailing)
  assert.equal(code(enc.bytes, size, 50), DecodeErrorCode.TooLarge)
  assert.equal(code(Uint8Array.from([9, 1, 1])), DecodeErrorCode.UnknownType)
  const badFlags = Uint8Array.from(enc.bytes)
  // flags byte sits after type, round, sender, samples, clients (1 byte each) and size (2 bytes)
  badFlags[7] = 0b1000_0100
  assert.equal(code(badFlags), DecodeErrorCode.BadFlags)
})

test('garbage never escapes as anything but UpdateDecodeError', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), fc.integer({ min: 1, max: 500 }), (bytes, expectedSize) => {
    try {
      const m = decodeUpdate(bytes, { expectedSize })
      assert.equal(m.values.length, expectedSize)
    } catch (e) {
      assert.equal((e as Error).name, 'UpdateDecodeError')
    }
  }), { numRuns: 2000 })
  // mutations of a valid message
  const base = encodeUpdate({ round: 1, sender: 1, samples: 1, clients: 1, values: topK(values, 40) }, createRng(3), { bits: 3 }).bytes
  fc.assert(fc.property(fc.integer({ min: 0, max: base.length - 1 }), fc.integer({ min: 0, max: 255 }), (pos, byte) => {
    const b = Uint8Array.from(base)
    b[pos] = byte
    try { decodeUpdate(b, { expectedSize: size }) } catch (e) { assert.equal((e as Error).name, 'UpdateDecodeError') }
  }), { numRuns: 1000 })
})
