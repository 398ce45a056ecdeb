/**
 * The target side of live migration (core/migration/incoming.ts) driven with real codec bytes
 * (protocol-codec.ts, precopy.ts's frames, snapshot-codec.ts) over a local `JobsState`: only the
 * lease holder under its current token may offer; a corrupted chunk is named for a resend while
 * the good ones are kept; `final` asks for missing chunks, refuses a snapshot whose digest does not
 * match, and hands over a verified one; malformed or unknown requests get a refusal, never a throw;
 * a session's bytes are bounded by the job's memory cap; the chunks of a checkpoint of the task
 * kept here are reported in `accept` and not sent again, and the snapshot still rebuilds exactly.
 */
import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { initCoreWasm } from '../../core-wasm/index.ts'
import { encodeJobEntry, type JobEntry } from '../../core/jobs/entries.ts'
import { JobsState } from '../../core/jobs/state.ts'
import { snapshotDigest } from '../../core/migration/digest.ts'
import { MigrationIncoming, type ReadySnapshot } from '../../core/migration/incoming.ts'
import { encodeChunkFrame, PreCopySender } from '../../core/migration/precopy.ts'
import { decodeResponse, encodeRequest, type MigrationRequest, type MigrationResponse } from '../../core/migration/protocol-codec.ts'
import { encodeSnapshot } from '../../core/migration/snapshot-codec.ts'
import type { TaskSnapshot } from '../../core/migration/snapshot.ts'
import { seededBytes } from '../state/_helpers.ts'

const SRC = '12D3KooWSourceSourceSourceSourceSourceSourceSource1'
const OTHER = '12D3KooWOtherOtherOtherOtherOtherOtherOtherOther11'
const TOKEN = { epoch: 1, slot: 2 }

before(async () => { await initCoreWasm() })

function setup (memoryBytes = 1 << 20, heldMemory?: () => Uint8Array | undefined): { incoming: MigrationIncoming, ready: ReadySnapshot[], call: (m: MigrationRequest, from?: string) => Promise<MigrationResponse> } {
  const state = new JobsState()
  const apply = (slot: number, e: JobEntry): void => { const { kind, data } = encodeJobEntry(e); assert.ok(state.apply({ slot, index: 0, author: SRC, kind, data }).applied) }
  apply(1, { kind: 'job.submit', body: { at: 1000, module: 'a'.repeat(64), count: 1, replicas: 1, timeoutMs: 60_000, memoryBytes, leaseTtlMs: 60_000 } })
  apply(2, { kind: 'job.claim', body: { at: 1001, job: '1.0', task: 0, replica: 0, capacity: 1 } })
  const ready: ReadySnapshot[] = []
  const incoming = new MigrationIncoming({ state, hasRoom: () => true, prepareModule: async () => {}, keep: async () => {}, ready: r => { ready.push(r) }, log: () => {}, ...(heldMemory != null ? { heldMemory } : {}) })
  return { incoming, ready, call: async (m, from = SRC) => decodeResponse(await incoming.handle(encodeRequest(m), from)) }
}

function snapshot (pages: number, seed: number): TaskSnapshot {
  const memory = seededBytes(seed)(pages * 65536)
  return { memory, globals: [{ kind: 'i32', value: 65536 }], unwind: new Uint8Array([1, 2, 3, 4]), pausedIn: 'fd_write', pausedResult: 0, stdinPos: 0, stdout: new TextEncoder().encode('step 1\n'), stderr: new Uint8Array(0), clockNs: 5n, calls: 9, pauses: 1 }
}

const offer = (id = 'm1'): MigrationRequest => ({ type: 'offer', id, job: '1.0', task: 0, replica: 0, token: TOKEN })

test('only the holder under its current token may offer', async () => {
  const { call } = setup()
  assert.match((await call(offer(), OTHER) as { reason: string }).reason, /^not the holder/)
  assert.match((await call({ ...offer(), token: { epoch: 1, slot: 3 } } as MigrationRequest) as { reason: string }).reason, /^not the holder/)
  assert.equal((await call({ ...offer(), job: '9.0' } as MigrationRequest)).type, 'refuse')
  assert.deepEqual(await call(offer()), { type: 'accept', have: [] })
  assert.match((await call({ type: 'chunks', id: 'm1', frames: [] }, OTHER) as { reason: string }).reason, /^unknown migration/, 'another peer cannot feed a session')
})

test('a whole migration: a corrupted chunk is named for a resend, missing ones are asked for, the digest is checked', async () => {
  const { call, ready, incoming } = setup()
  const snap = snapshot(4, 3)
  const full = encodeSnapshot(snap)
  const sender = new PreCopySender({ fixedChunkBytes: 8192 })
  const plan = sender.round(snap.memory)
  const chunks = [...plan.send]
  assert.equal((await call(offer())).type, 'accept')
  const frames = chunks.slice(0, 10).map(([h, c]) => encodeChunkFrame(h, c))
  frames[3][frames[3].length - 1] ^= 0xff
  const res = await call({ type: 'chunks', id: 'm1', frames })
  assert.deepEqual(res, { type: 'resend', hashes: [chunks[3][0]] })
  assert.equal(incoming.stats.corruptChunks, 1)
  const meta = encodeSnapshot({ ...snap, memory: new Uint8Array(0) })
  const digest = await snapshotDigest(full)
  const missing = await call({ type: 'final', id: 'm1', meta, recipe: plan.recipe, sha256: digest })
  assert.equal(missing.type, 'resend')
  assert.deepEqual(new Set((missing as { hashes: string[] }).hashes), new Set([chunks[3][0], ...chunks.slice(10).map(([h]) => h)]))
  assert.deepEqual(await call({ type: 'chunks', id: 'm1', frames: [chunks[3], ...chunks.slice(10)].map(([h, c]) => encodeChunkFrame(h, c)) }), { type: 'resend', hashes: [] })
  assert.match((await call({ type: 'final', id: 'm1', meta, recipe: plan.recipe, sha256: 'f'.repeat(64) }) as { reason: string }).reason, /^snapshot hash mismatch/)
  assert.equal(ready.length, 0)
  assert.deepEqual(await call({ type: 'final', id: 'm1', meta, recipe: plan.recipe, sha256: digest }), { type: 'ok' })
  assert.equal(ready.length, 1)
  assert.deepEqual(ready[0].snapshot(), full)
  assert.equal(ready[0].sha256, digest)
  assert.equal((await call({ type: 'chunks', id: 'm1', frames: [] })).type, 'refuse', 'the session is over')
})

test('malformed requests are refusals, never throws; a session is bounded by the job memory cap', async () => {
  const { incoming, call } = setup(65536)
  for (const junk of [new Uint8Array(0), new Uint8Array([1]), new Uint8Array([99, 0]), new Uint8Array(50).fill(0xff)]) {
    assert.equal(decodeResponse(await incoming.handle(junk, SRC)).type, 'refuse')
  }
  assert.equal((await call(offer('m2'))).type, 'accept')
  const snap = snapshot(5, 5) // 320 KiB: over four times the job's 64 KiB cap
  const frames = [...new PreCopySender({ fixedChunkBytes: 8192 }).round(snap.memory).send].map(([h, c]) => encodeChunkFrame(h, c))
  const res = await call({ type: 'chunks', id: 'm2', frames })
  assert.match((res as { reason: string }).reason, /^over the session's budget/)
})

test('a target keeping a checkpoint of the task reports its chunks; only the changed ones are sent; the snapshot rebuilds exactly', async () => {
  const earlier = snapshot(4, 3)
  const now = { ...earlier, memory: earlier.memory.slice() }
  now.memory.fill(7, 70_000, 90_000) // ~20 KB rewritten since the checkpoint: 3-4 of 32 chunks
  const { call, ready } = setup(1 << 20, () => earlier.memory)
  const acc = await call(offer())
  assert.equal(acc.type, 'accept')
  const have = (acc as { have: string[] }).have
  assert.equal(have.length, new Set(have).size)
  assert.ok(have.length >= 2, 'the checkpoint\'s chunks are reported (seeded memory: all distinct)')
  const sender = new PreCopySender({ targetHas: have, fixedChunkBytes: 8192 })
  const plan = sender.round(now.memory)
  assert.ok(plan.send.size >= 3 && plan.send.size <= 4, `only the changed chunks are sent (${plan.send.size})`)
  assert.ok(plan.sentBytes <= 4 * 8192)
  assert.deepEqual(await call({ type: 'chunks', id: 'm1', frames: [...plan.send].map(([h, c]) => encodeChunkFrame(h, c)) }), { type: 'resend', hashes: [] })
  const full = encodeSnapshot(now)
  assert.deepEqual(await call({ type: 'final', id: 'm1', meta: encodeSnapshot({ ...now, memory: new Uint8Array(0) }), recipe: plan.recipe, sha256: await snapshotDigest(full) }), { type: 'ok' })
  assert.deepEqual(ready[0].snapshot(), full)
})
