/**
 * The target side of live migration (core/migration/incoming.ts) driven with real codec bytes
 * (protocol-codec.ts, precopy.ts's frames, snapshot-codec.ts) over a local `JobsState`: only the
 * lease holder under its current token may offer; a corrupted chunk is named for a resend while
 * the good ones are kept; `final` asks for missing chunks, refuses a snapshot whose digest does not
 * match, and hands over a verified one; malformed or unknown requests get a refusal, never a throw;
 * a session's bytes are bounded by the job's memory cap; the chunks of a checkpoint of the task
 * kept here are reported in `accept` and not sent again, and the snapshot still rebuilds exactly.
 * Chunks land in the session's memory image at their index (protocol 1.2.0, chunk-image.ts): a
 * chunk sent once for many indices (zero pages) is copied to the others at `final`, a name whose
 * only copy was overwritten since is asked for again, an index past the job's cap or a chunk that
 * is not a whole chunk of the offer's size is refused, and the snapshot handed over is the image itself (no copy of memory).
 * A kept checkpoint comes by its index (chunk-index.ts): the answer names its chunks before it is
 * read, its bytes are copied in after the answer but never over a chunk that landed first, a chunk
 * whose stored bytes do not match the index is asked for at `final`, and an index over the job's
 * cap is not used.
 */
import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { initCoreWasm, xxh64Hex } from '../../core-wasm/index.ts'
import { encodeJobEntry, type JobEntry } from '../../core/jobs/entries.ts'
import { JobsState } from '../../core/jobs/state.ts'
import { snapshotDigest } from '../../core/migration/digest.ts'
import { DEFAULT_CHUNK_BYTES as CB } from '../../core/migration/dirty.ts'
import { indexMemory } from '../../core/migration/chunk-index.ts'
import { MigrationIncoming, type HeldCheckpoint, type ReadySnapshot } from '../../core/migration/incoming.ts'
import { encodeChunkFrame, PreCopySender, type RoundPlan } from '../../core/migration/precopy.ts'
import { decodeResponse, encodeRequest, type IndexedFrame, type MigrationRequest, type MigrationResponse } from '../../core/migration/protocol-codec.ts'
import { encodeSnapshot } from '../../core/migration/snapshot-codec.ts'
import type { TaskSnapshot } from '../../core/migration/snapshot.ts'
import { seededBytes } from '../state/_helpers.ts'

const SRC = '12D3KooWSourceSourceSourceSourceSourceSourceSource1'
const BLOB = 'ab'.repeat(32)
const OTHER = '12D3KooWOtherOtherOtherOtherOtherOtherOtherOther11'
const TOKEN = { epoch: 1, slot: 2 }

before(async () => { await initCoreWasm() })

function setup (memoryBytes = 1 << 20, heldCheckpoint?: () => HeldCheckpoint | undefined): { incoming: MigrationIncoming, ready: ReadySnapshot[], arrivals: Array<{ from: string, memoryBytes: number }>, call: (m: MigrationRequest, from?: string) => Promise<MigrationResponse> } {
  const state = new JobsState()
  const apply = (slot: number, e: JobEntry): void => { const { kind, data } = encodeJobEntry(e); assert.ok(state.apply({ slot, index: 0, author: SRC, kind, data }).applied) }
  apply(1, { kind: 'job.submit', body: { at: 1000, module: 'a'.repeat(64), count: 1, replicas: 1, timeoutMs: 60_000, memoryBytes, leaseTtlMs: 60_000 } })
  apply(2, { kind: 'job.claim', body: { at: 1001, job: '1.0', task: 0, replica: 0, capacity: 1 } })
  const ready: ReadySnapshot[] = []
  const arrivals: Array<{ from: string, memoryBytes: number }> = []
  const incoming = new MigrationIncoming({ state, hasRoom: () => true, prepareModule: async () => {}, keep: async () => {}, ready: r => { ready.push(r) }, arriving: a => { arrivals.push({ from: a.from, memoryBytes: a.memoryBytes }); return undefined }, log: () => {}, ...(heldCheckpoint != null ? { heldCheckpoint } : {}) })
  return { incoming, ready, arrivals, call: async (m, from = SRC) => decodeResponse(await incoming.handle(encodeRequest(m), from)) }
}

function snapshot (pages: number, seed: number): TaskSnapshot {
  const memory = seededBytes(seed)(pages * 65536)
  return { memory, globals: [{ kind: 'i32', value: 65536 }], unwind: new Uint8Array([1, 2, 3, 4]), pausedIn: 'fd_write', pausedResult: 0, stdinPos: 0, stdout: new TextEncoder().encode('step 1\n'), stderr: new Uint8Array(0), clockNs: 5n, calls: 9, pauses: 1 }
}

/** the indexed frames of `hashes` (all of the plan's by default) */
const framesOf = (plan: RoundPlan, hashes: Iterable<string> = plan.send.keys()): IndexedFrame[] =>
  [...hashes].map(h => ({ index: plan.index.get(h) as number, frame: encodeChunkFrame(h, plan.send.get(h) as Uint8Array) }))

const offer = (id = 'm1', memoryBytes = 0): MigrationRequest => ({ type: 'offer', id, job: '1.0', task: 0, replica: 0, token: TOKEN, memoryBytes, chunkBytes: CB })

test('only the holder under its current token may offer', async () => {
  const { call } = setup()
  assert.match((await call(offer(), OTHER) as { reason: string }).reason, /^not the holder/)
  assert.match((await call({ ...offer(), token: { epoch: 1, slot: 3 } } as MigrationRequest) as { reason: string }).reason, /^not the holder/)
  assert.equal((await call({ ...offer(), job: '9.0' } as MigrationRequest)).type, 'refuse')
  assert.deepEqual(await call(offer()), { type: 'accept', have: [] })
  assert.match((await call({ type: 'chunks', id: 'm1', chunks: [] }, OTHER) as { reason: string }).reason, /^unknown migration/, 'another peer cannot feed a session')
})

test('a whole migration: a corrupted chunk is named for a resend, missing ones are asked for, the digest is checked', async () => {
  const { call, ready, incoming, arrivals } = setup()
  const snap = snapshot(4, 3)
  const full = encodeSnapshot(snap)
  const sender = new PreCopySender({ fixedChunkBytes: CB })
  const plan = sender.round(snap.memory)
  const chunks = [...plan.send]
  assert.equal((await call(offer('m1', snap.memory.length))).type, 'accept')
  assert.deepEqual(arrivals, [{ from: SRC, memoryBytes: snap.memory.length }], 'the service is told the size the offer announced (its worker is made ahead)')
  const frames = framesOf(plan, chunks.slice(0, 10).map(([h]) => h))
  frames[3].frame[frames[3].frame.length - 1] ^= 0xff
  const res = await call({ type: 'chunks', id: 'm1', chunks: frames })
  assert.deepEqual(res, { type: 'resend', hashes: [chunks[3][0]] })
  assert.equal(incoming.stats.corruptChunks, 1)
  const meta = encodeSnapshot({ ...snap, memory: new Uint8Array(0) })
  const digest = await snapshotDigest(full)
  const missing = await call({ type: 'final', id: 'm1', meta, recipe: plan.recipe, sha256: digest })
  assert.equal(missing.type, 'resend')
  assert.deepEqual(new Set((missing as { hashes: string[] }).hashes), new Set([chunks[3][0], ...chunks.slice(10).map(([h]) => h)]))
  assert.deepEqual(await call({ type: 'chunks', id: 'm1', chunks: framesOf(plan, [chunks[3], ...chunks.slice(10)].map(([h]) => h)) }), { type: 'resend', hashes: [] })
  assert.match((await call({ type: 'final', id: 'm1', meta, recipe: plan.recipe, sha256: 'f'.repeat(64) }) as { reason: string }).reason, /^snapshot hash mismatch/)
  assert.equal(ready.length, 0)
  assert.deepEqual(await call({ type: 'final', id: 'm1', meta, recipe: plan.recipe, sha256: digest }), { type: 'ok' })
  assert.equal(ready.length, 1)
  const built = ready[0].snapshot()
  assert.deepEqual(built, full)
  assert.ok(built.buffer.byteLength > built.length, 'the snapshot is the image with its fields around it, not a copy')
  assert.equal(ready[0].sha256, digest)
  assert.equal((await call({ type: 'chunks', id: 'm1', chunks: [] })).type, 'refuse', 'the session is over')
})

test('malformed requests are refusals, never throws; a session is bounded by the job memory cap', async () => {
  const { incoming, call, arrivals } = setup(65536)
  assert.match((await call(offer('big', 2 * 65536)) as { reason: string }).reason, /over the job's cap/, 'an offer announcing more memory than the job may have')
  assert.equal(arrivals.length, 0)
  for (const junk of [new Uint8Array(0), new Uint8Array([1]), new Uint8Array([99, 0]), new Uint8Array(50).fill(0xff)]) {
    assert.equal(decodeResponse(await incoming.handle(junk, SRC)).type, 'refuse')
  }
  assert.equal((await call(offer('m2'))).type, 'accept')
  const snap = snapshot(5, 5) // 320 KiB: over four times the job's 64 KiB cap
  const plan = new PreCopySender({ fixedChunkBytes: CB }).round(snap.memory)
  const first = 65536 / CB // the first index past the job's 64 KiB cap
  const past = await call({ type: 'chunks', id: 'm2', chunks: framesOf(plan).slice(first, first + 1) })
  assert.match((past as { reason: string }).reason, new RegExp(`^chunk index ${first} is past the job's memory cap`))
  // the same 8 chunk slots over and over: the session's work is bounded, not only its image
  const res = await call({ type: 'chunks', id: 'm2', chunks: framesOf(plan).map((c, k) => ({ index: k % 8, frame: c.frame })) })
  assert.match((res as { reason: string }).reason, /^over the session's budget/)
  assert.equal((await call(offer('m3'))).type, 'accept')
  const short = new Uint8Array(CB / 2).fill(3)
  const odd = await call({ type: 'chunks', id: 'm3', chunks: [{ index: 0, frame: encodeChunkFrame(xxh64Hex(short), short) }] })
  assert.match((odd as { reason: string }).reason, new RegExp(`not ${CB}`), 'a chunk is a whole chunk of the offer\'s size')
})

test('a target keeping a checkpoint of the task reports its chunks; only the changed ones are sent; the snapshot rebuilds exactly', async () => {
  const earlier = snapshot(4, 3)
  const now = { ...earlier, memory: earlier.memory.slice() }
  now.memory.fill(7, 70_000, 90_000) // ~20 KB rewritten since the checkpoint: 3-4 of 32 chunks
  const index = await indexMemory(earlier.memory, BLOB)
  const { call, ready } = setup(1 << 20, () => ({ index, memory: () => earlier.memory }))
  const acc = await call(offer())
  assert.equal(acc.type, 'accept')
  const have = (acc as { have: string[] }).have
  assert.equal(have.length, new Set(have).size)
  assert.ok(have.length >= 2, 'the checkpoint\'s chunks are reported (seeded memory: all distinct)')
  const sender = new PreCopySender({ targetHas: have, fixedChunkBytes: CB })
  const plan = sender.round(now.memory)
  assert.ok(plan.send.size >= 3 && plan.send.size <= 4, `only the changed chunks are sent (${plan.send.size})`)
  assert.ok(plan.sentBytes <= 4 * CB)
  assert.deepEqual(await call({ type: 'chunks', id: 'm1', chunks: framesOf(plan) }), { type: 'resend', hashes: [] })
  const full = encodeSnapshot(now)
  assert.deepEqual(await call({ type: 'final', id: 'm1', meta: encodeSnapshot({ ...now, memory: new Uint8Array(0) }), recipe: plan.recipe, sha256: await snapshotDigest(full) }), { type: 'ok' })
  assert.deepEqual(ready[0].snapshot(), full)
})

test('a chunk sent once for many indices is copied to them; a name overwritten since is asked again', async () => {
  const { call, ready } = setup()
  const snap = snapshot(2, 9) // 32 chunks
  const mem = snap.memory
  mem.fill(0, 0, 4 * CB) // chunks 0-3: zero pages, never sent (the image starts zeroed)
  mem.copyWithin(5 * CB, 4 * CB, 5 * CB) // chunk 5 = chunk 4: sent once, at index 4
  assert.equal((await call(offer())).type, 'accept')
  const sender = new PreCopySender({ fixedChunkBytes: CB })
  const plan = sender.round(mem)
  assert.equal(plan.send.size, 28, 'each name once: one zero chunk for four, chunk 4 for 4 and 5, chunks 6-31')
  const zeroName = plan.recipe.chunks[0].hash
  const rest = framesOf(plan, [...plan.send.keys()].filter(h => h !== zeroName))
  assert.deepEqual(await call({ type: 'chunks', id: 'm1', chunks: rest }), { type: 'resend', hashes: [] })
  // chunk 4's content now also sits at index 7, and index 4 is overwritten: index 5 and 7 can only
  // come from index 4, which no longer holds it — the target asks for it again
  const now = mem.slice()
  now.copyWithin(7 * CB, 4 * CB, 5 * CB)
  now.fill(9, 4 * CB, 5 * CB)
  const next = sender.round(now)
  assert.equal(next.send.size, 1, 'only the new chunk 4 is sent (its old name is held, says the sender)')
  assert.deepEqual(await call({ type: 'chunks', id: 'm1', chunks: framesOf(next) }), { type: 'resend', hashes: [] })
  const meta = encodeSnapshot({ ...snap, memory: new Uint8Array(0) })
  const full = encodeSnapshot({ ...snap, memory: now })
  const digest = await snapshotDigest(full)
  const again = await call({ type: 'final', id: 'm1', meta, recipe: next.recipe, sha256: digest })
  assert.deepEqual(again, { type: 'resend', hashes: [next.recipe.chunks[5].hash] })
  const old = plan.send.get(next.recipe.chunks[5].hash) as Uint8Array
  assert.deepEqual(await call({ type: 'chunks', id: 'm1', chunks: [{ index: 5, frame: encodeChunkFrame(next.recipe.chunks[5].hash, old) }] }), { type: 'resend', hashes: [] })
  assert.deepEqual(await call({ type: 'final', id: 'm1', meta, recipe: next.recipe, sha256: digest }), { type: 'ok' })
  assert.deepEqual(ready[0].snapshot(), full)
})

test('a kept checkpoint is named from its index before it is read, and copied in after the answer, never over a chunk that landed first', async () => {
  const earlier = snapshot(4, 11)
  const index = await indexMemory(earlier.memory, BLOB)
  const now = { ...earlier, memory: earlier.memory.slice() }
  now.memory.fill(5, 3 * CB, 4 * CB) // chunk 3 changed since the checkpoint
  let reads = 0
  const { call, ready } = setup(1 << 20, () => ({ index, memory: () => { reads++; return earlier.memory } }))
  const acc = await call(offer('m1', now.memory.length))
  assert.equal(acc.type, 'accept')
  assert.deepEqual(new Set((acc as { have: string[] }).have), new Set(index.names()), 'every name of the index')
  assert.equal(reads, 0, 'answered before the checkpoint is read')
  // the changed chunk lands before the copy of the checkpoint has begun (it goes on after the answer)
  const plan = new PreCopySender({ targetHas: (acc as { have: string[] }).have, fixedChunkBytes: CB }).round(now.memory)
  assert.deepEqual([...plan.index.values()], [3], 'only chunk 3 is sent')
  assert.deepEqual(await call({ type: 'chunks', id: 'm1', chunks: framesOf(plan) }), { type: 'resend', hashes: [] })
  const full = encodeSnapshot(now)
  assert.deepEqual(await call({ type: 'final', id: 'm1', meta: encodeSnapshot({ ...now, memory: new Uint8Array(0) }), recipe: plan.recipe, sha256: await snapshotDigest(full) }), { type: 'ok' })
  assert.equal(reads, 1)
  assert.deepEqual(ready[0].snapshot(), full, 'chunk 3 as sent, the others from the checkpoint')
})

test('a kept checkpoint whose bytes do not match its index: those chunks are asked for at final; an index over the cap is not used', async () => {
  const earlier = snapshot(2, 13)
  const index = await indexMemory(earlier.memory, BLOB)
  const altered = earlier.memory.slice()
  altered[5 * CB + 17] ^= 1 // the stored bytes no longer match the index at chunk 5
  const { call, ready } = setup(1 << 20, () => ({ index, memory: () => altered }))
  const acc = await call(offer('m1', earlier.memory.length))
  const plan = new PreCopySender({ targetHas: (acc as { have: string[] }).have, fixedChunkBytes: CB }).round(earlier.memory)
  assert.equal(plan.send.size, 0, 'the source sends nothing: the target said it held every chunk')
  const meta = encodeSnapshot({ ...earlier, memory: new Uint8Array(0) })
  const full = encodeSnapshot(earlier)
  const digest = await snapshotDigest(full)
  const again = await call({ type: 'final', id: 'm1', meta, recipe: plan.recipe, sha256: digest })
  assert.deepEqual(again, { type: 'resend', hashes: [index.name(5)] }, 'never a wrong memory: chunk 5 is asked for')
  const chunk5 = earlier.memory.subarray(5 * CB, 6 * CB)
  assert.deepEqual(await call({ type: 'chunks', id: 'm1', chunks: [{ index: 5, frame: encodeChunkFrame(index.name(5), chunk5) }] }), { type: 'resend', hashes: [] })
  assert.deepEqual(await call({ type: 'final', id: 'm1', meta, recipe: plan.recipe, sha256: digest }), { type: 'ok' })
  assert.deepEqual(ready[0].snapshot(), full)

  const big = await indexMemory(snapshot(2, 14).memory, BLOB) // 128 KiB kept, a job capped at 64 KiB
  const capped = setup(65536, () => ({ index: big, memory: () => undefined }))
  assert.deepEqual(await capped.call(offer('m2')), { type: 'accept', have: [] })
})
