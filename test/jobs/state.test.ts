/**
 * The job/claim state machine over a fake ordered log (`_log.ts`: it numbers entries in slots and
 * applies each to three independent `JobsState` peers, then checks they agree — the property the
 * ledger exists for). Covers a plain run, leases that expire and are reassigned with
 * the zombie's late result refused, renewals, K = 3 with a lying worker, disagreement that draws
 * more replicas, distinct peers, capacity, cancel, the submitter's record that it fetched the
 * results (`job.fetched`), malformed entries, and the planner's fairness.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { Log } from './_log.ts'
import {
  decodeJobEntry, JobsState, planClaims, type ApplyResult, type JobEntry, type SubmitEntry, type Token
} from '../../core/jobs/index.ts'

const MODULE = 'a'.repeat(64)
const out = (c: string): string => c.repeat(64)

function spec (over: Partial<SubmitEntry> = {}): SubmitEntry {
  return { at: 1000, module: MODULE, count: 3, replicas: 1, timeoutMs: 30_000, memoryBytes: 1 << 26, leaseTtlMs: 10_000, ...over }
}
const claim = (at: number, job: string, task: number, replica = 0, capacity = 4): JobEntry => ({ kind: 'job.claim', body: { at, job, task, replica, capacity } })
const result = (at: number, job: string, task: number, token: Token, output: string, replica = 0): JobEntry => ({ kind: 'job.result', body: { at, job, task, replica, token, output } })
const renew = (at: number, job: string, task: number, token: Token, replica = 0): JobEntry => ({ kind: 'job.renew', body: { at, job, task, replica, token } })
function tokenOf (r: ApplyResult): Token {
  assert.ok(r.applied, r.applied ? '' : r.refusal)
  const ev = r.events[0]
  assert.equal(ev.type, 'claimed')
  return (ev as { token: Token }).token
}
function refused (r: ApplyResult, reason: RegExp): void {
  assert.equal(r.applied, false, 'expected a refusal')
  if (!r.applied) assert.match(r.refusal, reason)
}

test('a job runs: submit, claims, results, finished; the job id is the submit entry\'s slot', () => {
  const log = new Log()
  const s = log.append('alice', { kind: 'job.submit', body: spec() })
  const job = `${s.slot}.0`
  for (let t = 0; t < 3; t++) {
    const tok = tokenOf(log.append('w1', claim(1100 + t, job, t)))
    assert.deepEqual(tok, { epoch: 1, slot: log.slot - 1 })
    const r = log.append('w1', result(1200 + t, job, t, tok, out(String(t))))
    assert.ok(r.applied)
    assert.ok(r.events.some(e => e.type === 'decided'))
  }
  assert.equal(log.state.jobs.get(job)?.status, 'done')
  assert.deepEqual(log.state.jobs.get(job)?.tasks.map(t => t.output), [out('0'), out('1'), out('2')])
  log.agree()
})

test('an expired lease is claimable again; the zombie\'s late result is refused by its stale token', () => {
  const log = new Log()
  const job = `${log.append('alice', { kind: 'job.submit', body: spec({ count: 1 }) }).slot}.0`
  const zombie = tokenOf(log.append('w1', claim(2000, job, 0)))
  refused(log.append('w2', claim(5000, job, 0)), /slot leased/)
  // the clock moves with w2's later stamps (bounded step); the lease ran out at 2000 + 10000
  const fresh = tokenOf(log.append('w2', claim(12_500, job, 0)))
  assert.deepEqual(fresh, { epoch: 2, slot: log.slot - 1 })
  refused(log.append('w1', result(12_600, job, 0, zombie, out('e'))), /stale token/)
  refused(log.append('w1', renew(12_700, job, 0, zombie)), /stale token/)
  const ok = log.append('w2', result(13_000, job, 0, fresh, out('b')))
  assert.ok(ok.applied && ok.events.some(e => e.type === 'decided'))
  assert.equal(log.state.jobs.get(job)?.tasks[0].output, out('b'))
  assert.equal(log.state.refusals.get('stale token'), 2)
  log.agree()
})

test('renewals keep a lease live; only the holder under the current token may renew', () => {
  const log = new Log()
  const job = `${log.append('alice', { kind: 'job.submit', body: spec({ count: 1 }) }).slot}.0`
  const tok = tokenOf(log.append('w1', claim(1000, job, 0)))
  for (let at = 4000; at <= 31_000; at += 3000) assert.ok(log.append('w1', renew(at, job, 0, tok)).applied)
  refused(log.append('w2', claim(32_000, job, 0)), /slot leased/)
  refused(log.append('w2', renew(32_100, job, 0, tok)), /not the holder/)
  refused(log.append('w1', renew(32_200, job, 0, { epoch: 9, slot: tok.slot })), /stale token/)
  log.agree()
})

test('K = 3 with a lying worker: the majority wins, the liar is recorded as a loser', () => {
  const log = new Log()
  const job = `${log.append('alice', { kind: 'job.submit', body: spec({ count: 2, replicas: 3 }) }).slot}.0`
  for (let t = 0; t < 2; t++) {
    const toks = ['h1', 'liar', 'h2'].map((w, r) => tokenOf(log.append(w, claim(2000 + t * 10 + r, job, t, r))))
    assert.ok(log.append('liar', result(3000 + t, job, t, toks[1], out('f'), 1)).applied)
    const first = log.append('h1', result(3001 + t, job, t, toks[0], out('1'), 0))
    assert.ok(first.applied && !first.events.some(e => e.type === 'decided'), 'one honest vote is not a majority of 3')
    const second = log.append('h2', result(3002 + t, job, t, toks[2], out('1'), 2))
    assert.ok(second.applied)
    const decided = second.events.find(e => e.type === 'decided')
    assert.deepEqual(decided, { type: 'decided', job, task: t, output: out('1'), winners: ['h1', 'h2'], losers: ['liar'] })
  }
  assert.deepEqual(log.state.losers.map(l => [l.worker, l.task]), [['liar', 0], ['liar', 1]])
  log.agree()
})

test('disagreement draws another replica; a distinct peer settles it', () => {
  const log = new Log()
  const job = `${log.append('alice', { kind: 'job.submit', body: spec({ count: 1, replicas: 2, maxReplicas: 3 }) }).slot}.0`
  const a = tokenOf(log.append('w1', claim(2000, job, 0, 0)))
  const b = tokenOf(log.append('w2', claim(2001, job, 0, 1)))
  log.append('w1', result(2002, job, 0, a, out('1'), 0))
  const r = log.append('w2', result(2003, job, 0, b, out('2'), 1))
  assert.ok(r.applied && r.events.some(e => e.type === 'drawn'))
  refused(log.append('w1', claim(2004, job, 0, 2)), /not distinct/)
  const c = tokenOf(log.append('w3', claim(2005, job, 0, 2)))
  const d = log.append('w3', result(2006, job, 0, c, out('2'), 2))
  assert.ok(d.applied)
  assert.deepEqual(d.events.find(e => e.type === 'decided'), { type: 'decided', job, task: 0, output: out('2'), winners: ['w2', 'w3'], losers: ['w1'] })
  log.agree()
})

test('no agreement within maxReplicas fails the task', () => {
  const log = new Log()
  const job = `${log.append('alice', { kind: 'job.submit', body: spec({ count: 1, replicas: 2, maxReplicas: 2 }) }).slot}.0`
  const a = tokenOf(log.append('w1', claim(2000, job, 0, 0)))
  const b = tokenOf(log.append('w2', claim(2001, job, 0, 1)))
  log.append('w1', result(2002, job, 0, a, out('1'), 0))
  const r = log.append('w2', result(2003, job, 0, b, out('2'), 1))
  assert.ok(r.applied && r.events.some(e => e.type === 'failed') && r.events.some(e => e.type === 'finished'))
  assert.equal(log.state.jobs.get(job)?.tasks[0].status, 'failed')
})

test('capacity, distinct replicas, unknown targets and cancel are enforced alike on every peer', () => {
  const log = new Log()
  const job = `${log.append('alice', { kind: 'job.submit', body: spec({ count: 3, replicas: 2 }) }).slot}.0`
  tokenOf(log.append('w1', claim(2000, job, 0, 0, 1)))
  refused(log.append('w1', claim(2001, job, 1, 0, 1)), /over capacity/)
  refused(log.append('w1', claim(2002, job, 0, 1, 4)), /not distinct/)
  refused(log.append('w1', claim(2003, job, 7, 0)), /no such task/)
  refused(log.append('w1', claim(2004, job, 0, 5)), /no replica slot/)
  refused(log.append('w1', claim(2005, '99.0', 0, 0)), /unknown job/)
  refused(log.append('mallory', { kind: 'job.cancel', body: { at: 2006, job } }), /not the submitter/)
  assert.ok(log.append('alice', { kind: 'job.cancel', body: { at: 2007, job } }).applied)
  refused(log.append('w2', claim(2008, job, 1, 0)), /job cancelled/)
  log.agree()
})

test('malformed entries are refusals, never exceptions; decodeJobEntry throws only InvalidJobEntryError', () => {
  const st = new JobsState()
  const junk = [new Uint8Array(0), new TextEncoder().encode('{"at":1}'), new TextEncoder().encode('[]'), Uint8Array.of(0xff, 0xfe),
    new TextEncoder().encode(JSON.stringify({ ...spec(), tasks: [{}], count: 2 })), new TextEncoder().encode(JSON.stringify({ ...spec(), replicas: 9 })),
    new TextEncoder().encode(JSON.stringify({ ...spec(), module: 'x' })), new TextEncoder().encode(JSON.stringify({ ...spec(), extra: 1 }))]
  for (const [i, data] of junk.entries()) {
    const r = st.apply({ slot: i, index: 0, author: 'm', kind: 'job.submit', data })
    refused(r, /^malformed/)
  }
  refused(st.apply({ slot: 99, index: 0, author: 'm', kind: 'job.steal', data: new Uint8Array(2) }), /^malformed/)
  const kinds = ['job.submit', 'job.claim', 'job.renew', 'job.result', 'job.cancel', 'job.handover', 'job.checkpoint', 'job.fetched']
  fc.assert(fc.property(fc.constantFrom(...kinds), fc.oneof(fc.uint8Array({ maxLength: 100 }), fc.json().map(j => new TextEncoder().encode(j))), (kind, data) => {
    try { decodeJobEntry(kind, data) } catch (e) { assert.equal((e as Error).name, 'InvalidJobEntryError') }
  }), { seed: 11, numRuns: 3000 })
})

test('job.fetched: only the submitter, only once the job ended, only once; the end and the fetch are on the ledger clock', () => {
  const log = new Log()
  const fetched = (author: string, at: number, job: string): ApplyResult => log.append(author, { kind: 'job.fetched', body: { at, job } })
  const job = `${log.append('alice', { kind: 'job.submit', body: spec({ count: 1, retainMs: 3_600_000 }) }).slot}.0`
  assert.equal(log.state.jobs.get(job)?.spec.retainMs, 3_600_000)
  refused(fetched('alice', 1500, job), /job active/)
  const tok = tokenOf(log.append('w1', claim(2000, job, 0)))
  assert.ok(log.append('w1', result(2100, job, 0, tok, out('1'))).applied)
  assert.equal(log.state.jobs.get(job)?.endedAt, 2100)
  assert.equal(log.state.jobs.get(job)?.fetchedAt, undefined)
  refused(fetched('w1', 2200, job), /not the submitter/)
  refused(fetched('alice', 2200, '99.0'), /unknown job/)
  const r = fetched('alice', 2300, job)
  assert.ok(r.applied && r.events.some(e => e.type === 'fetched' && e.job === job))
  assert.equal(log.state.jobs.get(job)?.fetchedAt, 2300)
  refused(fetched('alice', 2400, job), /already fetched/)
  // a cancelled job ended too: its decided results may be recorded as fetched
  const other = `${log.append('bob', { kind: 'job.submit', body: spec({ count: 2 }) }).slot}.0`
  assert.ok(log.append('bob', { kind: 'job.cancel', body: { at: 2500, job: other } }).applied)
  assert.equal(log.state.jobs.get(other)?.endedAt, 2500)
  assert.ok(fetched('bob', 2600, other).applied)
  assert.throws(() => decodeJobEntry('job.submit', new TextEncoder().encode(JSON.stringify(spec({ retainMs: 31 * 86_400_000 })))), /retainMs must be/)
  assert.throws(() => decodeJobEntry('job.fetched', new TextEncoder().encode(JSON.stringify({ at: 1, job, extra: true }))), { name: 'InvalidJobEntryError' })
  log.agree()
})

test('the planner is fair: two jobs submitted together get equal shares of 4 workers', () => {
  const log = new Log()
  const j1 = `${log.append('alice', { kind: 'job.submit', body: spec({ count: 200, leaseTtlMs: 60_000 }) }).slot}.0`
  const j2 = `${log.append('bob', { kind: 'job.submit', body: spec({ count: 200, leaseTtlMs: 60_000 }) }).slot}.0`
  const workers = ['w1', 'w2', 'w3', 'w4']
  const capacity = 3
  const done = new Map([[j1, 0], [j2, 0]])
  const held = new Map<string, Array<{ job: string, task: number, token: Token }>>(workers.map(w => [w, []]))
  let at = 2000
  // rounds: each worker fills its free capacity through the planner, then finishes its oldest task
  for (let round = 0; round < 60; round++) {
    for (const w of workers) {
      const mine = held.get(w) ?? []
      for (const p of planClaims(log.state, w, capacity - mine.length)) {
        const r = log.append(w, claim(at++, p.job, p.task, p.replica, capacity))
        if (r.applied) mine.push({ job: p.job, task: p.task, token: tokenOf(r) })
      }
      const first = mine.shift()
      if (first != null) {
        assert.ok(log.append(w, result(at++, first.job, first.task, first.token, out('0'))).applied)
        done.set(first.job, (done.get(first.job) ?? 0) + 1)
      }
    }
  }
  const [a, b] = [done.get(j1) ?? 0, done.get(j2) ?? 0]
  assert.ok(a + b >= 200, `work was done: ${a + b} tasks`)
  assert.ok(Math.abs(a - b) <= 0.2 * Math.max(a, b), `shares within 20 %: ${a} vs ${b}`)
  // and a busy worker gets nothing planned
  assert.deepEqual(planClaims(log.state, 'w1', 0), [])
  log.agree()
})
