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
import { DEFAULT_CHUNK_BYTES, DirtyTracker } from '../../core/migration/dirty.ts'
import { MigrationIncoming, type Arrival, type HeldCheckpoint, type ReadySnapshot } from '../../core/migration/incoming.ts'
import { migrateOut, type MigrationRecord, type OutgoingOptions } from '../../core/migration/outgoing.ts'
import { decodeSnapshot, encodeSnapshot } from '../../core/migration/snapshot-codec.ts'
import type { TaskSnapshot } from '../../core/migration/snapshot.ts'
import { applyOver, copyBase } from '../../core/migration/warm-base.ts'
import { seededBytes, seededInts } from '../_support/seeded-bytes.ts'

const SRC = '12D3KooWSourceSourceSourceSourceSourceSourceSource1'
const DST = '12D3KooWTargetTargetTargetTargetTargetTargetTarget1'
const MEMORY = 4 << 20 // 1,024 chunks of 4 KiB
const CB = DEFAULT_CHUNK_BYTES

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

/**
 * The worker made ahead for the arriving task, in one process: its instance memory gets the kept
 * checkpoint through the real `copyBase` (what warm-base.ts does on the worker's thread), and the
 * resume writes the snapshot over it with the real `applyOver`.
 */
class AheadWorker {
  readonly instance = new Uint8Array(MEMORY)
  bases = 0
  /** it died after it was handed the checkpoint: it copies nothing and reports nothing */
  dead = false
  /** made at the offer, its base following (incoming.ts `workerAt: 'offer'`), or once the base is read */
  constructor (readonly at: 'offer' | 'read' = 'read') {}
  /** whether it was made before its base was read (the base a promise) */
  early: boolean | undefined
  arriving = (a: Arrival): Promise<Uint8Array | undefined> | undefined => {
    if (a.base == null) return undefined
    this.early = a.base instanceof Promise
    return Promise.resolve(a.base).then(b => {
      if (b == null) return undefined
      this.bases++
      return this.dead ? undefined : copyBase(this.instance, b)
    })
  }
}

function target (kept: HeldCheckpoint | undefined, ahead?: AheadWorker): { incoming: MigrationIncoming, ready: ReadySnapshot[] } {
  const state = new JobsState()
  const apply = (slot: number, e: JobEntry, author = SRC): void => { const { kind, data } = encodeJobEntry(e); assert.ok(state.apply({ slot, index: 0, author, kind, data }).applied) }
  apply(1, { kind: 'job.submit', body: { at: 1000, module: 'a'.repeat(64), count: 1, replicas: 1, timeoutMs: 60_000, memoryBytes: MEMORY, leaseTtlMs: 60_000 } })
  apply(2, { kind: 'job.claim', body: { at: 1001, job: '1.0', task: 0, replica: 0, capacity: 1 } })
  const ready: ReadySnapshot[] = []
  const incoming = new MigrationIncoming({ state, hasRoom: () => true, prepareModule: async () => {}, keep: async () => {}, ready: r => { ready.push(r) }, log: () => {}, ...(kept != null ? { heldCheckpoint: () => kept } : {}), ...(ahead != null ? { arriving: ahead.arriving } : {}) }, { workerAt: ahead?.at ?? 'read' })
  return { incoming, ready }
}

/** moves `task` to a target keeping `kept`, the source offering `base` (its own copy of its last checkpoint) */
async function move (task: Task, kept: HeldCheckpoint | undefined, base: { tag: number, index: ChunkIndex, memory: Uint8Array, takenAt?: number } | undefined, rounds = 2, ahead?: AheadWorker, extra: OutgoingOptions = {}): Promise<{ rec: MigrationRecord, memory: Uint8Array, baseReads: number, baseHeld?: Uint8Array, sent: Uint8Array }> {
  const { incoming, ready } = target(kept, ahead)
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
    ...(base != null ? { base: () => ({ tag: base.tag, index: base.index, chunk: async (i: number) => { baseReads++; return base.memory.subarray(i * CB, (i + 1) * CB) }, ...(base.takenAt != null ? { takenAt: base.takenAt } : {}) }) } : {})
  }, { id: 'm1', job: '1.0', task: 0, replica: 0, token: { epoch: 1, slot: 2 } }, [DST], { maxRounds: rounds, converge: 10, stopBelow: 0, ...extra })
  assert.equal(ready.length, 1)
  const { baseHeld, fillBase } = ready[0]
  const built = ready[0].snapshot()
  const snap = decodeSnapshot(built)
  assert.ok(paused != null)
  const sent = snap.memory.slice()
  if (baseHeld != null && ahead?.dead === true) {
    // the worker holding them is gone: the run writes them in from the checkpoint kept here
    assert.ok(fillBase != null)
    fillBase(built)
    assert.deepEqual(decodeSnapshot(built).memory, paused, 'the whole snapshot is exactly the paused memory')
    return { rec, memory: snap.memory, baseReads, baseHeld, sent }
  }
  if (baseHeld != null) {
    // the snapshot leaves the kept checkpoint's chunks to the worker made ahead: resume over them there
    assert.ok(ahead != null, 'only a worker made ahead holds chunks left out')
    applyOver(ahead.instance, snap.memory, baseHeld, CB)
    assert.deepEqual(ahead.instance.subarray(0, paused.length), paused, 'the resumed memory is exactly the paused memory')
    return { rec, memory: ahead.instance, baseReads, baseHeld, sent }
  }
  assert.deepEqual(snap.memory, paused, 'the target resumes exactly the paused memory')
  return { rec, memory: snap.memory, baseReads, sent }
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

/** the chunks `flags` marks, all zeros in `memory` (the image never copied them) */
function zerosAt (memory: Uint8Array, flags: Uint8Array): boolean {
  for (let i = 0; i < flags.length; i++) if (flags[i] === 1 && memory.subarray(i * CB, (i + 1) * CB).some(b => b !== 0)) return false
  return true
}

test('the kept checkpoint goes into the worker made ahead, not the image: the snapshot carries only what arrived, the resumed memory is exact', async () => {
  for (const [rounds, at] of [[2, 'read'], [0, 'read'], [2, 'offer'], [0, 'offer']] as const) {
    const task = new Task()
    const cp = await checkpoint(task, 1)
    task.dirty(40)
    const ahead = new AheadWorker(at)
    const { rec, baseHeld, sent, baseReads } = await move(task, { index: cp.index, memory: () => cp.memory }, cp, rounds, ahead)
    assert.equal(rec.seeded, true)
    assert.equal(ahead.early, at === 'offer', `the worker made ${at === 'offer' ? 'at the offer' : 'once the checkpoint was read'}`)
    assert.equal(ahead.bases, 1, 'the checkpoint went to the worker once')
    assert.ok(baseHeld != null, 'the snapshot leaves chunks to the worker')
    const left = baseHeld.reduce((n, f) => n + f, 0)
    assert.ok(left > MEMORY / CB / 2, `${left} of ${MEMORY / CB} chunks left to the worker`)
    assert.ok(zerosAt(sent, baseHeld), 'the image holds none of them: it never copied the checkpoint')
    assert.equal(baseReads, 0)
  }
})

test('with the checkpoint in the worker made ahead, chunks damaged in the kept copy are still sent again, and the resumed memory is exact', async () => {
  const task = new Task()
  const cp = await checkpoint(task, 1)
  task.dirty(20)
  const damaged = cp.memory.slice()
  const bad = [3, 100, 400]
  for (const i of bad) damaged[i * CB + 17] ^= 0xff
  const ahead = new AheadWorker()
  const { rec, baseReads, baseHeld } = await move(task, { index: cp.index, memory: () => damaged }, cp, 2, ahead)
  assert.ok(baseHeld != null)
  for (const i of bad) assert.equal(baseHeld[i], 0, `damaged chunk ${i} is not left to the worker`)
  assert.ok(rec.resentChunks >= 1 && rec.resentChunks <= 3, `resent ${rec.resentChunks}`)
  assert.equal(baseReads, rec.resentChunks, 'each from the source\'s checkpoint')
})

test('a worker made ahead that died: the snapshot\'s left-out chunks are written in from the checkpoint read again, the memory exact; no worker at all: the image', async () => {
  const task = new Task()
  const cp = await checkpoint(task, 1)
  task.dirty(20)
  const dead = new AheadWorker()
  dead.dead = true
  let reads = 0
  const { baseHeld, baseReads } = await move(task, { index: cp.index, memory: () => { reads++; return cp.memory.slice() } }, cp, 1, dead)
  assert.equal(dead.bases, 1)
  assert.ok(baseHeld != null, '`final` did not wait for the worker')
  assert.equal(reads, 2, 'read once for the worker, once to fill the snapshot')
  assert.equal(baseReads, 0)

  const none = new AheadWorker()
  none.arriving = () => undefined // none made (a tab, or too many arriving)
  const other = new Task()
  const cp2 = await checkpoint(other, 1)
  other.dirty(20)
  const r2 = await move(other, { index: cp2.index, memory: () => cp2.memory.slice() }, cp2, 1, none)
  assert.equal(r2.baseHeld, undefined, 'a whole snapshot from the image')
})

test('a warm pre-copy stops its rounds once the pause\'s delta fits the downtime budget; with no budget, or cold, it does not', async () => {
  // a checkpoint "taken 2 s ago": the first round's delta gives the dirty rate at once; this
  // in-process path is far faster than any budget, so the first round already leaves a delta that fits
  const warmMove = async (budget: number): Promise<MigrationRecord> => {
    const task = new Task()
    const cp = await checkpoint(task, 1)
    task.dirty(40)
    const { rec } = await move(task, { index: cp.index, memory: () => cp.memory }, { ...cp, takenAt: performance.now() - 2000 }, 6, undefined, { downtimeBudgetMs: budget })
    return rec
  }
  const budgeted = await warmMove(5000)
  assert.equal(budgeted.precopyStop, 'budget')
  assert.equal(budgeted.rounds, 2, 'one round, then the pause')
  const unbudgeted = await warmMove(0)
  assert.equal(unbudgeted.precopyStop, 'rounds', 'with stopBelow 0 and no budget: every round')
  assert.equal(unbudgeted.rounds, 7)

  const cold = new Task()
  const { rec } = await move(cold, undefined, undefined, 3, undefined, { downtimeBudgetMs: 5000 })
  assert.equal(rec.seeded, false)
  assert.notEqual(rec.precopyStop, 'budget', 'a cold move keeps the share-of-memory rule')
})
