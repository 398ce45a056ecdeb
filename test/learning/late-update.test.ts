/**
 * A selected learner whose update is late gets a direct ping (core/learning/live/late-update.ts):
 * - `LateUpdates` alone, on a fake clock with pings the test settles: the bound (2 × the
 *   reference update time + 4 × RTT, 1–10 s), the reference (the slowest of the learner's last 4
 *   update times at this coordinator, else the median of the round's admitted ones, else none: the
 *   cap); no ping before the bound, none without a direct link; no echo makes the learner silent
 *   for that round attempt only; one ping per learner and round; the kept times are bounded;
 * - over `_mem.ts`'s in-memory mesh with real tfjs training: a selected learner that dies right
 *   after accepting `start` while still linked, in every view and listed by its bootstrap (so
 *   neither the mesh nor probes.ts tells) is given up on by ping, and the round commits without it
 *   long before its deadline (600 s: without the ping the round waits it out and the test fails);
 *   one whose update is held back 4 s but that answers pings is waited for.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { LATE_UPDATE_MAX_MS, LATE_UPDATE_MIN_MS, LateUpdates, lateUpdateBoundMs, TRACKED_PEERS, UPDATE_TIMES_KEPT, type CollectingRound } from '../../core/learning/live/late-update.ts'
import { byId, diesUnnoticed, holdBack, liveTask, MemLearners, readRequest, startAll, stopAll, untilCommitted } from './_learners.ts'
import { fakePingMesh, flush } from './_pings.ts'

const stats = (): { lateUpdatePings: number, lateUpdatesSilent: number } => ({ lateUpdatePings: 0, lateUpdatesSilent: 0 })

describe('LateUpdates (fake clock)', () => {
  test('the bound follows the reference update time and the RTT, within 1–10 s', () => {
    assert.equal(lateUpdateBoundMs(undefined, 5), LATE_UPDATE_MAX_MS, 'nothing known: the cap')
    assert.equal(lateUpdateBoundMs(300, 5), LATE_UPDATE_MIN_MS)
    assert.equal(lateUpdateBoundMs(2000, 50), 4200)
    assert.equal(lateUpdateBoundMs(2000, undefined), 4000)
    assert.equal(lateUpdateBoundMs(9000, 5), LATE_UPDATE_MAX_MS)
  })

  test('the reference: the slowest of its last kept times here, else the round\'s median, else none', () => {
    const late = new LateUpdates(fakePingMesh([]).mesh, () => 0, stats())
    const round = (admitted: Array<[string, number]>): Pick<CollectingRound, 'openedAt' | 'admitted'> => ({ openedAt: 1000, admitted: new Map(admitted) })
    assert.equal(late.referenceMs('a', round([])), undefined)
    assert.equal(late.referenceMs('a', round([['b', 1300], ['c', 1900], ['d', 1500]])), 500, 'the median of the others this round')
    late.closed(round([['a', 3000], ['self', 9000]]), 'self')
    late.closed(round([['a', 1200]]), 'self')
    assert.equal(late.referenceMs('a', round([['b', 1100]])), 2000, 'its own past: the slowest')
    assert.equal(late.referenceMs('self', round([])), undefined, 'the coordinator\'s own update is not kept')
    for (let i = 0; i < UPDATE_TIMES_KEPT; i++) late.closed(round([['a', 1400]]), 'self')
    assert.equal(late.referenceMs('a', round([])), 400, `only the last ${UPDATE_TIMES_KEPT}`)
    for (let i = 0; i < TRACKED_PEERS + 10; i++) late.closed(round([[`p${i}`, 1100]]), 'self')
    assert.equal(late.tracked, TRACKED_PEERS, 'bounded')
    assert.equal(late.referenceMs('a', round([])), undefined, 'the oldest forgotten first')
  })

  test('pinged once its update is late; silent without an echo, for that round attempt only', async () => {
    let now = 50_000
    const s = stats()
    const { mesh, pings } = fakePingMesh([{ peerId: 'a', rttMs: 50, limited: false }, { peerId: 'b', rttMs: 50, limited: false }])
    const late = new LateUpdates(mesh, () => now, s)
    late.closed({ openedAt: 0, admitted: new Map([['a', 1000]]) }, 'self')
    // a: reference 1000 ms, bound 2 × 1000 + 4 × 50 = 2200 ms; b: nothing of its own, the round's median once one came
    const r: CollectingRound = { round: 3, openedAt: now, admitted: new Map(), awaited: ['a', 'b'] }
    now += 2199
    late.check(r)
    assert.equal(pings.length, 0, 'not before its bound; b: no reference yet, the 10 s cap')
    now += 1
    late.check(r)
    late.check(r)
    assert.deepEqual(pings.map(p => [p.peer, p.timeoutMs]), [['a', 750]], 'one ping, 3 × RTT at least 750 ms')
    assert.equal(late.silent('a', r), false, 'not before the ping fails')
    pings[0].silent()
    await flush()
    assert.equal(late.silent('a', r), true)
    assert.equal(late.silent('b', r), false)
    // an update came from c at 300 ms: b's reference is the round's median, bound 1 s (the floor), long past
    const r2: CollectingRound = { ...r, admitted: new Map([['c', r.openedAt + 300]]), awaited: ['a', 'b'] }
    late.check(r2)
    assert.deepEqual(pings.map(p => p.peer), ['a', 'b'])
    pings[1].echo()
    await flush()
    assert.equal(late.silent('b', r2), false, 'alive, if slow: waited for')
    now += 60_000
    late.check(r2)
    assert.equal(pings.length, 2, 'once per learner and round')
    assert.deepEqual(s, { lateUpdatePings: 2, lateUpdatesSilent: 1 })
    // the round is retried (another opening): forgotten, asked again once late
    const retry: CollectingRound = { round: 3, openedAt: now, admitted: new Map(), awaited: ['a'] }
    assert.equal(late.silent('a', retry), false)
    late.check(retry)
    assert.equal(pings.length, 2)
    now += 2200
    late.check(retry)
    assert.equal(pings.at(-1)?.peer, 'a')
    // a ping of the old attempt that fails now marks nothing in the new one
    const r3: CollectingRound = { round: 4, openedAt: now, admitted: new Map(), awaited: [] }
    late.check(r3)
    pings[2].silent()
    await flush()
    assert.equal(late.silent('a', retry), false)
    assert.equal(s.lateUpdatesSilent, 1)
  })

  test('no ping without a direct link', () => {
    const { mesh, pings } = fakePingMesh([{ peerId: 'r', limited: true }])
    const now = 60_000
    const late = new LateUpdates(mesh, () => now, stats())
    late.check({ round: 1, openedAt: 0, admitted: new Map([['c', 100]]), awaited: ['r', 'x'] })
    assert.equal(pings.length, 0)
  })
})

const task = liveTask(8)
const ROUND_TIMEOUT = 900_000
const WAIT = 150_000

let learners: MemLearners
before(async () => { learners = await MemLearners.load(17) })
after(async () => { await learners.stop() })

describe('a selected learner whose update is late (in-memory mesh and ledger)', { timeout: 400_000 }, () => {
  test('dies after accepting `start`, unnoticed by the mesh and its bootstrap: given up on by ping, the round commits without it', async () => {
    const { mesh, ledger, peers } = learners.four({ task, rounds: 2, minLearners: 4, pollMs: 20, roundTimeoutMs: ROUND_TIMEOUT })
    let victim: string | undefined
    mesh.answered = (_from, to, request) => {
      const m = readRequest(request)
      if (victim != null || m.type !== 'start' || m.round !== 2) return
      victim = to
      // dies: its update never comes, yet it stays linked, in every view, and listed by its bootstrap
      diesUnnoticed(mesh, peers, to)
    }
    await startAll(peers)
    const r2 = (await untilCommitted(ledger, 2, 'round 2 commits without the dead learner, long before its deadline', WAIT))[1]
    assert.ok(victim != null && victim !== r2.coordinator)
    assert.equal(r2.participants.length, 3)
    assert.ok(!r2.participants.includes(victim))
    const coord = byId(peers, r2.coordinator)
    assert.deepEqual(coord.stats.losses.map(l => [l.round, l.peer, l.by]), [[2, victim, 'ping']])
    assert.equal(coord.stats.lostParticipants, 1)
    assert.ok(coord.stats.lateUpdatePings >= 1)
    assert.equal(coord.stats.lateUpdatesSilent, 1)
    assert.equal(coord.stats.roundsFailed, 0)
    await stopAll(peers)
  })

  test('slow but alive (its update held back 4 s, pings answered): waited for', async () => {
    const { mesh, ledger, peers } = learners.four({ task, rounds: 2, minLearners: 4, pollMs: 20, roundTimeoutMs: ROUND_TIMEOUT })
    const slow = holdBack(mesh, 'update', 2, 4000)
    await startAll(peers)
    const r2 = (await untilCommitted(ledger, 2, 'round 2 committed', WAIT))[1]
    assert.ok(slow() != null)
    assert.equal(r2.participants.length, 4, 'the slow learner included')
    const coord = byId(peers, r2.coordinator)
    assert.ok(coord.stats.lateUpdatePings >= 1, 'its late update got it pinged')
    assert.equal(coord.stats.lateUpdatesSilent, 0)
    assert.equal(coord.stats.lostParticipants, 0)
    await stopAll(peers)
  })
})
