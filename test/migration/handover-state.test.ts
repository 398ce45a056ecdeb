/**
 * The ledger handover of live migration (`job.handover`, core/jobs/state.ts) over a fake ordered
 * log applied to three independent `JobsState` peers: only the holder under its current token can
 * hand a live lease over, to another distinct peer; the new holder gets a new fencing token and
 * from then on the old holder's renewals and results are refused (fencing) while the new holder's
 * result is accepted: exactly one copy reports. Malformed handovers are refusals, alike everywhere.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decodeJobEntry, type ApplyResult, type JobsState, type JobEntry, type Token } from '../../core/jobs/index.ts'
import { Log } from '../jobs/_log.ts'

const A = '12D3KooWAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'
const B = '12D3KooWBbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'
const C = '12D3KooWCccccccccccccccccccccccccccccccccccccccccccc'
const SNAP = 'e'.repeat(64)

const handover = (at: number, job: string, token: Token, to: string, replica = 0): JobEntry => ({ kind: 'job.handover', body: { at, job, task: 0, replica, token, to, snapshot: SNAP } })
const refusal = (r: ApplyResult): string => r.applied ? '(applied)' : r.refusal

function setup (replicas = 1): { log: Log, job: string, token: Token } {
  const log = new Log()
  const s = log.append(A, { kind: 'job.submit', body: { at: 1000, module: 'a'.repeat(64), count: 1, replicas, timeoutMs: 30_000, memoryBytes: 1 << 26, leaseTtlMs: 10_000 } })
  const job = `${s.slot}.0`
  const c = log.append(A, { kind: 'job.claim', body: { at: 1100, job, task: 0, replica: 0, capacity: 2 } })
  assert.ok(c.applied)
  return { log, job, token: { epoch: 1, slot: c.slot } }
}

test('the holder hands its lease over: a new token for the new holder; the old holder is fenced', () => {
  const { log, job, token } = setup()
  const h = log.append(A, handover(1200, job, token, B))
  assert.ok(h.applied, refusal(h))
  const ev = h.events[0]
  assert.equal(ev.type, 'handedOver')
  const next = { epoch: 2, slot: h.slot }
  assert.deepEqual(ev, { type: 'handedOver', job, task: 0, replica: 0, from: A, to: B, token: next, snapshot: SNAP })
  const lease = log.peers[0].jobs.get(job)?.tasks[0].slots[0].lease
  assert.equal(lease?.worker, B)
  assert.equal(lease?.expiresAt, 1200 + 10_000)
  assert.match(refusal(log.append(A, { kind: 'job.renew', body: { at: 1300, job, task: 0, replica: 0, token } })), /^stale token/)
  assert.match(refusal(log.append(A, { kind: 'job.result', body: { at: 1400, job, task: 0, replica: 0, token, output: 'b'.repeat(64) } })), /^stale token/)
  assert.match(refusal(log.append(A, handover(1450, job, token, C))), /^stale token/, 'a second handover under the old token')
  const r = log.append(B, { kind: 'job.result', body: { at: 1500, job, task: 0, replica: 0, token: next, output: 'c'.repeat(64) } })
  assert.ok(r.applied, refusal(r))
  const task = log.peers[0].jobs.get(job)?.tasks[0]
  assert.equal(task?.status, 'done')
  assert.deepEqual(task?.winners, [B])
  assert.equal(log.peers[0].liveLeases(A), 0)
})

test('only the holder, under its live lease, to another distinct peer', () => {
  const { log, job, token } = setup(2)
  assert.match(refusal(log.append(B, handover(1200, job, token, C))), /^not the holder/)
  assert.match(refusal(log.append(A, handover(1200, job, token, A))), /^handover to self/)
  const c = log.append(B, { kind: 'job.claim', body: { at: 1200, job, task: 0, replica: 1, capacity: 2 } })
  assert.ok(c.applied)
  assert.match(refusal(log.append(A, handover(1300, job, token, B))), /^not distinct/)
  assert.match(refusal(log.append(A, handover(20_000, job, token, C))), /^lease expired/)
})

test('malformed handovers are refusals (bad peer id, bad snapshot hash, extra fields)', () => {
  const { log, job, token } = setup()
  const data = (o: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(o))
  const base = { at: 1200, job, task: 0, replica: 0, token, to: B, snapshot: SNAP }
  for (const bad of [{ ...base, to: 'not a peer id!' }, { ...base, snapshot: 'xyz' }, { ...base, extra: 1 }, { ...base, token: { epoch: 0, slot: 1 } }]) {
    assert.throws(() => decodeJobEntry('job.handover', data(bad)), { name: 'InvalidJobEntryError' })
    const results = log.peers.map(p => p.apply({ slot: 99, index: 0, author: A, kind: 'job.handover', data: data(bad) }))
    for (const r of results) assert.match(refusal(r), /^malformed/)
  }
  assert.equal(log.peers[0].jobs.get(job)?.tasks[0].slots[0].lease?.worker, A, 'nothing moved')
})

test('a checkpoint is recorded only by the holder; it outlives a reclaim and is dropped with the result', () => {
  const { log, job, token } = setup()
  const cp = (author: string, t: Token, snapshot = SNAP): ApplyResult => log.append(author, { kind: 'job.checkpoint', body: { at: 1200, job, task: 0, replica: 0, token: t, snapshot, keeper: C } })
  assert.match(refusal(cp(B, token)), /^not the holder/)
  const ok = cp(A, token)
  assert.ok(ok.applied, refusal(ok))
  assert.deepEqual(ok.events[0], { type: 'checkpointed', job, task: 0, replica: 0, snapshot: SNAP, keeper: C })
  const slot = (): ReturnType<JobsState['jobs']['get']> => log.peers[0].jobs.get(job)
  assert.deepEqual(slot()?.tasks[0].slots[0].checkpoint, { snapshot: SNAP, keeper: C, by: A })
  // A vanishes: its lease expires and B claims the slot again; the checkpoint stays for B
  const re = log.append(B, { kind: 'job.claim', body: { at: 30_000, job, task: 0, replica: 0, capacity: 1 } })
  assert.ok(re.applied, refusal(re))
  assert.equal(slot()?.tasks[0].slots[0].checkpoint?.snapshot, SNAP)
  assert.match(refusal(cp(A, token, 'd'.repeat(64))), /^stale token/, 'the old holder cannot record one any more')
  const t2 = { epoch: 2, slot: re.slot }
  const r = log.append(B, { kind: 'job.result', body: { at: 30_100, job, task: 0, replica: 0, token: t2, output: 'c'.repeat(64) } })
  assert.ok(r.applied)
  assert.equal(slot()?.tasks[0].slots[0].checkpoint, undefined)
})
