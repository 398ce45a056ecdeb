/**
 * Membership upkeep (core/ledger/upkeep.ts) and the submitter's view of its own pending entries:
 * a join whose submit timed out rides the microblock in flight and may still commit, so no second
 * join is submitted while it is pending (it used to commit as a refused duplicate, 'already a
 * replica'); once nothing is pending the peer asks again. Deterministic: a hand-driven clock, the
 * owner callbacks of the classes under test (no network).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { VoteLapses } from '../../core/ledger/vote-lapse.ts'
import { Liveness } from '../../core/ledger/liveness.ts'
import { EntryRefusedError, SubmitTimeoutError } from '../../core/ledger/errors.ts'
import type { Chain } from '../../core/ledger/chain.ts'
import type { EpochInfo } from '../../core/ledger/epochs.ts'
import type { Clock } from '../../core/ledger/live-replica.ts'
import { Submitter } from '../../core/ledger/submitter.ts'
import type { CommittedEntry, Entry } from '../../core/ledger/types.ts'
import { MembershipUpkeep } from '../../core/ledger/upkeep.ts'
import { waitFor } from '../_support/wait.ts'
import { seededKey } from './_memnet.ts'

/** A clock that moves only when told; due timers run in order. */
class ManualClock implements Clock {
  t = 0
  private timers = new Map<number, { at: number, fn: () => void }>()
  private id = 0
  now = (): number => this.t
  setTimeout = (fn: () => void, ms: number): unknown => { const h = ++this.id; this.timers.set(h, { at: this.t + ms, fn }); return h }
  clearTimeout = (h: unknown): void => { this.timers.delete(h as number) }
  advance (ms: number): void {
    this.t += ms
    for (const [h, x] of [...this.timers].sort((a, b) => a[1].at - b[1].at)) {
      if (x.at <= this.t && this.timers.has(h)) { this.timers.delete(h); x.fn() }
    }
  }
}

test('a timed-out entry still in flight is pending; it stops being pending when it commits', async () => {
  const clock = new ManualClock()
  const sent: number[] = []
  const s = new Submitter({
    self: 'me', privateKey: await seededKey('upkeep submitter'), clock, maxBatchBytes: () => 16384, submitTimeoutMs: 30_000,
    lastSeq: () => -1, dispatch: mb => { sent.push(mb.seq) }, ready: () => true, log: () => {}
  })
  const join = s.submit({ kind: 'join', data: new Uint8Array([1]) })
  const settled = join.then(() => 'committed', (err: unknown) => err)
  assert.equal(s.hasPending('join'), true, 'in the outbox')
  assert.equal(s.hasPending('note'), false)
  await waitFor(() => sent.length === 1, { timeout: 10_000, message: 'the microblock signed and dispatched' })
  clock.advance(30_001)
  assert.ok(await settled instanceof SubmitTimeoutError, 'the submit timed out')
  assert.equal(s.hasPending('join'), true, 'but its microblock is still in flight and may commit')
  // it commits: no longer pending
  s.onCommitted([{ index: 0, kind: 'join', author: 'me', data: new Uint8Array([1]), applied: true, summary: 'join', seq: sent[0] }], () => ({ slot: 1 }) as unknown as CommittedEntry)
  assert.equal(s.hasPending('join'), false)
})

test('no join asked while the first is in flight, committed as pending, or cooling off; asked again once it is not', () => {
  const clock = new ManualClock()
  let pending = false
  let replica = false
  const submitted: Entry[] = []
  const reject: Array<(err: Error) => void> = []
  const upkeep = new MembershipUpkeep({
    self: 'me',
    clock,
    liveness: new Liveness({ now: clock.now, silenceMs: () => 15_000, linkRttMs: () => 1, probe: () => {} }),
    voteLapses: new VoteLapses({ now: clock.now, decisions: () => 16, ms: () => 30_000 }),
    init: {},
    stopping: () => false,
    chain: () => undefined,
    joinBody: () => new Uint8Array([7]),
    pending: kind => kind === 'join' && pending,
    evidence: () => [],
    rttMs: () => 1,
    recentDecideMs: [],
    submit: async entry => { submitted.push(entry); pending = true; return await new Promise<CommittedEntry>((_resolve, rej) => { reject.push(rej) }) },
    log: () => {}
  })
  // admission.ts: the pending joiner, and a peer cooling off, do not ask
  let pendingJoiner: string | undefined = 'me'
  let allowedAt = 0
  const chain = { isReplica: () => replica, pendingJoiner: () => pendingJoiner, joinAllowedAt: () => allowedAt, height: 9 } as unknown as Chain
  upkeep.join(chain)
  assert.equal(submitted.length, 0, 'its join is pending: not asked again')
  pendingJoiner = undefined
  allowedAt = 11
  for (let i = 0; i < 60; i++) { clock.advance(1000); upkeep.join(chain) }
  assert.equal(submitted.length, 0, 'cooling off: the next slot (10) is below 11')
  allowedAt = 10
  upkeep.join(chain)
  assert.equal(submitted.length, 1, 'asked to join')
  // the submit times out after 30 s while the microblock is still in flight: the catch moves the
  // next try closer (5 s), but the join is still pending
  clock.advance(30_000)
  reject[0](new SubmitTimeoutError('not committed'))
  for (let i = 0; i < 120; i++) { clock.advance(1000); upkeep.join(chain) }
  assert.equal(submitted.length, 1, 'not asked again while the first join may still commit')
  // the first join's microblock was refused or dropped (nothing pending): ask again
  pending = false
  clock.advance(1000); upkeep.join(chain)
  assert.equal(submitted.length, 2, 'asked again')
  // it commits: a replica, nothing more to ask
  pending = false
  replica = true
  for (let i = 0; i < 60; i++) { clock.advance(1000); upkeep.join(chain) }
  assert.equal(submitted.length, 2)
})

test('a join refused for equivocation is never asked again', async () => {
  const clock = new ManualClock()
  const submitted: Entry[] = []
  let last: Promise<CommittedEntry> | undefined
  const upkeep = new MembershipUpkeep({
    self: 'me', clock, liveness: new Liveness({ now: clock.now, silenceMs: () => 15_000, linkRttMs: () => 1, probe: () => {} }), voteLapses: new VoteLapses({ now: clock.now, decisions: () => 16, ms: () => 30_000 }), init: {},
    stopping: () => false, chain: () => undefined, joinBody: () => new Uint8Array([7]), pending: () => false, evidence: () => [], rttMs: () => 1, recentDecideMs: [],
    submit: (entry) => {
      submitted.push(entry)
      last = Promise.reject(new EntryRefusedError('removed for equivocation'))
      return last
    },
    log: () => {}
  })
  const chain = { isReplica: () => false, pendingJoiner: () => undefined, joinAllowedAt: () => 0, height: 0 } as unknown as Chain
  upkeep.join(chain)
  assert.equal(submitted.length, 1)
  // the upkeep's handler was attached first, so it has run once this one has
  await last?.catch(() => {})
  for (let i = 0; i < 120; i++) { clock.advance(1000); upkeep.join(chain) }
  assert.equal(submitted.length, 1)
})

test('a remove ask that failed without an answer is asked again once nothing of ours is pending; a refusal is final', async () => {
  const clock = new ManualClock()
  const liveness = new Liveness({ now: clock.now, silenceMs: () => 3000, linkRttMs: () => 1, probe: () => {} })
  liveness.track(['gone', 'refused'])
  let pending = false
  const asks: string[] = []
  const fail: Array<{ peer: string, reject: (err: Error) => void }> = []
  const upkeep = new MembershipUpkeep({
    self: 'me', clock, liveness, voteLapses: new VoteLapses({ now: clock.now, decisions: () => 16, ms: () => 30_000 }), init: {}, stopping: () => false, chain: () => undefined, joinBody: () => new Uint8Array([7]),
    pending: kind => kind === 'remove' && pending, evidence: () => [], rttMs: () => 1, recentDecideMs: [],
    submit: async entry => {
      const peer = new TextDecoder().decode(entry.data).includes('refused') ? 'refused' : 'gone'
      asks.push(peer)
      pending = true
      return await new Promise<CommittedEntry>((_resolve, reject) => { fail.push({ peer, reject }) })
    },
    log: () => {}
  })
  const epoch = { epoch: 3 } as unknown as EpochInfo
  const pass = async (n: number): Promise<void> => { for (let i = 0; i < n; i++) { clock.advance(1000); upkeep.removeSilent(epoch); await Promise.resolve() } }
  await pass(60)
  assert.deepEqual(asks.sort(), ['gone', 'refused'], 'both silent replicas asked once')
  // both submits end without a commit: one timed out, one refused by the ledger
  for (const f of fail.splice(0)) f.reject(f.peer === 'gone' ? new SubmitTimeoutError('not committed') : new EntryRefusedError('not a replica'))
  await new Promise(resolve => setImmediate(resolve))
  await pass(30)
  assert.equal(asks.length, 2, 'not asked again while an ask of ours may still commit')
  pending = false
  await pass(10)
  assert.deepEqual(asks.slice(2), ['gone'], 'the timed-out ask is repeated; the refused one is not')
  // a new epoch asks afresh (and forgets the old epoch's asks)
  pending = false
  clock.advance(1000); upkeep.removeSilent({ epoch: 4 } as unknown as EpochInfo)
  assert.equal(asks.length, 5)
})
