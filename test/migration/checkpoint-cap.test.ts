/**
 * Checkpoints over the blob layer's 64 MiB `maxBlobBytes`: a checkpoint is stored and fetched under
 * its own cap, its job's memory cap plus `checkpointExtraBytes` (service-types.ts), so a keeper
 * keeps a 72 MiB one (fetched chunk by chunk from the holder's blob service, SHA-256-checked) and
 * answers an offer of the task from its index; the blob layer still refuses the same blob to a
 * plain `put` or `fetch` (before any chunk moves), and a checkpoint over its own cap is refused.
 */
import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { initCoreWasm } from '../../core-wasm/index.ts'
import { MemoryBlobStore } from '../../core/blobs/index.ts'
import { encodeJobEntry, type JobEntry } from '../../core/jobs/entries.ts'
import { JobsState } from '../../core/jobs/state.ts'
import { DEFAULT_CHUNK_BYTES } from '../../core/migration/dirty.ts'
import type { MigrationRequest } from '../../core/migration/protocol-codec.ts'
import { encodeSnapshot } from '../../core/migration/snapshot-codec.ts'
import { blobNet } from '../_support/blob-net.ts'
import { seededBytes } from '../_support/seeded-bytes.ts'
import { waitFor } from '../_support/wait.ts'
import { HOLDER, KEEPER, keeperService } from './_keeper-fixture.ts'

const TOKEN = { epoch: 1, slot: 2 }
const MiB = 1024 * 1024
const MODULE = 'a'.repeat(64)

before(async () => { await initCoreWasm() })

/** a ledger where HOLDER holds task 1.0/0 of a job with `memoryBytes` of memory */
function ledger (memoryBytes: number): JobsState & { add: (at: number, e: JobEntry) => void } {
  const state = new JobsState()
  const apply = (at: number, e: JobEntry): void => { const { kind, data } = encodeJobEntry(e); assert.ok(state.apply({ slot: at, index: 0, author: HOLDER, kind, data }).applied) }
  apply(1, { kind: 'job.submit', body: { at: 1000, module: MODULE, count: 1, replicas: 1, timeoutMs: 600_000, memoryBytes, leaseTtlMs: 600_000 } })
  apply(2, { kind: 'job.claim', body: { at: 1001, job: '1.0', task: 0, replica: 0, capacity: 1 } })
  return Object.assign(state, { add: apply })
}

/** the keeping peer: its migration service over a blob service that fetches from the holder's */
function keeperOf (net: ReturnType<typeof blobNet>, state: JobsState, extraBytes?: number): { call: ReturnType<typeof keeperService>['call'], start: () => Promise<void>, stop: () => Promise<void>, logs: string[] } {
  const blobs = net.of(KEEPER, new MemoryBlobStore())
  const logs: string[] = []
  const { svc, call } = keeperService(state, {
    // the job's module (not what this test is about: instrumenting is stubbed) from nowhere; checkpoints from the holder's blob service
    fetchBlob: async (id, providers, o) => id === MODULE ? new Uint8Array([0, 97, 115, 109]) : (await blobs.fetch(id, providers, o)).bytes,
    putBlob: (bytes, o) => blobs.put(bytes, o).id,
    getBlob: id => blobs.get(id),
    hasBlob: id => blobs.has(id),
    removeBlob: id => blobs.remove(id),
    log: m => { logs.push(m) }
  }, extraBytes != null ? { checkpointExtraBytes: extraBytes } : {})
  return {
    logs,
    start: async () => { await blobs.start(); await svc.start() },
    stop: async () => { await svc.stop(); await blobs.stop() },
    call
  }
}

const keep = (blob: string): MigrationRequest => ({ type: 'keep', id: 'k1', job: '1.0', task: 0, replica: 0, token: TOKEN, blob })

test('a 72 MiB checkpoint is kept under its job\'s cap (the blob layer alone refuses it) and answers an offer from its index', async () => {
  const memory = seededBytes(72 * MiB, 4)
  const snapshot = encodeSnapshot({ memory, globals: [], unwind: new Uint8Array([1, 2]), pausedIn: 'fd_write', pausedResult: 0, stdinPos: 0, stdout: new Uint8Array(0), stderr: new Uint8Array(0), clockNs: 1n, calls: 1, pauses: 1 })
  const net = blobNet()
  const holder = net.of(HOLDER, new MemoryBlobStore())
  await holder.start()
  assert.throws(() => holder.put(snapshot), { name: 'BlobTooLargeError' }, 'the blob layer\'s own cap (64 MiB)')
  const id = holder.put(snapshot, { maxBytes: 80 * MiB + 64 * MiB }).id

  const plain = net.of('plain', new MemoryBlobStore())
  await plain.start()
  await assert.rejects(plain.fetch(id, [HOLDER]), { name: 'BlobTooLargeError' })
  assert.equal(holder.served.chunks, 0, 'refused from the manifest, before any chunk moved')

  const state = ledger(80 * MiB)
  const keeper = keeperOf(net, state)
  await keeper.start()
  assert.deepEqual(await keeper.call(keep(id)), { type: 'ok' }, 'kept: fetched under memoryBytes + checkpointExtraBytes')
  state.add(3, { kind: 'job.checkpoint', body: { at: 1002, job: '1.0', task: 0, replica: 0, token: TOKEN, snapshot: id, keeper: KEEPER } })
  const offer: MigrationRequest = { type: 'offer', id: 'o1', job: '1.0', task: 0, replica: 0, token: TOKEN, memoryBytes: memory.length, chunkBytes: DEFAULT_CHUNK_BYTES }
  // the index is made in the background; until then the offer is answered without it
  let have = 0
  await waitFor(async () => {
    const res = await keeper.call(offer)
    if (res.type === 'accept') have = res.have.length
    await keeper.call({ type: 'abort', id: 'o1' })
    return have > 0
  }, { timeout: 20_000, message: () => `the offer named the kept chunks (last log: ${keeper.logs.at(-1) ?? 'none'})` })
  assert.equal(have, 72 * MiB / DEFAULT_CHUNK_BYTES, 'every chunk of the 72 MiB checkpoint named (seeded bytes: all distinct)')
  await keeper.stop()
  await plain.stop()
  await holder.stop()
})

test('a checkpoint over its own cap (job memory + checkpointExtraBytes) is refused', async () => {
  const snapshot = encodeSnapshot({ memory: seededBytes(2 * MiB, 5), globals: [], unwind: new Uint8Array([1]), pausedIn: 'fd_write', pausedResult: 0, stdinPos: 0, stdout: new Uint8Array(0), stderr: new Uint8Array(0), clockNs: 1n, calls: 1, pauses: 1 })
  const net = blobNet()
  const holder = net.of(HOLDER, new MemoryBlobStore())
  await holder.start()
  const id = holder.put(snapshot).id
  const keeper = keeperOf(net, ledger(1 * MiB), 64 * 1024) // 1 MiB + 64 KiB < 2 MiB
  await keeper.start()
  const res = await keeper.call(keep(id))
  assert.equal(res.type, 'refuse')
  assert.match((res as { reason: string }).reason, /BlobTooLargeError|cap/)
  await keeper.stop()
  await holder.stop()
})
