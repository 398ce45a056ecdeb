/**
 * Dirty tracking (core/migration/dirty.ts) feeding the pre-copy planner (precopy.ts `apply`), on a
 * seeded 4 MiB memory that a "task" rewrites in 4 KiB pages and grows between rounds: the first
 * delta lists every chunk, later ones exactly the chunks that changed, a new epoch starts over,
 * the sender's mirror equals the memory after every delta, its recipe names the same chunks as
 * hashing the memory afresh, and malformed deltas are refused with a RangeError. A buffer prepared
 * ahead (`prepare`) is what the next delta listing every chunk is written into, when the sizes
 * match; a partial delta leaves it, another size or age drops it.
 */
import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { initCoreWasm } from '../../core-wasm/index.ts'
import { DirtyTracker } from '../../core/migration/dirty.ts'
import { fixedChunks, PreCopySender } from '../../core/migration/precopy.ts'
import { seededInts } from '../_support/seeded-bytes.ts'

before(async () => { await initCoreWasm() })
const MiB = 1024 * 1024
const CB = 8192

/** Rewrites `pages` seeded 4 KiB pages in place; the set of 8 KiB chunk indices it touched. */
function dirtyPages (m: Uint8Array, pages: number, seed: number): Set<number> {
  const r = seededInts(seed)
  const view = new DataView(m.buffer, m.byteOffset, m.byteLength)
  const touched = new Set<number>()
  for (let k = 0; k < pages; k++) {
    const at = (r() % (m.length / 4096)) * 4096
    for (let i = 0; i < 4096; i += 4) view.setUint32(at + i, r(), true)
    touched.add(Math.floor(at / CB))
  }
  return touched
}

/** The sender's memory, chunk by chunk. */
function mirrorOf (sender: PreCopySender, length: number): Uint8Array {
  const out = new Uint8Array(length)
  for (let i = 0, off = 0; off < length; i++) { const c = sender.chunkAt(i); if (c == null) throw new RangeError(`chunk ${i} is not mirrored`); out.set(c, off); off += c.length }
  return out
}

for (const reuse of [false, true]) test(`deltas list exactly the changed chunks; the sender's mirror and recipe follow the memory, growth included${reuse ? ' (partial deltas in one reused buffer)' : ''}`, () => {
  let memory = new Uint8Array(4 * MiB)
  dirtyPages(memory, 1024, 1)
  const tracker = new DirtyTracker(CB, reuse)
  const sender = new PreCopySender()
  const buffers = new Set<ArrayBufferLike>()

  const first = tracker.delta(memory, 0)
  assert.equal(first.full, true)
  assert.equal(first.indices.length, 4 * MiB / CB)
  assert.equal(first.bytes.length, memory.length)
  sender.apply(first)
  assert.deepEqual(mirrorOf(sender, memory.length), memory)

  for (let round = 0; round < 3; round++) {
    const touched = dirtyPages(memory, 40, 100 + round)
    const d = tracker.delta(memory, 0)
    buffers.add(d.bytes.buffer)
    assert.equal(d.full, false)
    assert.deepEqual([...d.indices], [...touched].sort((a, b) => a - b), `round ${round}: exactly the touched chunks`)
    const plan = sender.apply(d)
    assert.equal(plan.sentBytes, touched.size * CB, 'random pages: every changed chunk is new to the target')
    assert.deepEqual(mirrorOf(sender, memory.length), memory)
    assert.deepEqual(plan.recipe.chunks.map(c => c.hash), fixedChunks(memory, CB).map(c => c.hash), 'the recipe names what hashing the memory afresh names')
  }

  // memory grows by a 64 KiB page: the new chunks are dirty
  const grown = new Uint8Array(memory.length + 65536)
  grown.set(memory)
  memory = grown
  memory.fill(7, memory.length - 65536)
  const g = tracker.delta(memory, 0)
  assert.deepEqual([...g.indices], Array.from({ length: 65536 / CB }, (_, i) => (memory.length - 65536) / CB + i))
  const plan = sender.apply(g)
  assert.equal(plan.sentBytes, CB, 'eight equal new chunks are one chunk sent')
  assert.deepEqual(mirrorOf(sender, memory.length), memory)

  // nothing changed: an empty delta; a new epoch: every chunk again
  assert.equal(tracker.delta(memory, 0).indices.length, 0)
  const again = tracker.delta(memory, 1)
  assert.equal(again.full, true)
  assert.equal(again.indices.length, memory.length / CB)
  assert.ok(again.bytes.buffer instanceof ArrayBuffer && again.bytes.buffer !== first.bytes.buffer, 'a delta of every chunk has a buffer of its own (the sender keeps it)')
  assert.equal(buffers.size, reuse ? 1 : 3, reuse ? 'the partial deltas were written into one buffer' : 'each delta has its own buffer')
})

test('the sender refuses malformed deltas with a RangeError', () => {
  const memory = new Uint8Array(256 * 1024)
  dirtyPages(memory, 16, 5)
  const tracker = new DirtyTracker(CB)
  const full = tracker.delta(memory, 0)
  dirtyPages(memory, 4, 6)
  const part = tracker.delta(memory, 0)
  assert.throws(() => new PreCopySender().apply(part), RangeError, 'a first delta must list every chunk')
  const sender = new PreCopySender()
  sender.apply(full)
  assert.throws(() => sender.apply({ ...part, indices: part.indices.slice().reverse() }), RangeError, 'indices out of order')
  assert.throws(() => sender.apply({ ...part, bytes: part.bytes.subarray(1) }), RangeError, 'bytes shorter than the chunks')
  assert.throws(() => sender.apply({ ...part, chunkBytes: 4096 }), RangeError, 'another chunk size')
  assert.throws(() => sender.apply({ ...part, memoryBytes: 65536 }), RangeError, 'memory shrinking')
  assert.throws(() => new DirtyTracker(3), RangeError)
})

test('a prepared buffer takes the next full delta of its size; another size, or one too old, does not', () => {
  const memory = new Uint8Array(MiB)
  dirtyPages(memory, 64, 11)
  const t = new DirtyTracker(CB, true)
  const ready = t.prepare(memory.length, 0)
  assert.ok(t.hasPrepared)
  const full = t.delta(memory, 1)
  assert.ok(full.full)
  assert.equal(full.bytes, ready, 'the full delta is the prepared buffer')
  assert.deepEqual(full.bytes, memory)
  assert.equal(t.hasPrepared, false, 'used once')

  t.prepare(memory.length, 0)
  dirtyPages(memory, 4, 12)
  assert.ok(!t.delta(memory, 1).full)
  assert.ok(t.hasPrepared, 'a partial delta leaves it for the next full one')
  t.expire(60_001, 60_000)
  assert.equal(t.hasPrepared, false, 'unused past its age: let go')

  const other = t.prepare(memory.length / 2, 0)
  const again = t.delta(memory, 2)
  assert.notEqual(again.bytes, other, 'prepared for another memory size: a fresh buffer')
  assert.deepEqual(again.bytes, memory)
  assert.equal(t.hasPrepared, false)
})
