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
 *   replayed commits (`hasBlob`), so a newer checkpoint or the slot's result still drops them.
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
