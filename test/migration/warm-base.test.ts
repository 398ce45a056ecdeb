/**
 * A kept checkpoint copied into the worker made ahead for an arriving task (core/migration/
 * warm-base.ts): `copyBase` copies only chunks matching their names, `applyOver` writes a snapshot
 * over the base except the chunks it holds; and in the Node runner's real worker threads, a warm
 * worker given the base reports what it holds (`based`), and a run from a snapshot that leaves
 * those chunks out (zeroed here, so reading them would show) resumes with exactly the output of an
 * uninterrupted run — also when the worker was made before its base was read (session 16: the
 * base a promise). A run told to leave chunks to a worker it cannot take fails, typed.
 */
import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { initCoreWasm, xxh64 } from '../../core-wasm/index.ts'
import type { CheckpointLink } from '../../core/jobs/runner.ts'
import { wholeSnapshot } from '../../core/migration/dirty.ts'
import { decodeSnapshot } from '../../core/migration/snapshot-codec.ts'
import { applyOver, checkBase, copyBase } from '../../core/migration/warm-base.ts'
import { CONTROL_PAUSE } from '../../core/migration/worker-run.ts'
import { seededBytes } from '../_support/seeded-bytes.ts'
import { exampleWasm } from '../jobs/_examples.ts'
import { runnerFixture } from './_runner-fixture.ts'

const CB = 8192
const N = '20000000'
const limits = { memoryBytes: 16 * 1024 * 1024, timeoutMs: 120_000 }
const text = (b: Uint8Array): string => new TextDecoder().decode(b)
const f = runnerFixture(exampleWasm('counter'), [N], limits)

before(async () => { await initCoreWasm() })

const hashesOf = (m: Uint8Array): BigUint64Array => {
  const h = new BigUint64Array(m.length / CB)
  for (let i = 0; i < h.length; i++) h[i] = xxh64(m.subarray(i * CB, (i + 1) * CB))
  return h
}

test('copyBase copies only chunks matching their names (or the ones checkBase flagged); applyOver writes all but the held ones', async () => {
  const base = seededBytes(16 * CB, 3)
  const hashes = hashesOf(base)
  base[5 * CB + 9] ^= 1 // damaged after it was named
  const mem = new Uint8Array(12 * CB) // smaller than the base: chunks past it are not held
  const held = copyBase(mem, { memory: base, hashes, chunkBytes: CB })
  assert.equal(held.length, 16)
  assert.deepEqual([...held].map((x, i) => x === 1 ? -1 : i).filter(i => i >= 0), [5, 12, 13, 14, 15])
  assert.ok(mem.subarray(5 * CB, 6 * CB).every(b => b === 0), 'the damaged chunk is not copied')
  assert.deepEqual(mem.subarray(0, 5 * CB), base.subarray(0, 5 * CB))
  // the owner's check (its main thread) flags the same chunks of the base; given those flags the
  // worker copies them without hashing again
  const checked = await checkBase(base, hashes, CB)
  assert.deepEqual([...checked].map((x, i) => x === 1 ? -1 : i).filter(i => i >= 0), [5])
  const mem2 = new Uint8Array(12 * CB)
  assert.deepEqual(copyBase(mem2, { memory: base, hashes, chunkBytes: CB, held: checked }), held)
  assert.deepEqual(mem2, mem)

  const snap = seededBytes(12 * CB, 4)
  const flags = new Uint8Array(12)
  flags[0] = flags[1] = flags[7] = 1
  const before = mem.slice()
  applyOver(mem, snap, flags, CB)
  for (let i = 0; i < 12; i++) {
    const want = flags[i] === 1 ? before : snap
    assert.deepEqual(mem.subarray(i * CB, (i + 1) * CB), want.subarray(i * CB, (i + 1) * CB), `chunk ${i}`)
  }
  assert.throws(() => { applyOver(mem, snap.subarray(0, 4 * CB), flags, CB) }, RangeError)
})

test('a warm worker given the kept checkpoint holds its matching chunks; a run from a snapshot leaving them out resumes exactly', async () => {
  // a paused counter: its whole snapshot
  let snap: Uint8Array | undefined
  const control = new SharedArrayBuffer(12)
  Atomics.store(new Int32Array(control), 0, CONTROL_PAUSE)
  const pausing: CheckpointLink = {
    spec: { globals: f.mod.globals, control },
    onReply: () => {},
    onPaused: async s => { snap = wholeSnapshot(s); return { leave: 'moved elsewhere' } }
  }
  await assert.rejects(f.runner.run(f.mod.bytes, { args: [N] }, limits, { checkpoint: pausing }), { name: 'TaskHandedOverError' })
  assert.ok(snap != null)
  const memory = decodeSnapshot(snap).memory
  const chunks = memory.length / CB
  assert.ok(chunks >= 8, `${chunks} chunks`)

  // the "checkpoint": the paused memory with chunks 1 and 5 different (changed since), named as it
  // was stored, then chunk 7 damaged in the kept copy
  const kept = memory.slice()
  kept[1 * CB] ^= 0x55
  kept[5 * CB + 100] ^= 0x55
  const hashes = hashesOf(kept)
  kept[7 * CB + 3] ^= 0xff
  // as the target does: checked on its thread (checkBase), the flags handed with it
  const checked = await checkBase(kept, hashes, CB)
  const warm = f.runner.warm({ module: f.mod.bytes, limits, memoryBytes: memory.length, base: { memory: kept, hashes, chunkBytes: CB, held: checked } })
  const held = await warm.based
  assert.ok(held != null, 'the worker reports what it holds')
  assert.equal(held.length, chunks)
  assert.equal(held[7], 0, 'the damaged chunk is not held')
  assert.equal(held.reduce((n, x) => n + x, 0), chunks - 1)
  assert.deepEqual(held, checked, 'it holds what the owner checked')
  assert.equal(kept.length, 0, 'the checkpoint\'s buffer was moved to the worker, not cloned')

  // the target's flags: held chunks the paused memory still has (not 1 and 5); their bytes zeroed
  const keptNames = hashes
  const pausedNames = hashesOf(memory)
  const baseHeld = new Uint8Array(chunks)
  for (let i = 0; i < chunks; i++) if (held[i] === 1 && keptNames[i] === pausedNames[i]) baseHeld[i] = 1
  assert.deepEqual([baseHeld[1], baseHeld[5], baseHeld[7]], [0, 0, 0])
  const holed = snap.slice()
  const view = decodeSnapshot(holed, { viewMemory: true }).memory
  for (let i = 0; i < chunks; i++) if (baseHeld[i] === 1) view.fill(0, i * CB, (i + 1) * CB)

  let resumedWarm: boolean | undefined
  const run: CheckpointLink = {
    spec: { globals: f.mod.globals, control: new SharedArrayBuffer(4), from: holed, baseHeld },
    onReply: () => {},
    onPaused: async () => ({ leave: 'unexpected pause' }),
    onResumed: w => { resumedWarm = w },
    warm
  }
  assert.equal(text((await f.runner.run(f.mod.bytes, { args: [N] }, limits, { checkpoint: run })).stdout), f.plain)
  assert.equal(resumedWarm, true, 'in the warm instance')

  // the same snapshot with no worker holding those chunks: refused, not run on a wrong memory
  const alone: CheckpointLink = { spec: { globals: f.mod.globals, control: new SharedArrayBuffer(4), from: holed.slice(), baseHeld }, onReply: () => {}, onPaused: async () => ({ leave: 'unexpected pause' }) }
  await assert.rejects(f.runner.run(f.mod.bytes, { args: [N] }, limits, { checkpoint: alone }), /kept checkpoint/)
})

test('a worker made at the offer, its base given once read and checked (a promise), holds the same chunks; with none, or a run first, it goes on without', async () => {
  let snap: Uint8Array | undefined
  const control = new SharedArrayBuffer(12)
  Atomics.store(new Int32Array(control), 0, CONTROL_PAUSE)
  const pausing: CheckpointLink = { spec: { globals: f.mod.globals, control }, onReply: () => {}, onPaused: async s => { snap = wholeSnapshot(s); return { leave: 'moved elsewhere' } } }
  await assert.rejects(f.runner.run(f.mod.bytes, { args: [N] }, limits, { checkpoint: pausing }), { name: 'TaskHandedOverError' })
  assert.ok(snap != null)
  const memory = decodeSnapshot(snap).memory
  const chunks = memory.length / CB
  const kept = memory.slice()
  const hashes = hashesOf(kept)
  kept[3 * CB + 1] ^= 0xff // damaged in the kept copy

  // the worker starts now; the base follows after its memory is touched (the target reads and checks it meanwhile)
  let give: (b: { memory: Uint8Array, hashes: BigUint64Array, chunkBytes: number, held: Uint8Array } | undefined) => void = () => {}
  const warm = f.runner.warm({ module: f.mod.bytes, limits, memoryBytes: memory.length, base: new Promise(resolve => { give = resolve }) })
  const checked = await checkBase(kept, hashes, CB)
  give({ memory: kept, hashes, chunkBytes: CB, held: checked })
  const held = await warm.based
  assert.deepEqual(held, checked, 'it holds what the owner checked')
  assert.equal(held?.[3], 0, 'not the damaged chunk')
  assert.equal(kept.length, 0, 'the checkpoint\'s buffer was moved to the worker, not cloned')
  // the paused snapshot with every held chunk zeroed: resumed over the base, exactly
  const holed = snap.slice()
  const view = decodeSnapshot(holed, { viewMemory: true }).memory
  const baseHeld = held ?? new Uint8Array(chunks)
  for (let i = 0; i < chunks; i++) if (baseHeld[i] === 1) view.fill(0, i * CB, (i + 1) * CB)
  let resumedWarm: boolean | undefined
  const run: CheckpointLink = { spec: { globals: f.mod.globals, control: new SharedArrayBuffer(4), from: holed, baseHeld }, onReply: () => {}, onPaused: async () => ({ leave: 'unexpected pause' }), onResumed: w => { resumedWarm = w }, warm }
  assert.equal(text((await f.runner.run(f.mod.bytes, { args: [N] }, limits, { checkpoint: run })).stdout), f.plain)
  assert.equal(resumedWarm, true, 'in the warm instance')

  // no base after all (the checkpoint did not read): nothing held, and the whole snapshot resumes in it
  const bare = f.runner.warm({ module: f.mod.bytes, limits, memoryBytes: memory.length, base: Promise.resolve(undefined) })
  assert.equal(await bare.based, undefined)
  // a run that takes the worker before its base comes: it runs on without one, exactly
  const early = f.runner.warm({ module: f.mod.bytes, limits, memoryBytes: memory.length, base: new Promise(() => {}) })
  for (const w of [bare, early]) {
    let inWarm: boolean | undefined
    const whole: CheckpointLink = { spec: { globals: f.mod.globals, control: new SharedArrayBuffer(4), from: snap.slice() }, onReply: () => {}, onPaused: async () => ({ leave: 'unexpected pause' }), onResumed: x => { inWarm = x }, warm: w }
    assert.equal(text((await f.runner.run(f.mod.bytes, { args: [N] }, limits, { checkpoint: whole })).stdout), f.plain)
    assert.equal(inWarm, true, 'in the warm instance')
  }
  assert.equal(await early.based, undefined, 'taken before its base came: it reports none')
})
