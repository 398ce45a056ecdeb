/**
 * The request/response frame codec: round trips (also as a fast-check property over arbitrary
 * chunkings), oversize frames rejected before buffering, truncated input, and a list of garbage
 * inputs that must yield typed errors, never anything else.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { decodeFrames, encodeFrame, FrameDecoder, FrameTooLargeError, MalformedMessageError, TruncatedFrameError } from '../../core/net/index.ts'
import { decodeResponse, encodeResponse } from '../../core/net/frame-codec.ts'

const MAX = 1024

test('round trip of empty, small and maximum-size frames', () => {
  for (const size of [0, 1, 127, 128, 300, MAX]) {
    const payload = Uint8Array.from({ length: size }, (_, i) => (i * 31) & 0xff)
    const frame = encodeFrame(payload, MAX)
    assert.equal(frame.length, size + (size < 128 ? 1 : 2))
    assert.deepEqual(decodeFrames(frame, MAX), [payload])
  }
})

test('property: any frames, split into any chunks, decode to the same payloads', () => {
  fc.assert(fc.property(
    fc.array(fc.uint8Array({ maxLength: 600 }), { maxLength: 8 }),
    fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }),
    (payloads, cuts) => {
      const bytes = concat(payloads.map(p => encodeFrame(p, MAX)))
      const decoder = new FrameDecoder(MAX)
      const out: Uint8Array[] = []
      let pos = 0
      let i = 0
      while (pos < bytes.length) {
        const n = cuts[i++ % cuts.length]
        out.push(...decoder.push(bytes.subarray(pos, pos + n)))
        pos += n
      }
      decoder.end()
      assert.deepEqual(out.map(a => Array.from(a)), payloads.map(a => Array.from(a)))
    }
  ), { seed: 20261122, numRuns: 300 })
})

test('decoded frames do not alias the input buffer', () => {
  const input = encodeFrame(Uint8Array.of(1, 2, 3), MAX)
  const [frame] = decodeFrames(input, MAX)
  input[1] = 99
  assert.deepEqual(Array.from(frame), [1, 2, 3])
})

test('encoding an oversize payload throws FrameTooLargeError', () => {
  assert.throws(() => encodeFrame(new Uint8Array(MAX + 1), MAX), (e: Error) => e.name === 'FrameTooLargeError')
})

test('an oversize length prefix is rejected before any payload arrives', () => {
  const decoder = new FrameDecoder(MAX)
  // prefix 0x81 0x08 = 1025; no payload bytes pushed at all
  assert.throws(() => decoder.push(Uint8Array.of(0x81, 0x08)), (e: Error) => e instanceof FrameTooLargeError && e.length === 1025)
  // a 4 GiB claim is refused from its first bytes, not after buffering
  assert.throws(() => new FrameDecoder(MAX).push(Uint8Array.of(0xff, 0xff)), FrameTooLargeError)
})

test('truncated input: cut inside the prefix or the payload', () => {
  const frame = encodeFrame(new Uint8Array(200), MAX)
  for (const cut of [1, 2, 10, frame.length - 1]) {
    assert.throws(() => decodeFrames(frame.subarray(0, cut), MAX), (e: Error) => e.name === 'TruncatedFrameError', `cut at ${cut}`)
  }
  assert.throws(() => decodeFrames(Uint8Array.of(0x80), MAX), TruncatedFrameError)
})

test('garbage inputs give typed errors only', () => {
  const big = 64 << 20
  const junk: Uint8Array[] = [
    Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x01), // over-long varint
    Uint8Array.of(0x80, 0x00), // non-minimal zero
    Uint8Array.of(0x05, 1, 2), // declares 5, has 2
    Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f), // 2^32-1
    Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0xff)
  ]
  for (const bytes of junk) {
    assert.throws(() => decodeFrames(bytes, big), (e: Error) => ['FrameTooLargeError', 'TruncatedFrameError', 'MalformedMessageError'].includes(e.name), `input ${Array.from(bytes).slice(0, 8).join(',')}`)
  }
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), bytes => {
    try { decodeFrames(bytes, MAX) } catch (e) {
      assert.ok(e instanceof FrameTooLargeError || e instanceof TruncatedFrameError || e instanceof MalformedMessageError, String(e))
    }
  }), { seed: 7, numRuns: 500 })
})

test('response envelope: ok and error round trip; garbage is MalformedMessageError', () => {
  const ok = decodeResponse(encodeResponse({ ok: true, payload: Uint8Array.of(9, 8) }))
  assert.deepEqual(ok.ok && Array.from(ok.payload), [9, 8])
  assert.deepEqual(decodeResponse(encodeResponse({ ok: false, message: 'nope' })), { ok: false, message: 'nope' })
  for (const bytes of [new Uint8Array(0), Uint8Array.of(7), Uint8Array.of(1, 50, 65), Uint8Array.of(1, 1, 65, 66)]) {
    assert.throws(() => decodeResponse(bytes), MalformedMessageError)
  }
})

function concat (parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let off = 0
  for (const p of parts) { out.set(p, off); off += p.length }
  return out
}
