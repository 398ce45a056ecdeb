/**
 * A moved or resumed task keeps its remaining wall-clock limit (issue 20): the run time it used
 * before its snapshot (the snapshot's clock) is charged on the peer that resumes it.
 *
 * - `readSnapshotClockNs` reads exactly the clock `decodeSnapshot` reads, and garbage fails with
 *   `MigrationDecodeError` only;
 * - the migration service's `prepare` of a task claimed again from a checkpoint sets the link's
 *   `usedMs` to the checkpoint's clock (its components are fakes: this is the service's unit test);
 * - the Node task runner charges `usedMs`: the counter, resumed from a real snapshot with a used
 *   time just under its limit, fails with `JobTimeoutError` instead of finishing (with `usedMs`
 *   ignored it would finish: the same run without it is asserted to).
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import fc from 'fast-check'
import { createNodeTaskRunner } from '../../node-runtime/jobs/runner.ts'
import { createInstrumenter, type Instrumenter } from '../../node-runtime/migration/instrumenter.ts'
import type { TaskRunner, CheckpointLink } from '../../core/jobs/runner.ts'
import type { JobsState } from '../../core/jobs/state.ts'
import type { InstrumentedModule } from '../../core/migration/instrument.ts'
import { CONTROL_PAUSE } from '../../core/migration/worker-run.ts'
import { wholeSnapshot } from '../../core/migration/dirty.ts'
import { decodeSnapshot, encodeSnapshot, readSnapshotClockNs } from '../../core/migration/snapshot-codec.ts'
import { createMigrationService } from '../../core/migration/service.ts'
import { exampleWasm } from '../jobs/_examples.ts'

const N = '400000'
const counter = exampleWasm('counter')
const text = (b: Uint8Array): string => new TextDecoder().decode(b)

let runner: TaskRunner
let instrumenter: Instrumenter
let mod: InstrumentedModule
let plain: string
/** a real snapshot of the counter, paused at its first WASI call */
let snapshot: Uint8Array

function link (first: number, on: Partial<Pick<CheckpointLink, 'onPaused'>>, from?: Uint8Array, usedMs?: number): CheckpointLink {
  const sab = new SharedArrayBuffer(4)
  Atomics.store(new Int32Array(sab), 0, first)
  return {
    spec: { globals: mod.globals, control: sab, ...(from != null ? { from } : {}) },
    onReply: () => {},
    onPaused: on.onPaused ?? (async () => ({ leave: 'unexpected pause' })),
    ...(usedMs != null ? { usedMs } : {})
  }
}

before(async () => {
  runner = await createNodeTaskRunner({ capacity: 1 })
  instrumenter = createInstrumenter()
  plain = text((await runner.run(counter, { args: [N] }, { memoryBytes: 16 * 1024 * 1024, timeoutMs: 120_000 })).stdout)
  mod = await instrumenter.instrument(counter)
  let snap: Uint8Array | undefined
  await assert.rejects(runner.run(mod.bytes, { args: [N] }, { memoryBytes: 16 * 1024 * 1024, timeoutMs: 120_000 }, { checkpoint: link(CONTROL_PAUSE, { onPaused: async s => { snap = wholeSnapshot(s); return { leave: 'test' } } }) }), { name: 'TaskHandedOverError' })
  assert.ok(snap != null)
  snapshot = snap
})
after(async () => { runner.stop(); await instrumenter.stop() })

test('readSnapshotClockNs reads the clock decodeSnapshot reads; garbage fails with MigrationDecodeError only', () => {
  const s = decodeSnapshot(snapshot)
  assert.equal(readSnapshotClockNs(snapshot), s.clockNs)
  const later = encodeSnapshot({ ...s, clockNs: 123_456_789_000n })
  assert.equal(readSnapshotClockNs(later), 123_456_789_000n)
  fc.assert(fc.property(fc.nat(), fc.integer({ min: 1, max: 255 }), fc.nat(), (at, x, cut) => {
    for (const bytes of [later.subarray(0, cut % later.length), (() => { const f = later.slice(); f[at % f.length] ^= x; return f })()]) {
      try { readSnapshotClockNs(bytes) } catch (err) { assert.equal((err as Error).name, 'MigrationDecodeError', (err as Error).message) }
    }
  }), { seed: 31, numRuns: 500 })
})

test('the service charges a task resumed from a checkpoint with the checkpoint\'s run time', async () => {
  const s = decodeSnapshot(snapshot)
  const cp = encodeSnapshot({ ...s, clockNs: 42_500_000_000n }) // 42.5 s used before the checkpoint
  // a job's spec names its memory cap, and a checkpoint is fetched under that cap plus the margin
  const state = { jobs: new Map([['j1', { spec: { memoryBytes: 16 * 1024 * 1024 }, tasks: [{ slots: [{ checkpoint: { snapshot: 'cp', keeper: 'k', by: 'b' } }] }] }]]) } as unknown as JobsState
  const service = createMigrationService({
    self: 'me',
    handle: async () => {},
    unhandle: async () => {},
    request: async () => { throw new Error('no network in this test') },
    jobs: { state, submit: async () => { throw new Error('no ledger in this test') } },
    worker: () => undefined,
    fetchBlob: async (id, _from, opts) => {
      assert.equal(id, 'cp')
      assert.equal(opts?.maxBytes, 16 * 1024 * 1024 + 64 * 1024 * 1024, 'the memory cap plus checkpointExtraBytes')
      return cp
    },
    putBlob: () => 'x',
    instrument: async () => mod,
    peers: () => []
  }, { checkpointIntervalMs: 0 })
  const held = { job: 'j1', task: 0, replica: 0, token: { slot: 7, epoch: 2 }, moduleId: 'm', module: counter }
  const prepared = await service.hooks.prepare(held)
  assert.ok(prepared != null)
  assert.equal(prepared.checkpoint.usedMs, 42_500)
  assert.equal(prepared.checkpoint.spec.from, cp)
  service.hooks.ended?.(held)
  // a task starting from nothing has no used time
  const fresh = createMigrationService({
    self: 'me', handle: async () => {}, unhandle: async () => {}, request: async () => new Uint8Array(), jobs: { state: { jobs: new Map() } as unknown as JobsState, submit: async () => { throw new Error('unused') } },
    worker: () => undefined, fetchBlob: async () => new Uint8Array(), putBlob: () => 'x', instrument: async () => mod, peers: () => []
  }, { checkpointIntervalMs: 0 })
  const p2 = await fresh.hooks.prepare(held)
  assert.equal(p2?.checkpoint.usedMs, undefined)
  fresh.hooks.ended?.(held)
})

test('the runner charges usedMs: a resumed task with almost no time left times out; without it, it finishes', async () => {
  const limits = { memoryBytes: 16 * 1024 * 1024, timeoutMs: 600_000 }
  const out = await runner.run(mod.bytes, { args: [N] }, limits, { checkpoint: link(0, {}, snapshot) })
  assert.equal(text(out.stdout), plain)
  await assert.rejects(runner.run(mod.bytes, { args: [N] }, limits, { checkpoint: link(0, {}, snapshot, 600_000 - 1) }), { name: 'JobTimeoutError' })
})
