/**
 * An idle ledger whose next leaders are dead (core/ledger/live-replica.ts), in one process with
 * real replicas and real keys (PBFT sizing, n = 7, f = 2) on a discrete-event clock
 * (`_event-clock.ts`: time in ms of the simulated timeline, no wall time), frames delivered 2 ms
 * after they are sent. Replicas 5 and 6 are crashed: they lead slot 5 at views 0 and 1.
 *
 * Slot 4 (a live leader) decides; the ledger then idles for 20 s: no replica may tick itself into
 * a view change of slot 5 (the engine's DECISION-REQUESTs must not keep idle replicas' clocks
 * running, as they did: replicas drifted into different views). Then work arrives everywhere,
 * with every live replica's liveness reporting 5 and 6 dead: the views they lead are left at once
 * and slot 5 decides at view 2 within 1 s of the timeline. Before the fix it took the two view
 * timeouts, 24 + 48 ticks of 100 ms (7.2 s; 28.8 s at the pacer's 400 ms cap) — the 35–60 s of
 * test/ledger/replicas.test.ts's crash test with every submit batched.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createConsensusCrypto } from '../../core/consensus/crypto.ts'
import { LiveReplica, type DecisionTiming } from '../../core/ledger/live-replica.ts'
import { cluster } from '../consensus/_fixtures.ts'
import { EventClock } from './_event-clock.ts'

const N = 7
const GONE = new Set([5, 6])
const TICK_MS = 100

interface Mesh { clock: EventClock, live: LiveReplica[], alive: LiveReplica[], work: boolean[], timing: DecisionTiming[], decidedAt: Map<number, number[]>, sent: () => number, log: string[] }

/** The 5 live replicas of 7 from `firstSlot`; `work[i]`: replica i has something to propose (its `busy`). */
function mesh (firstSlot: number): Mesh {
  const c = cluster({ n: N, f: 2, protocol: 'pbft', sampleSize: N - 1, quorum: 5, seed: 15 })
  const replicas = c.keys.map((k, i) => ({ signPublic: k.signPublic, vrfPublic: k.vrfPublic, peerId: `peer-${i}`, since: 0 }))
  const epoch = { epoch: 1, start: 0, replicas, n: N, f: 2, protocol: 'pbft' as const, sampleSize: N - 1, quorum: 5 }
  const clock = new EventClock()
  const crypto = createConsensusCrypto()
  const work = Array.from({ length: N }, () => false)
  const decidedAt = new Map<number, number[]>()
  const log: string[] = []
  const timing = Array.from({ length: N }, () => ({ decided: 0, decideMs: 0, engineTimers: 0, viewChanges: 0, leaderSkips: 0, lateVotes: 0 }))
  let sent = 0
  const live: LiveReplica[] = []
  for (let i = 0; i < N; i++) {
    if (GONE.has(i)) continue
    const me = i
    live[i] = new LiveReplica(epoch, i, firstSlot, {
      timing: timing[i],
      clock,
      crypto,
      keys: c.keys[i],
      proposalFor: (slot, view) => work[me] || view > 0 ? new TextEncoder().encode(`block ${slot} by ${me}`) : null,
      checkValue: async () => null,
      send: (to, message) => {
        for (const p of to) {
          sent++
          const j = Number(p.slice(5))
          if (!GONE.has(j)) clock.setTimeout(() => { void live[j].receive(message) }, 2)
        }
      },
      decided: (slot, view) => {
        work[me] = false
        decidedAt.set(slot, [...(decidedAt.get(slot) ?? []), clock.now()])
        log.push(`${clock.now()} ms: replica ${me} decided slot ${slot} at view ${view}`)
      },
      busy: () => work[me],
      tickMs: () => TICK_MS,
      viewChanged: count => { log.push(`${clock.now()} ms: replica ${me} view change (+${count}, now view ${live[me].replica.currentView})`) },
      leaderGone: peer => GONE.has(Number(peer.slice(5))),
      reject: () => {}
    })
  }
  const alive = live.filter(r => r != null)
  for (const r of alive) r.start()
  return { clock, live, alive, work, timing, decidedAt, sent: () => sent, log }
}

test('an idle ledger keeps still: no replica ticks itself into a view change of a slot nobody proposes in', { timeout: 60_000 }, async t => {
  const { clock, live, alive, work, decidedAt, sent } = mesh(4)
  // slot 4: replica 4 leads and has work; its votes keep arriving a few ms after the decision
  work[4] = true
  live[4].offer()
  await clock.runUntil(1000)
  assert.equal(decidedAt.get(4)?.length, 5, 'every live replica decided slot 4')
  // idle: 20 s with nothing to propose, slot 5 led by a dead replica
  const before = sent()
  await clock.runUntil(21_000)
  t.diagnostic(`idle 20 s: ${sent() - before} frames sent`)
  for (const r of alive) {
    assert.equal(r.currentSlot, 5)
    assert.equal(r.replica.stats.viewChanges, 0, 'no idle view change')
  }
  assert.ok(sent() - before <= 4 * alive.length, `idle replicas fell quiet (${sent() - before} frames in 20 s)`)
})

test('work behind two dead leaders decides within 1 s of the timeline, not after their view timeouts; the skips do not grow the pacer', { timeout: 60_000 }, async t => {
  const { clock, alive, work, timing, decidedAt, log } = mesh(5)
  await clock.runUntil(5000)
  // work everywhere (the remove asks), every live replica's liveness reporting 5 and 6 dead
  const workAt = clock.now()
  for (const i of [0, 1, 2, 3, 4]) work[i] = true
  for (const r of alive) r.schedule()
  await clock.runUntil(workAt + 30_000)
  t.diagnostic(log.join('\n'))
  const at = decidedAt.get(5) ?? []
  assert.equal(at.length, 5, `every live replica decided slot 5 (${at.length})`)
  const took = Math.max(...at) - workAt
  t.diagnostic(`slot 5 decided ${took} ms (timeline) after work arrived`)
  assert.ok(took < 1000, `slot 5 decided ${took} ms after work arrived (two view timeouts: ${(24 + 48) * TICK_MS} ms)`)
  for (const [i, r] of alive.entries()) {
    assert.equal(r.replica.decisionOf(5)?.view, 2, 'decided in the first view with a live leader')
    assert.deepEqual({ skips: timing[i].leaderSkips, viewChanges: timing[i].viewChanges }, { skips: 2, viewChanges: 0 }, 'two views skipped, none reported to the pacer')
  }
})
