/**
 * The pre-copy planner (core/migration/precopy.ts) on a seeded 16 MiB memory: the first round
 * sends it all, a round after ~5 % changed sends only the changed chunks, chunks the target holds
 * are never sent, the receiver rebuilds every round's memory exactly from LZ4 frames, and a frame
 * corrupted in transit is a ChunkHashError (a malformed one a MigrationDecodeError).
 */
import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { initCoreWasm } from '../../core-wasm/index.ts'
import { decodeChunkFrame, encodeChunkFrame, PreCopyReceiver, PreCopySender } from '../../core/migration/precopy.ts'
import { seededInts } from '../_support/seeded-bytes.ts'

before(async () => { await initCoreWasm() })
const MiB = 1024 * 1024

function memory (size: number, seed: number): Uint8Array {
  const r = seededInts(seed)
  const m = new Uint8Array(size)
  for (let i = 0; i < size; i += 4) new DataView(m.buffer).setUint32(i, r(), true)
  return m
}

/** Rewrites ~fraction of the memory in 4 KiB runs at seeded places (a task's dirty pages). */
function mutate (m: Uint8Array, fraction: number, seed: number): Uint8Array {
  const r = seededInts(seed)
  const out = m.slice()
  const runs = Math.round(m.length * fraction / 4096)
  for (let k = 0; k < runs; k++) {
    const at = (r() % (m.length / 4096)) * 4096
    for (let i = 0; i < 4096; i += 4) new DataView(out.buffer).setUint32(at + i, r(), true)
  }
  return out
}

function ship (plan: { send: Map<string, Uint8Array> }, to: PreCopyReceiver): number {
  let wire = 0
  for (const [h, c] of plan.send) { const f = encodeChunkFrame(h, c); wire += f.length; to.accept(f) }
  return wire
}

test('rounds after ~5 % changes send only the changed chunks, and the target rebuilds each memory', () => {
  let mem = memory(16 * MiB, 7)
  const sender = new PreCopySender()
  const target = new PreCopyReceiver()
  const first = sender.round(mem)
  assert.equal(first.sentBytes, mem.length)
  ship(first, target)
  assert.deepEqual(target.rebuild(first.recipe), mem)
  const sentBefore = new Set(first.send.keys())
  for (let round = 1; round <= 3; round++) {
    mem = mutate(mem, 0.05, 100 + round)
    const plan = sender.round(mem)
    // exactly the chunks not held yet go, each once
    const expected = new Set(plan.recipe.chunks.map(c => c.hash).filter(h => !sentBefore.has(h)))
    assert.deepEqual(new Set(plan.send.keys()), expected)
    // a 4 KiB dirty run spoils the one or two content-defined chunks (8 KiB average) it touches
    assert.ok(plan.sentBytes > 0.05 * mem.length && plan.sentBytes < 0.3 * mem.length, `round ${round} sent ${plan.sentBytes} of ${mem.length}`)
    for (const h of plan.send.keys()) sentBefore.add(h)
    ship(plan, target)
    assert.deepEqual(target.rebuild(plan.recipe), mem)
  }
})

test('chunks the target already holds are never sent', () => {
  const mem = memory(4 * MiB, 9)
  const earlier = new PreCopySender().round(mem) // an earlier checkpoint of the same job
  const changed = mutate(mem, 0.05, 10)
  const sender = new PreCopySender({ targetHas: earlier.send.keys() })
  const plan = sender.round(changed)
  for (const h of plan.send.keys()) assert.ok(!earlier.send.has(h))
  assert.ok(plan.sentBytes < 0.3 * mem.length)
  const target = new PreCopyReceiver(earlier.send)
  ship(plan, target)
  assert.deepEqual(target.rebuild(plan.recipe), changed)
  assert.equal(new PreCopySender({ targetHas: target.have() }).round(changed).sentBytes, 0)
})

test('a chunk corrupted in transit is detected by its hash; a malformed frame is a decode error', () => {
  const mem = memory(1 * MiB, 11)
  const plan = new PreCopySender().round(mem)
  const [hash, chunk] = [...plan.send][0]
  const frame = encodeChunkFrame(hash, chunk)
  assert.deepEqual(decodeChunkFrame(frame).chunk, chunk)
  const target = new PreCopyReceiver()
  let detected = 0
  const r = seededInts(12)
  for (let i = 0; i < 50; i++) {
    const bad = frame.slice()
    const at = 8 + 2 + (r() % (bad.length - 10)) // inside the LZ4 payload
    bad[at] ^= 1 + (r() % 255)
    assert.throws(() => target.accept(bad), (e: Error) => e.name === 'ChunkHashError' || e.name === 'MigrationDecodeError')
    detected++
  }
  assert.equal(detected, 50)
  assert.equal(target.chunks.size, 0, 'nothing corrupted is kept')
  const wrongHash = frame.slice(); wrongHash[0] ^= 0xff
  assert.throws(() => target.accept(wrongHash), { name: 'ChunkHashError' })
  assert.throws(() => target.accept(frame.subarray(0, 5)), { name: 'MigrationDecodeError' })
  assert.throws(() => target.accept(new Uint8Array([...frame, 0])), { name: 'MigrationDecodeError' })
  target.accept(frame) // the re-fetched good copy is taken
  assert.equal(target.chunks.size, 1)
})

test('fixed, aligned chunks (what live migration uses for memory): a 4 KiB dirty page spoils one chunk', () => {
  let mem = memory(16 * MiB, 9)
  const cdc = new PreCopySender()
  const fixed = new PreCopySender({ fixedChunkBytes: 8192 })
  const target = new PreCopyReceiver()
  cdc.round(mem)
  const first = fixed.round(mem)
  assert.ok(first.recipe.chunks.every(c => c.length === 8192))
  ship(first, target)
  for (let round = 1; round <= 2; round++) {
    mem = mutate(mem, 0.05, 200 + round)
    const a = cdc.round(mem)
    const b = fixed.round(mem)
    ship(b, target)
    assert.deepEqual(target.rebuild(b.recipe), mem)
    // ≤ 2 × the dirty share (a dirty page is half of its 8 KiB chunk), and well under CDC's
    assert.ok(b.sentBytes <= 0.1 * mem.length, `fixed round ${round} sent ${b.sentBytes}`)
    assert.ok(b.sentBytes < 0.75 * a.sentBytes, `fixed ${b.sentBytes} vs content-defined ${a.sentBytes}`)
    console.log(`# round ${round}: fixed 8 KiB chunks sent ${(100 * b.sentBytes / mem.length).toFixed(1)} %, FastCDC ${(100 * a.sentBytes / mem.length).toFixed(1)} % of memory`)
  }
  assert.throws(() => new PreCopySender({ fixedChunkBytes: -1 }), RangeError)
})
