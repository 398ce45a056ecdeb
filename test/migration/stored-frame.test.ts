/**
 * Stored LZ4 frames for incompressible chunks (core/migration/stored-frame.ts, used by precopy.ts's
 * chunk frames): random chunks go raw in a standard frame that core-wasm's LZ4 decoder reads too;
 * text and zero pages are still compressed; the fast reader takes exactly the stored shape and
 * answers undefined (never throws) for anything else, including seeded garbage.
 */
import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { compressFrame, decompressFrame, initCoreWasm, xxh64Hex } from '../../core-wasm/index.ts'
import { decodeChunkFrame, encodeChunkFrame } from '../../core/migration/precopy.ts'
import { looksIncompressible, readStoredFrame, storedFrame } from '../../core/migration/stored-frame.ts'
import { seededBytes as random } from '../_support/seeded-bytes.ts'

before(async () => { await initCoreWasm() })

const text = new TextEncoder().encode('the task counts on; '.repeat(500)).subarray(0, 8192)

test('random chunks go raw in a standard LZ4 frame; text and zero pages are still compressed', () => {
  const chunk = random(8192, 1)
  assert.equal(looksIncompressible(chunk), true)
  assert.equal(looksIncompressible(text), false)
  assert.equal(looksIncompressible(new Uint8Array(8192)), false)
  assert.equal(looksIncompressible(random(1024, 2)), false, 'small chunks are left to the compressor')
  const frame = storedFrame(chunk)
  assert.deepEqual(decompressFrame(frame), chunk, 'core-wasm\'s decoder reads a stored frame')
  assert.deepEqual(readStoredFrame(frame, 1 << 20), chunk)
  for (const [c, raw] of [[chunk, true], [text, false], [new Uint8Array(8192), false]] as const) {
    const f = encodeChunkFrame(xxh64Hex(c), c)
    assert.deepEqual(decodeChunkFrame(f).chunk, c)
    if (raw) assert.ok(f.length <= c.length + 8 + 3 + 23, `raw: ${f.length} bytes`)
    else assert.ok(f.length < c.length / 4, `compressed: ${f.length} bytes`)
  }
  assert.throws(() => storedFrame(new Uint8Array(65537)), RangeError)
})

test('the fast reader takes only the stored shape, within the limit, and never throws', () => {
  const chunk = random(8192, 3)
  const frame = storedFrame(chunk)
  assert.equal(readStoredFrame(compressFrame(chunk), 1 << 20), undefined, 'a compressed frame is the decoder\'s')
  assert.equal(readStoredFrame(frame, 8191), undefined, 'over the limit')
  assert.equal(readStoredFrame(frame.subarray(0, frame.length - 1), 1 << 20), undefined, 'truncated')
  assert.equal(readStoredFrame(new Uint8Array([...frame, 0]), 1 << 20), undefined, 'trailing bytes')
  const badHeader = frame.slice(); badHeader[14] ^= 1
  assert.equal(readStoredFrame(badHeader, 1 << 20), undefined, 'header checksum')
  const badSize = frame.slice(); badSize[6] ^= 1
  assert.equal(readStoredFrame(badSize, 1 << 20), undefined, 'declared size differs')
  const noise = new DataView(random(2000 * 12, 4).buffer)
  for (let i = 0; i < 2000; i++) {
    const [a, b, c] = [0, 4, 8].map(o => noise.getUint32(i * 12 + o))
    const junk = frame.slice(0, a % (frame.length + 1))
    junk[b % Math.max(1, junk.length)] ^= 1 + (c % 255)
    const out = readStoredFrame(junk, 1 << 20)
    if (out != null) assert.ok(out.length <= 1 << 20)
  }
})
