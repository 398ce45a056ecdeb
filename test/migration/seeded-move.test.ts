/**
 * A move to a target that keeps the task's last checkpoint starts from that checkpoint on both
 * ends (outgoing.ts `base`, precopy.ts `seed`, dirty.ts `remember`): the worker's first delta lists
 * only the chunks changed since the checkpoint (no full delta of all memory), the source names the
 * rest from its own index of the checkpoint, and the target's snapshot is still exactly the task's
 * memory. Driven in one process: the real tracker over a seeded memory stands for the task's
 * worker, the real `MigrationIncoming` (with the checkpoint held by its index) is the target, real
 * codec bytes between them. A target that claimed a chunk it lacks (its stored copy damaged) gets
 * it from the source's checkpoint at `final`; a target keeping another checkpoint gets the full
 * delta as before.
 */
import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { initCoreWasm } from '../../core-wasm/index.ts'
import { encodeJobEntry, type JobEntry } from '../../core/jobs/entries.ts'
import { JobsState } from '../../core/jobs/state.ts'
import type { MemoryDelta } from '../../core/jobs/worker-protocol.ts'
import { indexMemory, type ChunkIndex } from '../../core/migration/chunk-index.ts'
import { DirtyTracker } from '../../core/migration/dirty.ts'
import { MigrationIncoming, type HeldCheckpoint, type ReadySnapshot } from '../../core/migration/incoming.ts'
import { migrateOut, type MigrationRecord } from '../../core/migration/outgoing.ts'
import { decodeSnapshot, encodeSnapshot } from '../../core/migration/snapshot-codec.ts'
import type { TaskSnapshot } from '../../core/migration/snapshot.ts'
import { seededBytes, seededInts } from '../_support/seeded-bytes.ts'

const SRC = '12D3KooWSourceSourceSourceSourceSourceSourceSource1'
const DST = '12D3KooWTargetTargetTargetTargetTargetTargetTarget1'
const MEMORY = 4 << 20 // 512 chunks of 8 KiB
const CB = 8192

before(async () => { await initCoreWasm() })

/** the task: a memory its "worker" (a real DirtyTracker) copies and pauses, and that changes between rounds */
class Task {
  readonly memory = seededBytes(MEMORY, 21)
  readonly tracker = new DirtyTracker(CB)
  epoch = 0
  base = 0
  private readonly next = seededInts(5)
  fullDeltas = 0
  deltaBytes = 0

  /** writes `chunks` random 4 KiB runs */
  dirty (chunks: number): void {
    for (let k = 0; k < chunks; k++) {
      const off = (this.next() % (MEMORY / 4096)) * 4096
      this.memory.set(seededBytes(4096, this.next()), off)
    }
  }

  /** `runOn`: the task runs on after (a round), or not (the pause) */
  delta (fresh: boolean, base?: number, runOn = true): MemoryDelta {
    if (fresh) { this.epoch++; this.base = base ?? 0 }
    const d = this.tracker.delta(this.memory, this.epoch, this.base)
    if (d.full) this.fullDeltas++
    this.deltaBytes += d.bytes.length
    if (runOn) this.dirty(8)
    return d
  }

  meta (): Uint8Array {
    const s: TaskSnapshot = { memory: new Uint8Array(0), globals: [{ kind: 'i32', value: 1 }], unwind: new Uint8Array([1, 2]), pausedIn: 'fd_write', pausedResult: 0, stdinPos: 0, stdout: new TextEncoder().encode('so far\n'), stderr: new Uint8Array(0), clockNs: 7n, calls: 3, pauses: 1 }
    return encodeSnapshot(s)
  }
}

function target (kept: HeldCheckpoint | undefined): { incoming: MigrationIncoming, ready: ReadySnapshot[] } {
  const state = new JobsState()
  const apply = (slot: number, e: JobEntry, author = SRC): void => { const { kind, data } = encodeJobEntry(e); assert.ok(state.apply({ slot, index: 0, author, kind, data }).applied) }
  apply(1, { kind: 'job.submit', body: { at: 1000, module: 'a'.repeat(64), count: 1, replicas: 1, timeoutMs: 60_000, memoryBytes: MEMORY, leaseTtlMs: 60_000 } })
  apply(2, { kind: 'job.claim', body: { at: 1001, job: '1.0', task: 0, replica: 0, capacity: 1 } })
  const ready: ReadySnapshot[] = []
  const incoming = new MigrationIncoming({ state, hasRoom: () => true, prepareModule: async () => {}, keep: async () => {}, ready: r => { ready.push(r) }, log: () => {}, ...(kept != null ? { heldCheckpoint: () => kept } : {}) })
  return { incoming, ready }
}

/** moves `task` to a target keeping `kept`, the source offering `base` (its own copy of its last checkpoint) */
async function move (task: Task, kept: HeldCheckpoint | undefined, base: { tag: number, index: ChunkIndex, memory: Uint8Array } | undefined, rounds = 2): Promise<{ rec: MigrationRecord, memory: Uint8Array, baseReads: number }> {
  const { incoming, ready } = target(kept)
  let paused: Uint8Array | undefined
  let baseReads = 0
  const rec = await migrateOut({
    self: SRC,
    request: async (_peer, payload) => await incoming.handle(payload, SRC),
    submitHandover: async () => ({ handedOver: true }),
    copyMemory: async (fresh, b) => task.delta(fresh, b),
    pause: async (fresh, b) => {
      const delta = task.delta(fresh, b, false)
      paused = task.memory.slice(0, delta.memoryBytes)
      return { snapshot: task.meta(), delta }
    },
    decide: () => {},
    log: () => {},
    ...(base != null ? { base: () => ({ tag: base.tag, index: base.index, chunk: async (i: number) => { baseReads++; return base.memory.subarray(i * CB, (i + 1) * CB) } }) } : {})
  }, { id: 'm1', job: '1.0', task: 0, replica: 0, token: { epoch: 1, slot: 2 } }, [DST], { maxRounds: rounds, converge: 10, stopBelow: 0 })
  assert.equal(ready.length, 1)
  const snap = decodeSnapshot(ready[0].snapshot())
  assert.ok(paused != null)
  assert.deepEqual(snap.memory, paused, 'the target resumes exactly the paused memory')
  return { rec, memory: snap.memory, baseReads }
}

/** a checkpoint of `task` now: the worker remembers it under `tag`, both peers index it */
async function checkpoint (task: Task, tag: number): Promise<{ tag: number, index: ChunkIndex, memory: Uint8Array }> {
  const memory = task.memory.slice()
  task.tracker.remember(task.memory, tag)
  return { tag, index: await indexMemory(memory, 'c'.repeat(64)), memory }
}

test('a target keeping the last checkpoint: no full delta, only the chunks changed since are sent, the memory arrives exactly', async () => {
  const task = new Task()
  const cp = await checkpoint(task, 1)
  task.dirty(40) // the task runs on after its checkpoint
  const { rec, baseReads } = await move(task, { index: cp.index, memory: () => cp.memory }, cp)
  assert.equal(rec.seeded, true)
  assert.equal(task.fullDeltas, 0, 'no delta listed every chunk')
  assert.ok(task.deltaBytes < MEMORY / 4, `the worker copied ${task.deltaBytes} bytes, not all ${MEMORY}`)
  assert.ok(rec.bytesSent < MEMORY / 4, `sent ${rec.bytesSent} bytes of ${MEMORY}`)
  assert.equal(rec.resentChunks, 0)
  assert.equal(baseReads, 0, 'nothing read from the checkpoint: the target had it all')
})

test('the same with no pre-copy round (stop-and-copy from the checkpoint)', async () => {
  const task = new Task()
  const cp = await checkpoint(task, 3)
  task.dirty(40)
  const { rec } = await move(task, { index: cp.index, memory: () => cp.memory }, cp, 0)
  assert.equal(rec.seeded, true)
  assert.equal(task.fullDeltas, 0)
  assert.ok(rec.bytesSent < MEMORY / 4)
})

test('a target that claimed chunks it lacks (its stored copy damaged) gets them from the source\'s checkpoint at final', async () => {
  const task = new Task()
  const cp = await checkpoint(task, 1)
  task.dirty(20)
  const damaged = cp.memory.slice()
  for (const i of [3, 100, 400]) damaged[i * CB + 17] ^= 0xff
  const { rec, baseReads } = await move(task, { index: cp.index, memory: () => damaged }, cp)
  assert.equal(rec.seeded, true)
  assert.ok(rec.resentChunks >= 1 && rec.resentChunks <= 3, `resent ${rec.resentChunks}`)
  assert.equal(baseReads, rec.resentChunks, 'each from the checkpoint here (no delta carried them)')
})

test('a target keeping another checkpoint (or a tag the worker does not remember): the full delta, as before', async () => {
  const task = new Task()
  const older = await checkpoint(task, 1)
  task.dirty(60)
  const cp = await checkpoint(task, 2)
  task.dirty(10)
  const { rec } = await move(task, { index: older.index, memory: () => older.memory }, cp)
  assert.equal(rec.seeded, false, 'the target does not name every chunk of the source\'s checkpoint')
  assert.equal(task.fullDeltas, 1)

  const again = new Task()
  const cp2 = await checkpoint(again, 5)
  again.dirty(10)
  const { rec: r2 } = await move(again, { index: cp2.index, memory: () => cp2.memory }, { ...cp2, tag: 6 })
  assert.equal(r2.seeded, true, 'the source believes it')
  assert.equal(again.fullDeltas, 1, 'the worker does not know tag 6: its delta lists every chunk')
})
