/**
 * Dropouts that must not cost a deadline (core/learning/live: liveness.ts, collector.ts,
 * service.ts). Over the in-memory mesh and ledger of `_mem.ts`, with real tfjs training on small
 * MNIST shards and deadlines far longer than the waits, so a round that waited its deadline fails
 * the test:
 * - a selected learner that drops right after it accepted `start` is not waited for: the round
 *   commits with the others, and the coordinator counts it lost;
 * - a drawn coordinator that drops right after starting its round is passed over at once by the
 *   next learner in the draw, not after `roundTimeoutMs`;
 * plus the pure parts: `PeerLiveness` (gone = seen, now neither linked nor in the view) and the
 * collector's `lost` / `pending` / `done`.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { createRng } from '../../core/learning/index.ts'
import { LiveLearning, readMessage, RoundCollector } from '../../core/learning/live/index.ts'
import { PeerLiveness } from '../../core/learning/live/liveness.ts'
import { stragglerQuorum } from '../../core/learning/live/coordinator.ts'
import { encodeUpdate } from '../../core/learning/codec.ts'
import { committedRounds, liveTask, MemLearners } from './_learners.ts'
import { MemLedger, MemMesh } from './_mem.ts'
import { waitFor } from '../_support/wait.ts'

// a deadline and a round timeout no wait below comes near: waiting either out fails the test
const task = liveTask(4)
const ROUND_TIMEOUT = 900_000
const WAIT = 120_000
const LIMITS = { maxUpdateBytes: 1 << 22, maxModelBytes: 1 << 22 }

let learners: MemLearners
before(async () => { learners = await MemLearners.load(7) })
after(async () => { await learners.stop() })

function peer (i: number, mesh: MemMesh, ledger: MemLedger, rounds: number): LiveLearning {
  return learners.add(i, mesh, ledger, { task, rounds, minLearners: 4, pollMs: 20, roundTimeoutMs: ROUND_TIMEOUT })
}

const rounds = committedRounds

describe('live rounds with dropouts (in-memory mesh and ledger)', { timeout: 300_000 }, () => {
  test('a selected learner dropped right after accepting `start` does not cost the deadline', async () => {
    const mesh = new MemMesh()
    const ledger = new MemLedger()
    const peers = [0, 1, 2, 3].map(i => peer(i, mesh, ledger, 2))
    let victim: string | undefined
    mesh.answered = (from, to, request) => {
      const m = readMessage(request, LIMITS)
      if (victim == null && m.type === 'start' && m.round === 2) { victim = to; mesh.dropped.add(to) }
    }
    for (const p of peers) await p.start()
    await waitFor(() => rounds(ledger).length >= 2, { timeout: WAIT, message: () => `round 2 commits without the dropped learner, long before its deadline; committed ${rounds(ledger).length}` })
    const [r1, r2] = rounds(ledger)
    assert.equal(r1.participants.length, 4, 'round 1: everyone')
    assert.ok(victim != null && victim !== r2.coordinator)
    assert.equal(r2.participants.length, 3)
    assert.ok(!r2.participants.includes(victim), 'the dropped learner is not a participant')
    const coord = peers.find(p => p.status().peerId === r2.coordinator) as LiveLearning
    assert.equal(coord.stats.lostParticipants, 1, 'counted as lost by the coordinator')
    assert.equal(coord.stats.rejected.late, 0)
    assert.equal(coord.stats.roundsFailed, 0)
    const live = peers.filter(p => p.status().peerId !== victim)
    await waitFor(() => live.every(p => p.status().round === 2 && p.status().held), { timeout: WAIT, message: 'the others apply round 2' })
    assert.equal(new Set(live.map(p => p.status().hash)).size, 1)
    for (const p of peers) await p.stop()
  })

  test('a drawn coordinator that drops mid-round is passed over at once, not after the round timeout', async () => {
    const mesh = new MemMesh()
    const ledger = new MemLedger()
    const peers = [0, 1, 2, 3].map(i => peer(i, mesh, ledger, 2))
    // round 2's coordinator drops right after its first `start` was accepted: it can never collect
    // a second update (minUpdates 2), and the learners it started are left waiting on it
    let drawn: string | undefined
    mesh.answered = (from, _to, request) => {
      const m = readMessage(request, LIMITS)
      if (drawn == null && m.type === 'start' && m.round === 2) { drawn = from; mesh.dropped.add(from) }
    }
    for (const p of peers) await p.start()
    const order = await waitFor(() => peers.every(p => p.status().round === 1) ? peers[0].status().order : null, { timeout: WAIT, message: 'round 1 applied everywhere' })
    await waitFor(() => drawn, { timeout: WAIT, message: 'round 2 started' })
    assert.equal(drawn, order[0], 'the first in the draw started round 2')
    await waitFor(() => rounds(ledger).length >= 2, { timeout: WAIT, message: () => `round 2 committed by a takeover long before the round timeout; committed ${rounds(ledger).length}` })
    const r2 = rounds(ledger)[1]
    assert.equal(r2.round, 2)
    assert.notEqual(r2.coordinator, drawn)
    assert.ok(!r2.participants.includes(drawn))
    const coord = peers.find(p => p.status().peerId === r2.coordinator) as LiveLearning
    assert.ok(coord.stats.takeovers >= 1, 'the coordinator counted its takeover')
    assert.equal(r2.coordinator, order.find(p => p !== drawn), 'the next in the draw took over')
    for (const p of peers) await p.stop()
  })
})

describe('PeerLiveness', () => {
  test('gone = seen before, now neither linked nor in the view', () => {
    const l = new PeerLiveness()
    l.observe([], ['a'])
    assert.equal(l.gone('b'), false, 'never seen: not gone (a view still filling)')
    l.observe(['b'], ['a'])
    assert.equal(l.gone('a'), false, 'in the view, no link')
    assert.equal(l.gone('b'), false, 'linked, not (yet) in the view')
    l.observe(['a'], [])
    assert.equal(l.gone('a'), false, 'linked, gone from the view')
    assert.equal(l.gone('b'), true, 'seen, now neither')
    l.observe([], ['b'])
    assert.equal(l.gone('b'), false, 'back in the view')
    assert.equal(l.gone('a'), true)
  })
})

describe('live rounds that cut their stragglers (in-memory mesh and ledger)', { timeout: 300_000 }, () => {
  test('a selected learner silent but still linked and listed is cut once more than two thirds are in, not waited for until the deadline', async () => {
    const mesh = new MemMesh()
    const ledger = new MemLedger()
    const peers = [0, 1, 2, 3].map(i => learners.add(i, mesh, ledger, { task, rounds: 2, minLearners: 4, pollMs: 20, roundTimeoutMs: ROUND_TIMEOUT, stragglerFactor: 1.5 }))
    let silent: string | undefined
    // it accepts round 2's start, then answers nothing: no probe (its bootstrap still lists it), no mesh departure
    mesh.answered = (from, to, request) => {
      const m = readMessage(request, LIMITS)
      if (silent == null && m.type === 'start' && m.round === 2) { silent = to; mesh.frozen.add(to) }
    }
    for (const p of peers) await p.start()
    await waitFor(() => rounds(ledger).length >= 2, { timeout: WAIT, message: () => `round 2 commits without the silent learner, long before its 600 s deadline; committed ${rounds(ledger).length}` })
    const r2 = rounds(ledger)[1]
    assert.ok(silent != null && silent !== r2.coordinator)
    assert.equal(r2.participants.length, 3, 'the three others: more than two thirds of four')
    assert.ok(!r2.participants.includes(silent))
    const coord = peers.find(p => p.status().peerId === r2.coordinator) as LiveLearning
    assert.equal(coord.stats.stragglersCut, 1)
    assert.equal(coord.stats.lostParticipants, 0, 'cut, not found dead')
    const record = coord.stats.coordinated.find(c => c.round === 2)
    assert.equal(record?.cut, 1)
    assert.equal(record?.atDeadline, false)
  })
})

describe('RoundCollector: lost peers', () => {
  const size = 8
  const rule = { rule: 'fedavg' as const, clipMedian: false, trimFraction: 0.2, dp: null, seed: 1, serverOpt: null, downBits: 0 }
  const body = (): Uint8Array => encodeUpdate({ round: 1, sender: 0, samples: 3, clients: 1, values: new Float32Array(size).fill(0.01) }, createRng(1)).bytes

  test('the round closes once every selected peer answered or was lost; a lost peer that still sends before then is admitted', () => {
    const c = new RoundCollector(1, 'base', ['a', 'b', 'c'], 1000, { size, rule })
    assert.equal(c.receive('a', body(), new Uint8Array(64), true, 10), null)
    assert.deepEqual(c.pending(), ['b', 'c'])
    assert.equal(c.lost('a'), false, 'answered already: not lost')
    assert.equal(c.lost('z'), false, 'not selected')
    assert.equal(c.lost('b'), true)
    assert.equal(c.lost('b'), false, 'marked once')
    assert.equal(c.done(20), false, 'c still awaited')
    assert.equal(c.receive('b', body(), new Uint8Array(64), true, 30), null, 'lost, yet its update arrived before the close')
    c.gaveUp('c')
    assert.equal(c.done(40), true)
    assert.deepEqual(c.admitted().map(u => u.peer).sort(), ['a', 'b'])
  })

  test('stragglers: once minAdmitted updates are in, the round closes at factor × their median time (at least median + slack) and cuts whoever is awaited', () => {
    const straggler = { openedAt: 1000, minAdmitted: 3, factor: 1.5, slackMs: 250 }
    const c = new RoundCollector(1, 'base', ['a', 'b', 'c', 'd', 'e'], 21_000, { size, rule, straggler })
    assert.equal(c.receive('a', body(), new Uint8Array(64), true, 1100), null)
    assert.equal(c.receive('b', body(), new Uint8Array(64), true, 1200), null)
    assert.equal(c.cutAt(), Infinity, 'two of the three needed: no cut, however long it takes')
    assert.equal(c.done(20_000), false)
    assert.equal(c.receive('c', body(), new Uint8Array(64), true, 1900), null)
    // median 200 ms after opening: max(1.5 × 200, 200 + 250) = 450 ms
    assert.equal(c.cutAt(), 1450)
    assert.equal(c.done(1449), false)
    assert.equal(c.done(1450), true)
    assert.deepEqual(c.cut(1450), ['d', 'e'])
    const slow = new RoundCollector(1, 'base', ['a', 'b', 'c'], 21_000, { size, rule, straggler: { ...straggler, minAdmitted: 2 } })
    slow.receive('a', body(), new Uint8Array(64), true, 3000)
    slow.receive('b', body(), new Uint8Array(64), true, 5000)
    // median 3,000 ms: 1.5 × 3,000 = 4,500 ms past opening
    assert.equal(slow.cutAt(), 5500)
    assert.deepEqual(slow.cut(5499), [], 'not yet')
  })

  test('stragglers: no cut before more than two thirds of the selected (and minUpdates) are in, so fast hostile learners under a third cannot close a round', () => {
    assert.equal(stragglerQuorum(8, 4), 6)
    assert.equal(stragglerQuorum(5, 4), 4)
    assert.equal(stragglerQuorum(3, 1), 3, 'three selected: all three')
    assert.equal(stragglerQuorum(6, 6), 6, 'minUpdates rules when higher')
    // 2 hostile of 7 selected answer at once: 5 needed, so at least 3 honest updates are in a cut round
    assert.equal(stragglerQuorum(7, 1), 5)
  })

  test('stragglers: without the rule, or when the round closed otherwise, nothing is cut', () => {
    const plain = new RoundCollector(1, 'base', ['a', 'b'], 1000, { size, rule })
    plain.receive('a', body(), new Uint8Array(64), true, 10)
    assert.equal(plain.cutAt(), Infinity)
    assert.equal(plain.done(999), false, 'waits for b until the deadline')
    assert.deepEqual(plain.cut(999), [])
    const all = new RoundCollector(1, 'base', ['a', 'b'], 1000, { size, rule, straggler: { openedAt: 0, minAdmitted: 1, factor: 1.5, slackMs: 0 } })
    all.receive('a', body(), new Uint8Array(64), true, 10)
    all.receive('b', body(), new Uint8Array(64), true, 20)
    assert.equal(all.done(20), true)
    assert.deepEqual(all.cut(20), [], 'everyone answered: no one cut')
    assert.deepEqual(all.cut(1000), [], 'at the deadline it is the deadline, not a cut')
  })

  test('every selected peer lost closes the round at once (nothing more can come), before the deadline', () => {
    const c = new RoundCollector(1, 'base', ['a', 'b'], 1000, { size, rule })
    c.lost('a'); c.lost('b')
    assert.equal(c.done(1), true)
    assert.equal(c.admitted().length, 0)
  })
})
