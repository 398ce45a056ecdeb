/**
 * A kept checkpoint's chunk index (core/migration/chunk-index.ts), and the keeper that makes it when
 * it keeps a checkpoint (checkpoint-keeper.ts):
 *
 * - the index names every fixed 4 KiB chunk of the bytes it was made from — each xxh64 as the
 *   source's dirty tracking names it, each SHA-256 as node:crypto computes it — with node:crypto's
 *   SHA-256 and with WebCrypto's alike;
 * - its encoding reads back exactly (a property over seeded memories), names the blob it indexes,
 *   and every corrupt, torn or hostile input is a `MigrationDecodeError` before anything sized by
 *   it is allocated (a header announcing 4 GiB of memory in a few bytes);
 * - a peer keeping a checkpoint indexes it in the background; an offer of that task is then
 *   answered from the index's names; the index is kept in the data dir, read back by a restarted
 *   peer without reading the checkpoint, made again from the checkpoint when that file is corrupt,
 *   and removed with its checkpoint.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import fc from 'fast-check'
import * as encoding from 'lib0/encoding'
import { initCoreWasm, xxh64, xxh64Hex } from '../../core-wasm/index.ts'
import { createBlobService, type BlobComponents } from '../../core/blobs/index.ts'
import { encodeJobEntry, type JobEntry } from '../../core/jobs/entries.ts'
import { JobsState } from '../../core/jobs/state.ts'
import { ChunkIndex, decodeChunkIndex, encodeChunkIndex, indexMemory } from '../../core/migration/chunk-index.ts'
import { fixedChunks } from '../../core/migration/precopy.ts'
import type { MigrationRequest } from '../../core/migration/protocol-codec.ts'
import { encodeSnapshot } from '../../core/migration/snapshot-codec.ts'
import { FileBlobStore } from '../../node-runtime/blobs/file-store.ts'
import { FileCheckpointIndexes } from '../../node-runtime/migration/checkpoint-indexes.ts'
import { FileCheckpointJournal } from '../../node-runtime/migration/checkpoint-journal.ts'
import { DEFAULT_CHUNK_BYTES as CB } from '../../core/migration/dirty.ts'
import { seededBytes } from '../_support/seeded-bytes.ts'
import { waitFor } from '../_support/wait.ts'
import { HOLDER, KEEPER, keeperService } from './_keeper-fixture.ts'

const sha = (b: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(b).digest())
const BLOB = 'ab'.repeat(32)
const dirs: string[] = []
before(async () => { await initCoreWasm() })
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }) })

test('the index names each chunk of the bytes it was made from: xxh64 and SHA-256, in order, either SHA-256', async () => {
  const memory = seededBytes(40 * CB, 7)
  memory.fill(0, CB, 3 * CB) // two equal (zero) chunks: each index keeps its own entry
  const ix = await indexMemory(memory, BLOB, sha)
  assert.equal(ix.count, 40)
  assert.deepEqual(ix.names(), fixedChunks(memory, CB).map(c => c.hash), 'the names the source gives its chunks')
  for (let i = 0; i < ix.count; i++) {
    const chunk = memory.subarray(i * CB, (i + 1) * CB)
    assert.equal(ix.name(i), xxh64Hex(chunk))
    assert.deepEqual(ix.sha(i), sha(chunk))
  }
  const web = await indexMemory(memory, BLOB) // WebCrypto, as a tab
  assert.deepEqual(web.shas, ix.shas)
  await assert.rejects(indexMemory(memory.subarray(0, CB + 100), BLOB, sha), RangeError, 'not whole chunks')
})

test('an index reads back exactly, names its blob, and refuses another', async () => {
  await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: 24 }), fc.integer({ min: 1, max: 1e6 }), async (chunks, seed) => {
    const ix = await indexMemory(seededBytes(chunks * CB, seed), BLOB, sha)
    const back = decodeChunkIndex(encodeChunkIndex(ix), { blob: BLOB })
    assert.equal(back.blob, BLOB)
    assert.equal(back.memoryBytes, chunks * CB)
    assert.deepEqual(back.hashes, ix.hashes)
    assert.deepEqual(back.shas, ix.shas)
    assert.deepEqual(back.names(), ix.names())
  }), { numRuns: 25, seed: 20 })
  const ix = await indexMemory(seededBytes(4 * CB, 3), BLOB, sha)
  assert.throws(() => decodeChunkIndex(encodeChunkIndex(ix), { blob: 'cd'.repeat(32) }), { name: 'MigrationDecodeError' })
  assert.throws(() => decodeChunkIndex(encodeChunkIndex(ix), { maxMemoryBytes: 2 * CB }), { name: 'MigrationDecodeError' }, 'over the caller\'s bound')
})

/** bytes of an index header (no chunks) with a correct checksum after `extra` */
function forged (memoryBytes: number, chunkBytes = CB, extra = new Uint8Array(0)): Uint8Array {
  const e = encoding.createEncoder()
  for (const b of [0x4e, 0x43, 0x43, 0x49]) encoding.writeUint8(e, b)
  encoding.writeVarUint(e, 1)
  encoding.writeUint8Array(e, new Uint8Array(32).fill(0xab))
  encoding.writeVarUint(e, chunkBytes)
  encoding.writeVarUint(e, memoryBytes)
  encoding.writeUint8Array(e, extra)
  const body = encoding.toUint8Array(e)
  const out = new Uint8Array(body.length + 8)
  out.set(body)
  new DataView(out.buffer).setBigUint64(body.length, xxh64(body))
  return out
}

test('corrupt, torn or hostile index bytes are a MigrationDecodeError, before anything sized by them is allocated', async () => {
  const good = encodeChunkIndex(await indexMemory(seededBytes(6 * CB, 5), BLOB, sha))
  const junk: Uint8Array[] = [new Uint8Array(0), new Uint8Array(7), seededBytes(300, 1), good.subarray(0, good.length - 1), good.subarray(0, 50)]
  for (const at of [0, 5, 40, good.length - 100, good.length - 1]) { const c = good.slice(); c[at] ^= 0x10; junk.push(c) } // any byte flipped: the checksum
  junk.push(forged(2 ** 32)) // "4 GiB of memory" in a few bytes: refused by its length, no 4 GiB / 8 KiB arrays made
  junk.push(forged(2 ** 40)) // past wasm32
  junk.push(forged(CB, 0)) // chunk size out of range
  junk.push(forged(CB + 1, CB)) // not whole chunks
  junk.push(forged(CB, CB, new Uint8Array(41))) // one byte too many for one chunk
  const bad = forged(0).slice(); bad[0] = 0x58; junk.push(bad) // wrong magic (checksum broken too)
  for (const [i, bytes] of junk.entries()) {
    assert.throws(() => decodeChunkIndex(bytes), { name: 'MigrationDecodeError' }, `junk ${i}`)
  }
  assert.equal(decodeChunkIndex(forged(0)).count, 0, 'an empty memory is a valid index')
  assert.throws(() => new ChunkIndex(BLOB, CB, CB, new BigUint64Array(2), new Uint8Array(64)), RangeError)
})

const TOKEN = { epoch: 1, slot: 2 }

/** One life of a keeping peer over `dir` (its blobs, journal and indexes on disk). */
function keeper (dir: string, state: JobsState, fetched: Map<string, Uint8Array>, logs: string[] = []): { svc: ReturnType<typeof keeperService>['svc'], reads: { n: number }, call: ReturnType<typeof keeperService>['call'] } {
  const blobs = createBlobService({} as unknown as BlobComponents, { store: new FileBlobStore(join(dir, 'blobs')), maxBlobBytes: 8 << 20 })
  const reads = { n: 0 }
  const { svc, call } = keeperService(state, {
    fetchBlob: async id => { const bytes = fetched.get(id); if (bytes == null) throw new Error('no such blob'); blobs.put(bytes); return bytes },
    putBlob: bytes => blobs.put(bytes).id,
    getBlob: id => { reads.n++; return blobs.get(id) },
    hasBlob: id => blobs.has(id),
    removeBlob: id => blobs.remove(id),
    sha256: sha,
    checkpointJournal: new FileCheckpointJournal(join(dir, 'migration', 'checkpoints')),
    checkpointIndexes: new FileCheckpointIndexes(join(dir, 'migration', 'chunk-index')),
    log: m => { logs.push(m) }
  })
  return { svc, reads, call }
}

test('a kept checkpoint is indexed; an offer is answered from its names; the index survives a restart, is made again when corrupt, and goes with its checkpoint', async () => {
  const d = mkdtempSync(join(tmpdir(), 'nc-chunk-index-'))
  dirs.push(d)
  const state = new JobsState()
  const apply = (at: number, e: JobEntry): void => { const { kind, data } = encodeJobEntry(e); assert.ok(state.apply({ slot: at, index: 0, author: HOLDER, kind, data }).applied) }
  apply(1, { kind: 'job.submit', body: { at: 1000, module: 'a'.repeat(64), count: 1, replicas: 1, timeoutMs: 600_000, memoryBytes: 1 << 20, leaseTtlMs: 600_000 } })
  apply(2, { kind: 'job.claim', body: { at: 1001, job: '1.0', task: 0, replica: 0, capacity: 1 } })
  const memory = seededBytes(4 * 65536, 9) // 32 distinct chunks
  const snapshot = encodeSnapshot({ memory, globals: [], unwind: new Uint8Array([1, 2, 3, 4]), pausedIn: 'fd_write', pausedResult: 0, stdinPos: 0, stdout: new Uint8Array(0), stderr: new Uint8Array(0), clockNs: 1n, calls: 1, pauses: 1 })
  const id = createBlobService({} as unknown as BlobComponents, { maxBlobBytes: 8 << 20 }).put(snapshot).id
  const fetched = new Map([[id, snapshot], ['a'.repeat(64), new Uint8Array([0, 97, 115, 109])]])
  const names = fixedChunks(memory, CB).map(c => c.hash)
  const offer: MigrationRequest = { type: 'offer', id: 'o1', job: '1.0', task: 0, replica: 0, token: TOKEN, memoryBytes: memory.length, chunkBytes: CB }
  const file = join(d, 'migration', 'chunk-index', id)

  const oneLogs: string[] = []
  const one = keeper(d, state, fetched, oneLogs)
  await one.svc.start()
  assert.deepEqual(await one.call({ type: 'keep', id: 'k1', job: '1.0', task: 0, replica: 0, token: TOKEN, blob: id }), { type: 'ok' })
  apply(3, { kind: 'job.checkpoint', body: { at: 1002, job: '1.0', task: 0, replica: 0, token: TOKEN, snapshot: id, keeper: KEEPER } })
  one.svc.onEvents([{ type: 'checkpointed', job: '1.0', task: 0, replica: 0, snapshot: id, keeper: KEEPER }])
  await waitFor(() => existsSync(file), { timeout: 10_000, message: () => `the index written beside the checkpoint (log: ${oneLogs.join(' | ')})` })
  const stored = decodeChunkIndex(new Uint8Array(readFileSync(file)), { blob: id })
  assert.deepEqual(stored.names(), names, 'the index matches the stored bytes')
  const res = await one.call(offer)
  assert.equal(res.type, 'accept')
  assert.deepEqual(new Set((res as { have: string[] }).have), new Set(names), 'the offer is answered with the kept chunks\' names')
  await one.svc.stop()

  // a restart: the index is read back from its file; the checkpoint is not read to answer
  const two = keeper(d, state, fetched)
  two.svc.onEvents([{ type: 'checkpointed', job: '1.0', task: 0, replica: 0, snapshot: id, keeper: KEEPER }]) // the replay
  await two.svc.start()
  const reads = two.reads.n
  const again = await two.call({ ...offer, id: 'o2' })
  assert.deepEqual(new Set((again as { have: string[] }).have), new Set(names))
  assert.equal(two.reads.n, reads, 'answered without reading the checkpoint (it is read after the answer, to fill the image)')
  await two.svc.stop()

  // an index an earlier build wrote in 8 KiB chunks (before session 16): it names nothing an offer
  // of 4 KiB chunks holds, so it is not used but made again in this build's size
  writeFileSync(file, encodeChunkIndex(await indexMemory(memory, id, sha, 8192)))
  const oldLogs: string[] = []
  const old = keeper(d, state, fetched, oldLogs)
  old.svc.onEvents([{ type: 'checkpointed', job: '1.0', task: 0, replica: 0, snapshot: id, keeper: KEEPER }])
  await old.svc.start()
  assert.deepEqual(await old.call({ ...offer, id: 'o8' }), { type: 'accept', have: [] }, 'an 8 KiB index is not answered from')
  assert.ok(oldLogs.some(l => /its chunks are 8192 bytes, not 4096/.test(l)), oldLogs.join('\n'))
  await waitFor(() => decodeChunkIndex(new Uint8Array(readFileSync(file)), { blob: id }).chunkBytes === CB, { timeout: 10_000, message: 'the index made again in 4 KiB chunks' })
  assert.deepEqual(decodeChunkIndex(new Uint8Array(readFileSync(file)), { blob: id }).names(), names)
  await old.svc.stop()

  // a corrupt file: refused (logged), the offer gets no names, the index is made again from the blob
  const bytes = readFileSync(file)
  bytes[bytes.length - 20] ^= 0xff
  writeFileSync(file, bytes)
  const logs: string[] = []
  const three = keeper(d, state, fetched, logs)
  three.svc.onEvents([{ type: 'checkpointed', job: '1.0', task: 0, replica: 0, snapshot: id, keeper: KEEPER }])
  await three.svc.start()
  assert.deepEqual(await three.call({ ...offer, id: 'o3' }), { type: 'accept', have: [] }, 'no index yet: every chunk is sent')
  assert.ok(logs.some(l => /chunk index .* is unreadable \(MigrationDecodeError/.test(l)), logs.join('\n'))
  const remade = await waitFor(async () => {
    const r = await three.call({ type: 'abort', id: 'o3' }).then(async () => await three.call({ ...offer, id: 'o4' }))
    if (r.type === 'accept' && r.have.length > 0) return r.have
    await three.call({ type: 'abort', id: 'o4' })
    return undefined
  }, { timeout: 10_000, message: 'the index made again' })
  assert.deepEqual(new Set(remade), new Set(names))
  assert.deepEqual(decodeChunkIndex(new Uint8Array(readFileSync(file)), { blob: id }).names(), names, 'and written again')

  // superseded by the slot's result: the checkpoint and its index go
  three.svc.onEvents([{ type: 'reported', job: '1.0', task: 0, replica: 0, worker: HOLDER, output: 'o' }])
  assert.equal(existsSync(file), false, 'the index is removed with its checkpoint')
  await three.svc.stop()
})
