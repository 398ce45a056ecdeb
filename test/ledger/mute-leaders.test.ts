/**
 * A leader that answers but never proposes (core/ledger/mute-leaders.ts, live-replica.ts), in one
 * process with real replicas and real keys (PBFT sizing, n = 7, f = 2) on a discrete-event clock
 * (`_event-clock.ts`: timeline ms, no wall time), frames delivered 2 ms after they are sent, work
 * everywhere. Replica 5 votes like everyone but drops its own PROPOSE and NEW-VIEW: liveness
 * probes cannot see it (it answers), so before the fix every slot it led cost the whole view-0
 * timeout, 24 ticks of 100 ms. It leads view 0 of slots 5 and 12 (leader = (slot + view) mod 7):
 * slot 5 still costs one timeout (that is how the lapse is seen), slot 12 is skipped at once; with
 * the skip off (`holdMs` 0, the baseline) slot 12 costs the timeout again.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MSG_NEW_VIEW, MSG_PROPOSE, readMessage } from '../../core/consensus/codec.ts'
import { createConsensusCrypto } from '../../core/consensus/crypto.ts'
import { LiveReplica } from '../../core/ledger/live-replica.ts'
import { MuteLeaders } from '../../core/ledger/mute-leaders.ts'
import { cluster } from '../consensus/_fixtures.ts'
import { EventClock } from './_event-clock.ts'

const N = 7
const MUTE = 5
const TICK_MS = 100
const LAST = 13

/** Slots 3..LAST decided with work everywhere; per slot, the time its last honest replica decided and the views. */
async function run (holdMs: number): Promise<{ decidedAt: Map<number, number>, views: Map<number, Set<number>>, mute: MuteLeaders[] }> {
  const c = cluster({ n: N, f: 2, protocol: 'pbft', sampleSize: N - 1, quorum: 5, seed: 16 })
  const replicas = c.keys.map((k, i) => ({ signPublic: k.signPublic, vrfPublic: k.vrfPublic, peerId: `peer-${i}`, since: 0 }))
  const epoch = { epoch: 1, start: 0, replicas, n: N, f: 2, protocol: 'pbft' as const, sampleSize: N - 1, quorum: 5 }
  const clock = new EventClock()
  const crypto = createConsensusCrypto()
  const decided = new Map<number, number[]>()
  const views = new Map<number, Set<number>>()
  const mute = Array.from({ length: N }, () => new MuteLeaders(clock.now, holdMs))
  const live: LiveReplica[] = []
  for (let i = 0; i < N; i++) {
    const me = i
    live[i] = new LiveReplica(epoch, i, 3, {
      clock,
      crypto,
      keys: c.keys[i],
      proposalFor: slot => slot <= LAST ? new TextEncoder().encode(`block ${slot} by ${me}`) : null,
      checkValue: async () => null,
      send: (to, message) => {
        const type = readMessage(message).type
        if (me === MUTE && (type === MSG_PROPOSE || type === MSG_NEW_VIEW)) return // answers, votes, never leads
        for (const p of to) { const j = Number(p.slice(5)); clock.setTimeout(() => { void live[j].receive(message) }, 2) }
      },
      decided: (slot, view) => {
        if (me === MUTE) return
        decided.set(slot, [...(decided.get(slot) ?? []), clock.now()])
        views.set(slot, (views.get(slot) ?? new Set()).add(view))
      },
      busy: () => live[me].currentSlot <= LAST,
      tickMs: () => TICK_MS,
      leaderGone: peer => mute[me].mute(peer),
      leaderLapsed: peer => { mute[me].lapse(peer) },
      leaderProposed: peer => { mute[me].proposed(peer) },
      reject: () => {}
    })
  }
  for (const r of live) r.start()
  for (const r of live) r.offer()
  await clock.runUntil(60_000)
  const decidedAt = new Map([...decided].filter(([, at]) => at.length === N - 1).map(([slot, at]) => [slot, Math.max(...at)]))
  return { decidedAt, views, mute }
}

/**
 * Timeline ms between the decision of `slot - 1` and of `slot` (its last honest replica each). A
 * view-0 timeout shows as ~2,400 ms (24 ticks, started when the first replica entered the slot,
 * a few ms before the last one): asserted as ≥ 2,000; a normal slot takes under 10 ms.
 */
const gap = (d: Map<number, number>, slot: number): number => (d.get(slot) ?? Infinity) - (d.get(slot - 1) ?? Infinity)

test('a leader that answers but never proposes costs one view timeout, not one per slot it leads', { timeout: 60_000 }, async t => {
  const { decidedAt, views, mute } = await run(30_000)
  for (let s = 3; s <= LAST; s++) assert.ok(decidedAt.has(s), `slot ${s} decided by every honest replica`)
  t.diagnostic(`gaps: slot 5 ${gap(decidedAt, 5)} ms, slot 12 ${gap(decidedAt, 12)} ms, slot 11 ${gap(decidedAt, 11)} ms`)
  assert.ok(gap(decidedAt, 5) >= 20 * TICK_MS, 'the first lapse is seen through its view timeout')
  assert.ok(gap(decidedAt, 12) < 500, `slot 12 skipped its mute leader at once (${gap(decidedAt, 12)} ms)`)
  assert.deepEqual([...(views.get(12) ?? [])], [1], 'slot 12 decided at view 1')
  assert.deepEqual([...(views.get(11) ?? [])], [0], 'other leaders keep view 0')
  // one lapse per honest replica (slot 5's view 0; slot 12's view was skipped, not lapsed), no
  // honest leader ever held (by the end, 60 s, the 30 s hold on replica 5 has run out too)
  for (let i = 0; i < N; i++) if (i !== MUTE) assert.deepEqual(mute[i].stats, { lapses: 1, cleared: 0 }, `replica ${i}`)
  for (let i = 0; i < N; i++) if (i !== MUTE) for (const j of [0, 1, 2, 3, 4, 6]) assert.equal(mute[i].mute(`peer-${j}`), false, `replica ${i} holds no honest leader mute`)
})

test('baseline (no hold): each slot the mute replica leads costs the whole view timeout', { timeout: 60_000 }, async t => {
  const { decidedAt } = await run(0)
  t.diagnostic(`gaps: slot 5 ${gap(decidedAt, 5)} ms, slot 12 ${gap(decidedAt, 12)} ms`)
  assert.ok(gap(decidedAt, 5) >= 20 * TICK_MS)
  assert.ok(gap(decidedAt, 12) >= 20 * TICK_MS, `slot 12: ${gap(decidedAt, 12)} ms`)
})

test('MuteLeaders: a lapse holds a leader for holdMs; a proposal or the hold running out clears it', () => {
  let now = 0
  const m = new MuteLeaders(() => now, 1000)
  m.lapse('a')
  assert.equal(m.mute('a'), true)
  assert.equal(m.mute('b'), false)
  m.proposed('a')
  assert.equal(m.mute('a'), false)
  m.lapse('a'); now = 999
  assert.equal(m.mute('a'), true)
  now = 1000
  assert.equal(m.mute('a'), false, 'the hold ran out')
  m.lapse('c'); m.keepOnly(['a'])
  assert.equal(m.mute('c'), false, 'forgotten when it leaves the replica set')
  assert.deepEqual(m.stats, { lapses: 3, cleared: 1 })
})
