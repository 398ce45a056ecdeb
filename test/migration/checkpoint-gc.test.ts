/**
 * Old checkpoints are cleaned up (issue 20): core/migration/checkpoint-gc.ts decides which
 * checkpoint blobs a peer drops as the ledger's events arrive, and both blob stores forget a blob
 * without losing the chunks another blob still lists.
 *
 * - a newer committed checkpoint drops the earlier recorded ones and any stored before it, but not
 *   one stored after it (a keeper whose ledger lags may already hold the next checkpoint);
 * - a slot's result drops all its blobs; a failed task, a finished or cancelled job drop theirs;
 * - `removeBlob` on the memory and the file store frees exactly the chunks no other manifest lists
 *   (two "checkpoints" that share most of their chunks, as successive ones of a task do);
 * - after a restart the service knows the checkpoint blobs on its disk again from the ledger's
 *   replayed commits (`hasBlob`), so a newer checkpoint or the slot's result still drops them;
 * - a checkpoint blob stored or kept before a restart whose commit never came (its journal,
 *   node-runtime/migration/checkpoint-journal.ts, names it; the replayed ledger does not) is
 *   dropped at start, after a grace in which a commit arriving late keeps it.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { initCoreWasm } from '../../core-wasm/index.ts'
import { createBlobService, MemoryBlobStore, type BlobComponents, type BlobStore } from '../../core/blobs/index.ts'
import { CheckpointHoldings } from '../../core/migration/checkpoint-gc.ts'
import { createMigrationService } from '../../core/migration/service.ts'
import { JobsState, type JobEvent } from '../../core/jobs/state.ts'
import { FileBlobStore } from '../../node-runtime/blobs/file-store.ts'
import { FileCheckpointJournal } from '../../node-runtime/migration/checkpoint-journal.ts'
import { encodeJobEntry, type JobEntry } from '../../core/jobs/entries.ts'
import { decodeResponse, encodeRequest, type MigrationRequest } from '../../core/migration/protocol-codec.ts'
import { seededBytes as bytesOf } from '../_support/seeded-bytes.ts'

const slot = { job: 'j1', task: 0, replica: 0 }
const cp = (snapshot: string, s = slot): JobEvent => ({ type: 'checkpointed', ...s, snapshot, keeper: 'k' })

test('a newer committed checkpoint drops the older ones, not one stored after it', () => {
  const h = new CheckpointHoldings()
  h.add(slot, 'a')
  assert.deepEqual(h.apply([cp('a')]), [])
  h.add(slot, 'b')
  h.add(slot, 'c') // stored before b's commit arrived here (a lagging keeper)
  assert.deepEqual(h.apply([cp('b')]), ['a'])
  assert.deepEqual(h.holding, { 'j1/0/0': ['b', 'c'] })
  assert.deepEqual(h.apply([cp('c')]), ['b'])
  // a checkpoint kept elsewhere: this peer's recorded ones are superseded, its unrecorded later one is not
  h.add(slot, 'd')
  assert.deepEqual(h.apply([cp('e')]), ['c'])
  assert.deepEqual(h.holding, { 'j1/0/0': ['d'] })
  // another slot is untouched
  h.add({ ...slot, task: 1 }, 'x')
  assert.deepEqual(h.apply([cp('f')]), [])
  const now: Record<string, string[]> = h.holding
  assert.deepEqual(now['j1/1/0'], ['x'])
})

test('a result drops its slot\'s blobs; a failed task, a finished or cancelled job drop theirs', () => {
  const h = new CheckpointHoldings()
  h.add(slot, 'a')
  h.add({ ...slot, replica: 1 }, 'r1')
  assert.deepEqual(h.apply([{ type: 'reported', ...slot, worker: 'w', output: 'o' }]), ['a'])
  assert.deepEqual(h.apply([{ type: 'failed', job: 'j1', task: 0, reason: 'x' }]), ['r1'])
  h.add({ job: 'j2', task: 3, replica: 0 }, 'p')
  h.add({ job: 'j2', task: 4, replica: 0 }, 'q')
  h.add({ job: 'j3', task: 0, replica: 0 }, 'z')
  assert.deepEqual(h.apply([{ type: 'finished', job: 'j2' }]).sort(), ['p', 'q'])
  assert.deepEqual(h.apply([{ type: 'cancelled', job: 'j3' }]), ['z'])
  assert.deepEqual(h.holding, {})
})

const dirs: string[] = []
before(async () => { await initCoreWasm() })
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }) })

for (const [name, make] of [['memory', () => new MemoryBlobStore()], ['file', () => { const d = mkdtempSync(join(tmpdir(), 'nc-cpgc-')); dirs.push(d); return new FileBlobStore(d) }]] as Array<[string, () => BlobStore]>) {
  test(`the ${name} store forgets a blob and keeps the chunks another blob lists`, () => {
    const blobs = createBlobService({} as unknown as BlobComponents, { store: make() })
    const older = bytesOf(300_000, 7)
    const newer = older.slice()
    newer.set(bytesOf(4000, 8), 150_000) // a checkpoint a little later: most chunks shared
    const mOld = blobs.put(older)
    const mNew = blobs.put(newer)
    const shared = new Set(mNew.chunks.map(c => c.hash))
    const onlyOld = mOld.chunks.filter(c => !shared.has(c.hash))
    assert.ok(onlyOld.length >= 1 && onlyOld.length < mOld.chunks.length, 'they share most chunks, not all')
    const before = blobs.store.bytes
    const freed = blobs.remove(mOld.id)
    assert.equal(freed, onlyOld.reduce((n, c) => n + c.length, 0))
    assert.equal(blobs.store.bytes, before - freed)
    assert.equal(blobs.has(mOld.id), false)
    assert.deepEqual(blobs.get(mNew.id), newer, 'the newer blob is whole')
    assert.equal(blobs.remove(mOld.id), 0, 'removing it again frees nothing')
    blobs.remove(mNew.id)
    assert.equal(blobs.store.bytes, 0)
  })
}

test('a restarted peer drops the checkpoints left on its disk once the ledger (replayed, then live) supersedes them', () => {
  const d = mkdtempSync(join(tmpdir(), 'nc-cpgc-restart-'))
  dirs.push(d)
  const before = createBlobService({} as unknown as BlobComponents, { store: new FileBlobStore(d) })
  const a = before.put(bytesOf(200_000, 11)).id // recorded before the restart
  const b = before.put(bytesOf(200_000, 12)).id // recorded after it
  // the restart: a new process opens the same directory; its service stored nothing itself
  const blobs = createBlobService({} as unknown as BlobComponents, { store: new FileBlobStore(d) })
  const unused = async (): Promise<never> => { throw new Error('not used by this test') }
  const svc = createMigrationService({
    self: 'me',
    handle: unused,
    unhandle: unused,
    request: unused,
    jobs: { state: new JobsState(), submit: unused },
    worker: () => undefined,
    fetchBlob: unused,
    putBlob: bytes => blobs.put(bytes).id,
    instrument: unused,
    peers: () => [],
    hasBlob: id => blobs.has(id),
    removeBlob: id => blobs.remove(id)
  }, { checkpointTasks: false })
  svc.onEvents([cp(a)]) // the ledger replays a's commit at start
  assert.equal(blobs.has(a), true, 'the current checkpoint is kept')
  svc.onEvents([cp(b)]) // a newer checkpoint commits
  assert.equal(blobs.has(a), false, 'the superseded one is dropped')
  assert.equal(blobs.has(b), true)
  assert.equal(svc.checkpoints.dropped, 1)
  assert.ok(svc.checkpoints.droppedBytes > 100_000)
  svc.onEvents([{ type: 'reported', ...slot, worker: 'w', output: 'o' }])
  assert.equal(blobs.has(b), false, 'the slot reported: its last checkpoint is dropped too')
  assert.equal(svc.checkpoints.dropped, 2)
})

/** A peer's migration service over the blob store and checkpoint journal in `dir` (one process's life). */
function peerOn (dir: string, state: JobsState, orphanGraceMs: number, fetched: Map<string, Uint8Array>): { svc: ReturnType<typeof createMigrationService>, blobs: ReturnType<typeof createBlobService>, journal: FileCheckpointJournal, handler: () => (req: Uint8Array, ctx: { peerId: string }) => Promise<Uint8Array> } {
  const blobs = createBlobService({} as unknown as BlobComponents, { store: new FileBlobStore(join(dir, 'blobs')) })
  const journal = new FileCheckpointJournal(join(dir, 'migration', 'checkpoints'))
  const unused = async (): Promise<never> => { throw new Error('not used by this test') }
  let h: ((req: Uint8Array, ctx: { peerId: string }) => Promise<Uint8Array>) | undefined
  const svc = createMigrationService({
    self: 'me',
    handle: async (_p, handler) => { h = handler },
    unhandle: async () => {},
    request: unused,
    jobs: { state, submit: unused },
    worker: () => undefined,
    // the holder's blob, "fetched" from it: stored here as the blob service would
    fetchBlob: async id => { const bytes = fetched.get(id); if (bytes == null) throw new Error('no such blob'); blobs.put(bytes); return bytes },
    putBlob: bytes => blobs.put(bytes).id,
    instrument: unused,
    peers: () => [],
    hasBlob: id => blobs.has(id),
    removeBlob: id => blobs.remove(id),
    checkpointJournal: journal
  }, { checkpointTasks: false, orphanGraceMs })
  return { svc, blobs, journal, handler: () => { if (h == null) throw new Error('not started'); return h } }
}

test('checkpoints kept but never committed before a restart are dropped at start (the store reopened from disk); a late commit keeps one', async () => {
  const d = mkdtempSync(join(tmpdir(), 'nc-cpgc-orphans-'))
  dirs.push(d)
  const HOLDER = '12D3KooWHolderHolderHolderHolderHolderHolderHolder1'
  const state = new JobsState()
  const apply = (at: number, e: JobEntry): void => { const { kind, data } = encodeJobEntry(e); assert.ok(state.apply({ slot: at, index: 0, author: HOLDER, kind, data }).applied) }
  apply(1, { kind: 'job.submit', body: { at: 1000, module: 'a'.repeat(64), count: 2, replicas: 1, timeoutMs: 600_000, memoryBytes: 1 << 20, leaseTtlMs: 600_000 } })
  apply(2, { kind: 'job.claim', body: { at: 1001, job: '1.0', task: 0, replica: 0, capacity: 2 } })
  apply(3, { kind: 'job.claim', body: { at: 1002, job: '1.0', task: 1, replica: 0, capacity: 2 } })
  const blobOf = new Map<string, Uint8Array>()
  const make = (seed: number): string => { const b = bytesOf(150_000, seed); const id = createBlobService({} as unknown as BlobComponents, { store: new MemoryBlobStore() }).put(b).id; blobOf.set(id, b); return id }
  const [committed, orphan, late, other] = [make(21), make(22), make(23), make(24)]

  // life 1: the holder asks this peer to keep four checkpoints; only `committed`'s entry commits
  const one = peerOn(d, state, 0, blobOf)
  await one.svc.start()
  const keep = async (p: typeof one, blob: string, task = 0): Promise<string> => {
    const req: MigrationRequest = { type: 'keep', id: `k-${blob.slice(0, 6)}`, job: '1.0', task, replica: 0, token: { epoch: 1, slot: task === 0 ? 2 : 3 }, blob }
    return decodeResponse(await p.handler()(encodeRequest(req), { peerId: HOLDER })).type
  }
  for (const b of [committed, orphan, late]) assert.equal(await keep(one, b), 'ok')
  assert.equal(await keep(one, other, 1), 'ok')
  one.svc.onEvents([cp(committed)])
  assert.deepEqual(new Set(one.journal.list()), new Set([committed, orphan, late, other]), 'every checkpoint blob kept here is in the journal')
  await one.svc.stop() // the process ends (no commit for orphan, late, other: the holder's commits failed, or came after)

  // life 2, no grace: the replayed ledger records `committed` only; the others go at start
  const two = peerOn(d, state, 0, blobOf)
  assert.equal(two.blobs.has(orphan), true, 'reopened from disk: the blobs are there')
  two.svc.onEvents([cp(committed)]) // the replay
  await two.svc.start()
  assert.equal(two.blobs.has(committed), true, 'the recorded checkpoint stays')
  for (const b of [orphan, late, other]) assert.equal(two.blobs.has(b), false, 'a checkpoint never committed is dropped')
  assert.equal(two.svc.checkpoints.orphansDropped, 3)
  assert.deepEqual(two.journal.list(), [committed])
  await two.svc.stop()

  // life 3, with a grace: a commit arriving during it (a ledger that lagged at start) keeps its blob
  const three = peerOn(d, state, 60_000, blobOf)
  three.svc.onEvents([cp(committed)])
  await three.svc.start()
  for (const b of [orphan, late]) assert.equal(await keep(three, b), 'ok')
  await three.svc.stop()
  const four = peerOn(d, state, 300, blobOf)
  four.svc.onEvents([cp(committed)])
  await four.svc.start()
  assert.equal(four.blobs.has(orphan), true, 'nothing dropped before the grace ends')
  four.svc.onEvents([cp(late)]) // `late` commits now (it supersedes `committed`)
  const deadline = Date.now() + 10_000
  while (four.blobs.has(orphan) && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20))
  assert.equal(four.blobs.has(orphan), false, 'the uncommitted one is dropped after the grace')
  assert.equal(four.blobs.has(late), true, 'the one whose commit came late stays')
  assert.equal(four.blobs.has(committed), false, 'superseded by it')
  assert.deepEqual(four.journal.list(), [late])
  await four.svc.stop()
})
