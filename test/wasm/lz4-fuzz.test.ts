/**
 * Fuzzing the frame decoder (seeded, 100,000+ mutations per run): valid small frames — ours with
 * every option, and reference frames from the lz4 CLI — are mutated (bit flips, byte overwrites,
 * truncation, extension, splices, inserted and deleted ranges, huge size fields), sometimes with
 * the header checksum repaired so the damage reaches the block decoder. Every result must be either
 * output no larger than maxOutputSize or an Lz4Error with a known code; nothing else may be thrown,
 * WASM memory must stay small, and the allocator must still work (a known frame decodes after).
 * Plus one hand-built frame per error code.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { before, test } from 'node:test'
import {
  compressFrame, decompressFrame, initCoreWasm, Lz4Error, Lz4ErrorCode, Lz4FrameDecoder, wasmMemoryBytes, xxh32
} from '../../core-wasm/index.ts'

const ITERATIONS = Number(process.env.LZ4_FUZZ_ITERATIONS ?? 100_000)
const codes = new Set<number>(Object.values(Lz4ErrorCode))

function rng (seed: number): () => number {
  let x = seed >>> 0
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x }
}

/** Recomputes the header checksum byte of a frame whose header is otherwise intact. */
function fixHeader (f: Uint8Array): void {
  if (f.length < 7 || f[0] !== 0x04 || f[1] !== 0x22 || f[2] !== 0x4d || f[3] !== 0x18) return
  const flg = f[4]
  const len = 2 + ((flg & 8) !== 0 ? 8 : 0) + ((flg & 1) !== 0 ? 4 : 0)
  if (f.length < 4 + len + 1) return
  f[4 + len] = (xxh32(f.subarray(4, 4 + len)) >>> 8) & 0xff
}

function seeds (): Uint8Array[] {
  const enc = new TextEncoder()
  const text = enc.encode('prepare commit view quorum replica prepare commit view '.repeat(5))
  const noise = Uint8Array.from({ length: 90 }, (_, i) => (i * 2654435761) >>> 24)
  const runs = Uint8Array.from({ length: 300 }, (_, i) => (i >> 5) * 17)
  const out: Uint8Array[] = []
  for (const data of [text, noise, runs, new Uint8Array(0), Uint8Array.of(1, 2, 3)]) {
    for (const level of [1, 9]) {
      out.push(compressFrame(data, { level }))
      out.push(compressFrame(data, { level, contentSize: false, contentChecksum: false }))
      out.push(compressFrame(data, { level, blockChecksum: true }))
    }
  }
  // Block-linked multi-block frames (lz4 -BD): small when compressed, so cheap to mutate, and they
  // drive the 64 KiB history window across block boundaries.
  const linked = new Uint8Array(200_000)
  for (let i = 0; i < linked.length; i++) linked[i] = (i % 1000 < 40) ? (i * 131) & 255 : 65 + ((i >> 9) % 7)
  for (const extra of [[], ['--no-frame-crc'], ['-BX']]) {
    const r = spawnSync('lz4', ['-c', '-q', '-BD', '-B4', ...extra], { input: linked })
    if (r.error != null) throw new Error(`the lz4 CLI is required for this test: ${r.error.message}`)
    assert.ok(r.stdout.length < 20_000)
    out.push(r.stdout)
  }
  const dir = new URL('../vectors/lz4/', import.meta.url)
  for (const f of ['zeros.default.lz4', 'zeros.l12-all.lz4', 'zeros.no-frame-crc.lz4', 'empty.default.lz4', 'concat-skippable.lz4']) {
    const bytes = readFileSync(new URL(f, dir))
    out.push(f === 'concat-skippable.lz4' ? bytes.subarray(bytes.length - 250) : bytes)
  }
  return out
}

function cat (...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let off = 0
  for (const p of parts) { out.set(p, off); off += p.length }
  return out
}

function mutate (src: Uint8Array, r: () => number): Uint8Array {
  let f: Uint8Array = Uint8Array.from(src)
  const rounds = 1 + (r() % 3)
  for (let k = 0; k < rounds; k++) {
    const at = f.length === 0 ? 0 : r() % f.length
    switch (r() % 10) {
      case 0: if (f.length > 0) f[at] ^= 1 << (r() % 8); break
      case 1: if (f.length > 0) f[at] = r() & 255; break
      case 2: if (f.length > 0) f[at] = [0, 0xff, 0x7f, 0x80, 0x0f, 0xf0][r() % 6]; break
      case 3: f = f.subarray(0, at); break
      case 4: { const extra = Uint8Array.from({ length: 1 + (r() % 20) }, () => r() & 255); f = cat(f, extra); break }
      case 5: { const len = 1 + (r() % 16); f = cat(f.subarray(0, at), f.subarray(at, at + len), f.subarray(at)); break }
      case 6: { const len = 1 + (r() % 16); f = cat(f.subarray(0, at), f.subarray(at + len)); break }
      case 7: { const ins = Uint8Array.from({ length: 1 + (r() % 8) }, () => r() & 255); f = cat(f.subarray(0, at), ins, f.subarray(at)); break }
      case 8: if (at + 4 <= f.length) new DataView(f.buffer, f.byteOffset).setUint32(at, [0x7fffffff, 0xffffffff, 0x00400000, 0x80010000, r()][r() % 5], true); break
      default: if (at + 2 <= f.length) { f[at] = r() & 255; f[at + 1] = r() & 255 }
    }
  }
  if (r() % 2 === 0) fixHeader(f)
  return f
}

before(async () => { await initCoreWasm() })

test(`decoder survives ${ITERATIONS} seeded mutations with typed errors and bounded output`, () => {
  const pool = seeds()
  const known = compressFrame(new TextEncoder().encode('still works '.repeat(50)), { level: 9 })
  const r = rng(0xC0FFEE)
  const seen = new Map<number, number>()
  let decoded = 0
  for (let i = 0; i < ITERATIONS; i++) {
    const frame = mutate(pool[r() % pool.length], r)
    const maxOutputSize = [0, 64, 4096, 1 << 20][r() % 4]
    try {
      let length = 0
      if (i % 8 === 0) {
        // Every 8th frame goes through the streaming decoder in random pieces, so corruption also
        // meets the state machine at every possible split point.
        const dec = new Lz4FrameDecoder({ maxOutputSize })
        for (let at = 0; at < frame.length;) {
          const n = 1 + (r() % 64)
          for (const piece of dec.push(frame.subarray(at, at + n))) length += piece.length
          at += n
        }
        dec.finish()
      } else {
        length = decompressFrame(frame, { maxOutputSize }).length
      }
      assert.ok(length <= maxOutputSize, `output ${length} > limit ${maxOutputSize}`)
      decoded++
    } catch (err) {
      if (!(err instanceof Lz4Error) || !codes.has(err.code)) {
        throw new Error(`iteration ${i}: unexpected ${String(err)} for frame ${Buffer.from(frame).toString('hex')}`)
      }
      seen.set(err.code, (seen.get(err.code) ?? 0) + 1)
    }
    if (i % 10_000 === 0) assert.equal(decompressFrame(known).length, 600)
  }
  assert.ok(wasmMemoryBytes() <= 16 << 20, `WASM memory grew to ${wasmMemoryBytes()}`)
  // The mutations must reach deep: header, block and checksum errors all show up.
  for (const code of [Lz4ErrorCode.BAD_MAGIC, Lz4ErrorCode.HEADER_CHECKSUM, Lz4ErrorCode.CORRUPT_BLOCK, Lz4ErrorCode.CONTENT_CHECKSUM, Lz4ErrorCode.TRUNCATED, Lz4ErrorCode.OUTPUT_LIMIT, Lz4ErrorCode.BLOCK_TOO_LARGE]) {
    assert.ok((seen.get(code) ?? 0) > 0, `no mutation produced error code ${code}; seen ${JSON.stringify([...seen])}`)
  }
  assert.ok(decoded > 0)
})

// --- one hand-built frame per error ------------------------------------------------------------

const u32 = (v: number): number[] => [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, v >>> 24]

function frame (flg: number, bd: number, body: number[], contentSize?: bigint, dictId?: number): Uint8Array {
  const desc = [flg, bd]
  if (contentSize !== undefined) { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, contentSize, true); desc.push(...b) }
  if (dictId !== undefined) desc.push(...u32(dictId))
  const hc = (xxh32(Uint8Array.from(desc)) >>> 8) & 0xff
  return Uint8Array.from([0x04, 0x22, 0x4d, 0x18, ...desc, hc, ...body])
}
const code = (f: Uint8Array, max?: number): number => {
  try { decompressFrame(f, max === undefined ? {} : { maxOutputSize: max }); return 0 } catch (err) { if (err instanceof Lz4Error) return err.code; throw err }
}

test('each malformed frame gets its own error code', () => {
  const C = Lz4ErrorCode
  const endmark = u32(0)
  assert.equal(code(Uint8Array.of(1, 2, 3, 4, 5, 6, 7)), C.BAD_MAGIC)
  assert.equal(code(Uint8Array.of(0x02, 0x21, 0x4c, 0x18, 0, 0, 0, 0)), C.LEGACY_FORMAT)
  assert.equal(code(frame(0x80, 0x40, endmark)), C.UNSUPPORTED_VERSION)
  assert.equal(code(frame(0x62, 0x40, endmark)), C.RESERVED_BIT)
  assert.equal(code(frame(0x60, 0x41, endmark)), C.RESERVED_BIT)
  assert.equal(code(frame(0x60, 0x30, endmark)), C.BAD_BLOCK_SIZE_ID)
  const bad = frame(0x60, 0x40, endmark); bad[6] ^= 1
  assert.equal(code(bad), C.HEADER_CHECKSUM)
  assert.equal(code(frame(0x61, 0x40, endmark, undefined, 7)), C.DICTIONARY)
  assert.equal(code(frame(0x60, 0x40, u32(65537))), C.BLOCK_TOO_LARGE)
  // token 0x1f: 1 literal 'a', then offset 0 (invalid).
  assert.equal(code(frame(0x60, 0x40, [...u32(6), 0x10, 97, 0, 0, 0x00, 0, ...endmark])), C.CORRUPT_BLOCK)
  // offset 2 reaching before the start of output (only 1 byte decoded so far).
  assert.equal(code(frame(0x60, 0x40, [...u32(5), 0x10, 97, 2, 0, 0x00, ...endmark])), C.CORRUPT_BLOCK)
  // literal length continuation running off the end of the block.
  assert.equal(code(frame(0x60, 0x40, [...u32(3), 0xf0, 255, 255, ...endmark])), C.CORRUPT_BLOCK)
  // block checksum flag set, wrong checksum.
  assert.equal(code(frame(0x70, 0x40, [...u32(0x80000001), 65, 0, 0, 0, 0, ...endmark])), C.BLOCK_CHECKSUM)
  // content checksum flag set, wrong checksum.
  assert.equal(code(frame(0x64, 0x40, [...u32(0x80000001), 65, ...endmark, 1, 2, 3, 4])), C.CONTENT_CHECKSUM)
  // declared content size 5, actual 1.
  assert.equal(code(frame(0x68, 0x40, [...u32(0x80000001), 65, ...endmark], 5n)), C.CONTENT_SIZE)
  // declared content size beyond the caller's limit: rejected before any block is read.
  assert.equal(code(frame(0x68, 0x40, [], 1n << 40n), 1 << 20), C.OUTPUT_LIMIT)
  assert.equal(code(frame(0x60, 0x40, [...u32(0x80000001), 65])), C.TRUNCATED)
  assert.equal(code(new Uint8Array(0)), C.TRUNCATED)
  assert.equal(code(Buffer.concat([compressFrame(Uint8Array.of(1)), Uint8Array.of(9, 9, 9, 9)])), C.BAD_MAGIC)
})

test('a decompression bomb stops at maxOutputSize without growing memory', () => {
  const bomb = compressFrame(new Uint8Array(64 << 20), { contentSize: false })
  assert.ok(bomb.length < 300_000)
  const before = wasmMemoryBytes()
  assert.equal(code(bomb, 1 << 20), Lz4ErrorCode.OUTPUT_LIMIT)
  assert.ok(wasmMemoryBytes() - before <= 4 << 20)
  const err = (() => { try { decompressFrame(bomb, { maxOutputSize: 1000 }) } catch (e) { return e } })()
  assert.ok(err instanceof Lz4Error)
  assert.equal(err.name, 'Lz4Error')
  assert.match(err.message, /maxOutputSize/)
})
