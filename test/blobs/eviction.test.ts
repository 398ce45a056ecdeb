/**
 * Eviction from a capped blob store (core/blobs/eviction.ts, store.ts; the Node store on disk,
 * node-runtime/blobs/file-store.ts), with small caps: the least recently used blob goes first (a
 * manifest read is a use); chunks another blob still refers to stay; pinned blobs are never
 * evicted, lower retention classes go first; a blob larger than the whole cap is a
 * `BlobOverStoreCapError`, a store whose evictable blobs do not free enough a `BlobStoreFullError`
 * that changes nothing; chunks no manifest refers to (a crash's leftovers) go before any blob; the
 * LRU order survives reopening the disk store; the local chunks a fetch relies on survive an
 * eviction while it waits for the rest. And the jobs layer's retention (core/jobs/retention.ts):
 * what an active job needs is pinned, a finished job's results outlast its module; a result only
 * one peer holds stays pinned after its job ended until the submitter records fetching it
 * (`job.fetched`) or the job's retention period passes, and then becomes evictable; on a peer
 * restarted without its ledger, a blob no known job names is held until the ledger caught up.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { initCoreWasm, xxh64Hex } from '../../core-wasm/index.ts'
import {
  BlobStoreFullError, createBlobService, MemoryBlobStore, PINNED, type BlobComponents, type BlobRetention, type BlobStore
} from '../../core/blobs/index.ts'
import { fetchAck } from '../../core/jobs/submitter.ts'
import { jobBlobRetention, pinnedResults, type ApplyResult, type Token } from '../../core/jobs/index.ts'
import type { RequestHandler } from '../../core/net/index.ts'
import { FileBlobStore } from '../../node-runtime/blobs/file-store.ts'
import { Log } from '../jobs/_log.ts'
import { seededBytes as bytesOf } from '../_support/seeded-bytes.ts'

const dirs: string[] = []
const fresh = (): string => { const d = mkdtempSync(join(tmpdir(), 'nc-evict-')); dirs.push(d); return d }
const noMesh = {} as unknown as BlobComponents

const service = (store: BlobStore): ReturnType<typeof createBlobService> => createBlobService(noMesh, { store })

before(async () => { await initCoreWasm() })
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }) })

test('the least recently used blob is evicted first; reading a manifest is a use', () => {
  const store = new MemoryBlobStore({ maxBytes: 100_000 })
  const s = service(store)
  const a = s.put(bytesOf(40_000, 1))
  const b = s.put(bytesOf(40_000, 2))
  assert.ok(s.has(a.id)) // a use of a: b is now the least recently used
  const c = s.put(bytesOf(40_000, 3))
  assert.equal(s.has(b.id), false, 'b evicted')
  assert.ok(s.has(a.id) && s.has(c.id))
  assert.equal(store.evicted.blobs, 1)
  assert.equal(store.evicted.bytes, 40_000)
  assert.equal(store.bytes, 80_000)
  assert.ok(store.bytes <= store.maxBytes)
})

test('chunks another blob still refers to stay when a blob is evicted', () => {
  const base = bytesOf(60_000, 4)
  const edited = base.slice()
  edited.set(bytesOf(100, 5), 59_000) // the same content but its last chunk
  const probe = service(new MemoryBlobStore())
  probe.put(base)
  probe.put(edited)
  assert.ok(probe.store.bytes < 100_000, 'the two share chunks')
  // one byte short for a third blob of 30 kB: evicting a (the LRU) frees enough, its shared chunks stay
  const store = new MemoryBlobStore({ maxBytes: probe.store.bytes + 30_000 - 1 })
  const s = service(store)
  const a = s.put(base)
  const b = s.put(edited)
  s.put(bytesOf(30_000, 6))
  assert.equal(store.evicted.blobs, 1)
  assert.equal(s.has(a.id), false)
  assert.deepEqual(s.get(b.id), edited, 'the shared chunks stayed with b')
})

test('pinned blobs are never evicted; a lower retention class goes first; full of pinned blobs changes nothing', () => {
  const classes = new Map<string, number>()
  const retention: BlobRetention = () => id => classes.get(id) ?? 0
  const store = new MemoryBlobStore({ maxBytes: 100_000, retention })
  const s = service(store)
  const pinned = s.put(bytesOf(30_000, 7))
  classes.set(pinned.id, PINNED)
  const precious = s.put(bytesOf(30_000, 8))
  classes.set(precious.id, 1)
  const plain = s.put(bytesOf(30_000, 9))
  s.has(pinned.id); s.has(precious.id) // plain is the least recently used, and precious is older than plain
  s.put(bytesOf(30_000, 10))
  assert.equal(s.has(plain.id), false, 'class 0 goes first')
  assert.ok(s.has(precious.id) && s.has(pinned.id))
  const held = store.bytes
  classes.set(precious.id, PINNED)
  const before = { ...store.evicted }
  // 40 kB more: only the last 30 kB blob is evictable, which is not enough
  assert.throws(() => s.put(bytesOf(70_000, 11)), (err: Error) => err.name === 'BlobStoreFullError' && err instanceof BlobStoreFullError)
  assert.equal(store.bytes, held, 'nothing written')
  assert.deepEqual(store.evicted, before, 'nothing evicted')
})

test('a blob larger than the whole cap is BlobOverStoreCapError, before anything is evicted', () => {
  const store = new MemoryBlobStore({ maxBytes: 50_000 })
  const s = service(store)
  const a = s.put(bytesOf(20_000, 12))
  assert.throws(() => s.put(bytesOf(60_000, 13)), (err: Error) => err.name === 'BlobOverStoreCapError' && err instanceof BlobStoreFullError)
  assert.ok(s.has(a.id))
  assert.equal(store.evicted.blobs, 0)
})

test('disk store: chunks no manifest refers to go first; the LRU order survives reopening', () => {
  const dir = fresh()
  const first = new FileBlobStore(dir, { maxBytes: 100_000 })
  const s = service(first)
  const a = s.put(bytesOf(30_000, 14))
  const b = s.put(bytesOf(30_000, 15))
  // a chunk file a crash left without its manifest
  const orphan = bytesOf(15_000, 16)
  const hash = xxh64Hex(orphan)
  mkdirSync(join(dir, 'chunks', hash.slice(0, 2)), { recursive: true })
  writeFileSync(join(dir, 'chunks', hash.slice(0, 2), hash), orphan)
  // a was used long ago, b less long ago
  const now = Date.now() / 1000
  utimesSync(join(dir, 'manifests', a.id), now - 1000, now - 1000)
  utimesSync(join(dir, 'manifests', b.id), now - 500, now - 500)
  const second = new FileBlobStore(dir, { maxBytes: 100_000 })
  assert.equal(second.bytes, 75_000)
  const s2 = service(second)
  s2.put(bytesOf(30_000, 17)) // 105 kB: fits once the orphan is gone
  assert.equal(second.hasChunk(hash), false, 'the orphan chunk went first')
  assert.equal(second.bytes, 90_000, 'no blob had to go')
  assert.equal(second.evicted.blobs, 0)
  assert.ok(second.getManifest(a.id) != null) // a use of a, recorded on disk: b is now the oldest
  const third = new FileBlobStore(dir, { maxBytes: 100_000 })
  const s3 = service(third)
  s3.put(bytesOf(30_000, 18))
  assert.equal(s3.has(b.id), false, 'b, the least recently used after reopening, was evicted')
  assert.ok(s3.has(a.id))
  assert.ok(third.bytes <= 100_000)
  assert.equal(new FileBlobStore(dir, { maxBytes: 100_000 }).bytes, third.bytes, 'evicted files are gone from disk')
})

test('the local chunks a fetch relies on survive an eviction while it waits for the rest', async () => {
  // an in-process provider: the fetcher's requests go straight to its handler
  let providerHandler: RequestHandler | undefined
  const provider = createBlobService({
    handle: async (_p, h) => { providerHandler = h },
    unhandle: async () => {},
    request: async () => { throw new Error('the provider does not fetch') }
  })
  await provider.start()
  let duringFetch: (() => void) | undefined
  let requests = 0
  const fetcherStore = new MemoryBlobStore({ maxBytes: 100_000 })
  const fetcher = createBlobService({
    handle: async () => {},
    unhandle: async () => {},
    request: async (_peer, _protocol, payload) => {
      // at the first chunk request (after the manifest), another blob is stored meanwhile
      if (++requests === 2) duringFetch?.()
      if (providerHandler == null) throw new Error('no provider')
      return await providerHandler(payload, { peer: 'provider' } as unknown as Parameters<RequestHandler>[1])
    }
  }, { store: fetcherStore })
  const base = bytesOf(40_000, 19)
  const edited = base.slice()
  edited.set(bytesOf(200, 20), 39_000)
  const local = fetcher.put(base)
  const wanted = provider.put(edited)
  duringFetch = () => { fetcher.put(bytesOf(65_000, 21)) } // 105 kB: the local blob must go
  const { bytes, stats } = await fetcher.fetch(wanted.id, ['provider'])
  assert.deepEqual(bytes, edited)
  assert.ok(stats.chunksLocal > 0, 'local chunks were used')
  assert.ok(stats.chunksFetched < stats.chunks, 'not every chunk was fetched')
  assert.equal(fetcher.has(local.id), false, 'the local blob was evicted during the fetch')
  assert.deepEqual(fetcher.get(wanted.id), edited, 'the fetched blob is stored whole')
  assert.ok(fetcherStore.bytes <= fetcherStore.maxBytes)
})

test('jobs retention: an active job\'s module, inputs and reported outputs are pinned; a finished job\'s results outlast its module, pinned until fetched', () => {
  const log = new Log()
  const hex = (c: string): string => c.repeat(64)
  const spec = { at: 1000, module: hex('a'), tasks: [{ stdin: hex('b') }, {}], replicas: 1, timeoutMs: 30_000, memoryBytes: 1 << 26, leaseTtlMs: 10_000 }
  const job = `${log.append('alice', { kind: 'job.submit', body: spec }).slot}.0`
  const classify = (): ((id: string) => number) => jobBlobRetention(() => log.state, { now: () => 1500 })()
  const r = log.append('w1', { kind: 'job.claim', body: { at: 1100, job, task: 0, replica: 0, capacity: 2 } })
  assert.ok(r.applied)
  const token = (r.events[0] as { token: { epoch: number, slot: number } }).token
  assert.ok(log.append('w1', { kind: 'job.result', body: { at: 1200, job, task: 0, replica: 0, token, output: hex('c') } }).applied)
  let c = classify()
  for (const id of [hex('a'), hex('b'), hex('c')]) assert.equal(c(id), PINNED, `${id.slice(0, 1)} pinned while the job is active`)
  assert.equal(c(hex('d')), 0, 'a blob no job refers to')
  const r2 = log.append('w1', { kind: 'job.claim', body: { at: 1300, job, task: 1, replica: 0, capacity: 2 } })
  const token2 = (r2.applied ? r2.events[0] as { token: { epoch: number, slot: number } } : assert.fail('claim refused')).token
  assert.ok(log.append('w1', { kind: 'job.result', body: { at: 1400, job, task: 1, replica: 0, token: token2, output: hex('e') } }).applied)
  assert.equal(log.state.jobs.get(job)?.status, 'done')
  c = classify()
  assert.equal(c(hex('a')), 0, 'a finished job\'s module goes first')
  assert.equal(c(hex('b')), 0)
  assert.equal(c(hex('c')), PINNED, 'its results, held by one worker, are pinned until fetched')
  assert.equal(c(hex('e')), PINNED)
  assert.ok(log.append('alice', { kind: 'job.fetched', body: { at: 1500, job } }).applied)
  c = classify()
  assert.equal(c(hex('c')), 1, 'fetched: they go last')
  assert.equal(c(hex('e')), 1)
  assert.equal(c(hex('a')), 0)
})

/** A job of one task × `replicas` on the fake log whose agreed output is `output`, computed by `workers`; its id. */
function finishedJob (log: Log, output: string, workers: string[], at: number, retainMs?: number): string {
  const spec = { at, module: 'a'.repeat(64), count: 1, replicas: workers.length, timeoutMs: 30_000, memoryBytes: 1 << 26, leaseTtlMs: 10_000, ...(retainMs != null ? { retainMs } : {}) }
  const job = `${log.append('alice', { kind: 'job.submit', body: spec }).slot}.0`
  const tokenOf = (r: ApplyResult): Token => r.applied ? (r.events[0] as { token: Token }).token : assert.fail(r.refusal)
  const tokens = workers.map((w, replica) => tokenOf(log.append(w, { kind: 'job.claim', body: { at: at + 1, job, task: 0, replica, capacity: 4 } })))
  for (const [replica, w] of workers.entries()) {
    if (log.state.jobs.get(job)?.status !== 'active') break
    assert.ok(log.append(w, { kind: 'job.result', body: { at: at + 2, job, task: 0, replica, token: tokens[replica], output } }).applied)
  }
  assert.equal(log.state.jobs.get(job)?.status, 'done')
  return job
}

for (const kind of ['memory', 'disk'] as const) {
  test(`an unfetched result only one peer holds survives eviction under a tight cap (${kind} store); once the submitter records the fetch it is evictable`, () => {
    const log = new Log()
    const wall = 1_000_000
    const retention = jobBlobRetention(() => log.state, { now: () => wall })
    const store = kind === 'memory' ? new MemoryBlobStore({ maxBytes: 100_000, retention }) : new FileBlobStore(fresh(), { maxBytes: 100_000, retention })
    const w1 = service(store) // the worker that alone computed the result
    const result = w1.put(bytesOf(40_000, 30))
    const job = finishedJob(log, result.id, ['w1'], wall)
    const state = log.state.jobs.get(job)
    assert.ok(state != null)
    assert.deepEqual(pinnedResults(state, wall), [0])
    // other work fills the store: the unfetched result is never the one that goes
    const filler = w1.put(bytesOf(40_000, 31))
    w1.put(bytesOf(40_000, 32))
    assert.equal(w1.has(filler.id), false, 'the class-0 blob went')
    assert.ok(w1.has(result.id), 'the unfetched result stayed')
    const held = store.bytes
    assert.throws(() => w1.put(bytesOf(70_000, 33)), (err: Error) => err.name === 'BlobStoreFullError', 'only the pinned result could make room')
    assert.ok(w1.has(result.id))
    assert.equal(store.bytes, held, 'nothing changed')
    // the submitter fetched it (its store holds a copy) and records that on the ledger
    const submitter = service(new MemoryBlobStore())
    submitter.put(w1.get(result.id) as Uint8Array)
    assert.equal(fetchAck(log.state, job, 'w1', id => submitter.has(id)), 'not the submitter')
    assert.equal(fetchAck(log.state, job, 'alice', () => false), 'results missing')
    assert.equal(fetchAck(log.state, job, 'alice', id => submitter.has(id)), 'due')
    assert.ok(log.append('alice', { kind: 'job.fetched', body: { at: wall + 10, job } }).applied)
    assert.equal(fetchAck(log.state, job, 'alice', id => submitter.has(id)), 'already fetched')
    w1.put(bytesOf(70_000, 33))
    assert.equal(w1.has(result.id), false, 'fetched: evicted')
    assert.ok(store.bytes <= store.maxBytes)
  })
}

test('a peer restarted without its ledger: until the ledger caught up, blobs no known job names are pinned (the unfetched result survives); after, the old rule', () => {
  const dir = fresh()
  const wall = 3_000_000
  // its earlier life: the worker alone computed a job's result, kept on disk
  const first = service(new FileBlobStore(dir, { maxBytes: 100_000 }))
  const result = first.put(bytesOf(40_000, 40))
  // without the hold (the old rule): a fresh ledger knows no job, and the result is plain LRU data
  {
    const copy = fresh()
    const plain = service(new FileBlobStore(copy, { maxBytes: 100_000 }))
    plain.put(first.get(result.id) as Uint8Array)
    const log = new Log()
    const reopened = service(new FileBlobStore(copy, { maxBytes: 100_000, retention: jobBlobRetention(() => log.state, { now: () => wall }) }))
    reopened.put(bytesOf(40_000, 41))
    reopened.put(bytesOf(40_000, 42))
    assert.equal(reopened.has(result.id), false, 'the old rule evicts the unfetched result before its job is synced')
  }
  // restarted on the same blobs with an empty ledger, not caught up yet
  const log = new Log()
  let synced = false
  const store = new FileBlobStore(dir, { maxBytes: 100_000, retention: jobBlobRetention(() => log.state, { now: () => wall, caughtUp: () => synced }) })
  const peer = service(store)
  assert.ok(peer.has(result.id), 'the result survived the restart on disk')
  const filler = peer.put(bytesOf(40_000, 41))
  const held = store.bytes
  assert.throws(() => peer.put(bytesOf(40_000, 42)), (err: Error) => err.name === 'BlobStoreFullError', 'no known job names either blob: both held')
  assert.ok(peer.has(result.id))
  assert.equal(store.bytes, held, 'nothing changed')
  // the ledger syncs the old job (finished, not fetched): its result is pinned by the job now
  const job = finishedJob(log, result.id, ['w1'], wall)
  assert.deepEqual(pinnedResults(log.state.jobs.get(job) as NonNullable<ReturnType<typeof log.state.jobs.get>>, wall), [0])
  assert.throws(() => peer.put(bytesOf(40_000, 42)), (err: Error) => err.name === 'BlobStoreFullError', 'the filler is still unknown while not caught up')
  synced = true
  peer.put(bytesOf(40_000, 42))
  assert.equal(peer.has(filler.id), false, 'caught up: a blob no job names is class 0 again')
  assert.ok(peer.has(result.id), 'the unfetched result stays, pinned by its job')
})

test('the pin of an unfetched result ends with its retention period; results held by several peers, or with retention 0, are not pinned', () => {
  const log = new Log()
  let wall = 2_000_000
  const classify = (): ((id: string) => number) => jobBlobRetention(() => log.state, { now: () => wall })()
  const hex = (c: string): string => c.repeat(64)
  const hour = 3_600_000
  finishedJob(log, hex('1'), ['w1'], wall, hour)
  finishedJob(log, hex('2'), ['w1', 'w2', 'w3'], wall) // 3 replicas: a majority of 2 or 3 holds it
  finishedJob(log, hex('3'), ['w1'], wall, 0)
  finishedJob(log, hex('4'), ['w1'], wall) // the default, 7 days
  let c = classify()
  assert.equal(c(hex('1')), PINNED)
  assert.equal(c(hex('2')), 1, 'held by several peers: evicted last, not pinned')
  assert.equal(c(hex('3')), 1, 'retention 0: not pinned')
  assert.equal(c(hex('4')), PINNED)
  wall += hour + 10 // the peer's wall clock passes the hour (an idle mesh does not move the ledger clock)
  c = classify()
  assert.equal(c(hex('1')), 1, 'past its retention period')
  assert.equal(c(hex('4')), PINNED, 'the default retention is longer')
  wall += 7 * 24 * hour
  assert.equal(classify()(hex('4')), 1)
})
