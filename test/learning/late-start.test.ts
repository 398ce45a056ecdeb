/**
 * A drawn coordinator whose `start` is late gets a direct ping (core/learning/live/late-start.ts):
 * - `LateStarts` alone, on a fake clock with pings the test settles: no ping before the bound
 *   (1 s + 4 × RTT, at most 2.5 s), none once a `start` came or without a direct link; no echo
 *   makes the peer silent for that head's next round only; one ping in flight per peer, again
 *   LATE_REPING_MS after an echo while its start is still missing; the next one expected is timed
 *   from when it became expected; a start came: nothing asked while training, and once trained the
 *   commit is late on the same bound from then;
 * - over `_mem.ts`'s in-memory mesh with real tfjs training: a drawn coordinator that dies before
 *   its `start`s reach anyone (frozen: still linked and in every view, its bootstrap still listing
 *   it, so neither the mesh nor probes.ts tells) is passed over by the next in the draw, where
 *   before the learners waited for the round timeout (here 900 s); so is one that dies mid-round,
 *   after its `start`s went out and an update came (no `start` was late: the commit is); one whose
 *   `start`s are held back 5 s but that answers pings is waited for: no takeover.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { LATE_PING_MAX_MS, LATE_PING_MS, LATE_REPING_MS, LATE_START_MAX_MS, LATE_START_MS, LateStarts, lateBoundMs, pingTimeoutMs } from '../../core/learning/live/late-start.ts'
import type { LiveLearning } from '../../core/learning/live/index.ts'
import { byId, committedRounds, diesUnnoticed, holdBack, liveTask, MemLearners, readRequest, startAll, stopAll, untilCommitted } from './_learners.ts'
import type { MemLedger } from './_mem.ts'
import { fakePingMesh, flush } from './_pings.ts'
import { waitFor } from '../_support/wait.ts'

describe('LateStarts (fake clock)', () => {
  const head1 = { round: 1, hash: 'h1' }
  const head2 = { round: 2, hash: 'h2' }

  test('the bound and the ping timeout follow the RTT, bounded', () => {
    assert.equal(lateBoundMs(undefined), LATE_START_MS)
    assert.equal(lateBoundMs(50), LATE_START_MS + 200)
    assert.equal(lateBoundMs(10_000), LATE_START_MAX_MS)
    assert.equal(pingTimeoutMs(undefined), LATE_PING_MS)
    assert.equal(pingTimeoutMs(400), 1200)
    assert.equal(pingTimeoutMs(10_000), LATE_PING_MAX_MS)
  })

  test('pinged once its start is late; silent without an echo, for that head\'s next round only', async () => {
    let now = 10_000
    const stats = { lateStartPings: 0, lateStartsSilent: 0 }
    const { mesh, pings } = fakePingMesh([{ peerId: 'a', rttMs: 50, limited: false }, { peerId: 'b', rttMs: 50, limited: false }])
    const late = new LateStarts(mesh, () => now, stats)
    const headAt = now
    late.check(head1, headAt, 'a', false)
    now += 1199
    late.check(head1, headAt, 'a', false)
    assert.equal(pings.length, 0, 'not before 1 s + 4 × RTT')
    now += 1
    late.check(head1, headAt, 'a', false)
    late.check(head1, headAt, 'a', false)
    assert.deepEqual(pings.map(p => [p.peer, p.timeoutMs]), [['a', 750]], 'one ping, 3 × RTT at least 750 ms')
    assert.equal(late.silent('a', head1), false, 'not before the ping fails')
    pings[0].silent()
    await flush()
    assert.equal(late.silent('a', head1), true)
    assert.deepEqual(stats, { lateStartPings: 1, lateStartsSilent: 1 })
    // the next expected is timed from when it became expected, not from the head
    late.check(head1, headAt, 'b', false)
    now += 1199
    late.check(head1, headAt, 'b', false)
    assert.equal(pings.length, 1)
    now += 1
    late.check(head1, headAt, 'b', false)
    assert.equal(pings.at(-1)?.peer, 'b')
    // the head moved: forgotten
    assert.equal(late.silent('a', head2), false)
    late.check(head2, now, 'a', false)
    assert.equal(late.silent('a', head1), false, 'cleared with the head')
    // a ping of the old head that fails now marks nothing
    pings[1].silent()
    await flush()
    assert.equal(late.silent('b', head2), false)
  })

  test('an echo: not silent, asked again only LATE_REPING_MS after it (it may die since)', async () => {
    let now = 0
    const stats = { lateStartPings: 0, lateStartsSilent: 0 }
    const { mesh, pings } = fakePingMesh([{ peerId: 'a', limited: false }])
    const late = new LateStarts(mesh, () => now, stats)
    now = LATE_START_MS
    late.check(head1, 0, 'a', false)
    now += 60_000
    late.check(head1, 0, 'a', false)
    assert.equal(pings.length, 1, 'one ping at a time')
    pings[0].echo()
    await flush()
    assert.equal(late.silent('a', head1), false, 'alive, if slow')
    now += LATE_REPING_MS - 1
    late.check(head1, 0, 'a', false)
    assert.equal(pings.length, 1, 'not again before LATE_REPING_MS')
    now += 1
    late.check(head1, 0, 'a', false)
    assert.equal(pings.length, 2, 'its start still missing: asked again')
    pings[1].silent()
    await flush()
    assert.equal(late.silent('a', head1), true, 'died after its first echo: silent')
    late.check(head2, now, 'a', false)
    assert.equal(late.silent('a', head2), false)
    now += LATE_START_MS
    late.check(head2, now - LATE_START_MS, 'a', false)
    assert.equal(pings.length, 3, 'the next head: asked afresh')
    assert.deepEqual(stats, { lateStartPings: 3, lateStartsSilent: 1 })
  })

  test('a start came: nothing asked while training; once trained, the commit is late on the same bound', async () => {
    let now = 0
    const stats = { lateStartPings: 0, lateStartsSilent: 0 }
    const { mesh, pings } = fakePingMesh([{ peerId: 'a', rttMs: 50, limited: false }])
    const late = new LateStarts(mesh, () => now, stats)
    now = 30_000
    late.check(head1, 0, 'a', true)
    assert.equal(pings.length, 0, 'training: not asked')
    const readyAt = now
    now += 1199
    late.check(head1, 0, 'a', true, readyAt)
    assert.equal(pings.length, 0, 'not before 1 s + 4 × RTT after the update was ready')
    now += 1
    late.check(head1, 0, 'a', true, readyAt)
    assert.deepEqual(pings.map(p => p.peer), ['a'])
    pings[0].silent()
    await flush()
    assert.equal(late.silent('a', head1), true, 'died mid-round: passed over')
    assert.deepEqual(stats, { lateStartPings: 1, lateStartsSilent: 1 })
  })

  test('no ping once a start came, to itself, or without a direct link', () => {
    const { mesh, pings } = fakePingMesh([{ peerId: 'a', limited: false }, { peerId: 'r', limited: true }])
    const now = 60_000
    const late = new LateStarts(mesh, () => now, { lateStartPings: 0, lateStartsSilent: 0 })
    late.check(head1, 0, 'a', true)
    late.check(head1, 0, undefined, false)
    late.check(head1, 0, 'r', false)
    late.check(head1, 0, 'x', false)
    assert.equal(pings.length, 0)
  })
})

const task = liveTask(8)
const ROUND_TIMEOUT = 900_000
const WAIT = 150_000

let learners: MemLearners
before(async () => { learners = await MemLearners.load(13) })
after(async () => { await learners.stop() })

/**
 * Starts `peers` and waits for round 2, committed by the second in round 2's draw, without the first
 * (`drawn()`, which the test kills) and with the 3 others; returns that draw.
 */
async function takenOver (peers: LiveLearning[], ledger: MemLedger, drawn: () => string | undefined): Promise<readonly string[]> {
  await startAll(peers)
  const order = await waitFor(() => peers.every(p => p.status().round === 1) ? peers[0].status().order : null, { timeout: WAIT, message: 'round 1 applied everywhere' })
  const r2 = (await untilCommitted(ledger, 2, 'round 2 committed by a takeover long before the round timeout', WAIT))[1]
  assert.equal(drawn(), order[0], 'the first in the draw began round 2')
  assert.equal(r2.coordinator, order[1], 'the next in the draw took over')
  assert.ok(!r2.participants.includes(order[0]))
  assert.equal(r2.participants.length, 3, 'every live learner')
  return order
}

describe('a drawn coordinator whose start is late (in-memory mesh and ledger)', { timeout: 400_000 }, () => {
  test('dead before its starts reach anyone, unnoticed by the mesh and its bootstrap: the next in the draw takes over', async () => {
    const { mesh, ledger, peers } = learners.four({ task, rounds: 2, minLearners: 4, pollMs: 20, roundTimeoutMs: ROUND_TIMEOUT })
    let drawn: string | undefined
    mesh.delay = (from, _to, request) => {
      const m = readRequest(request)
      if (m.type !== 'start' || m.round !== 2 || (drawn != null && drawn !== from)) return
      if (drawn == null) {
        drawn = from
        // dies: linked still and in every view, its bootstrap still lists it; answers no ping
        diesUnnoticed(mesh, peers, from)
      }
      return Promise.reject(new Error(`${from} died before its start was delivered`))
    }
    const order = await takenOver(peers, ledger, () => drawn)
    const taker = byId(peers, order[1])
    assert.ok(taker.stats.takeovers >= 1)
    assert.ok(taker.stats.lateStartsSilent >= 1, 'it found the drawn coordinator silent to a ping')
    await stopAll(peers)
  })

  test('dead mid-round, after its starts went out and an update came, unnoticed by the mesh and its bootstrap: the next in the draw takes over', async () => {
    const { mesh, ledger, peers } = learners.four({ task, rounds: 2, minLearners: 4, pollMs: 20, roundTimeoutMs: ROUND_TIMEOUT })
    let drawn: string | undefined
    mesh.answered = (_from, to, request) => {
      const m = readRequest(request)
      if (drawn != null || m.type !== 'update' || m.round !== 2) return
      // its round under way, it dies: linked still and in every view, its bootstrap still lists it; answers no ping
      drawn = to
      diesUnnoticed(mesh, peers, to)
    }
    await takenOver(peers, ledger, () => drawn)
    assert.ok(peers.reduce((n, p) => n + p.stats.lateStartsSilent, 0) >= 1, 'a learner found the coordinator silent once its update was ready')
    await stopAll(peers)
  })

  test('slow but alive (its starts held back 5 s, pings answered): waited for, no takeover', async () => {
    const { mesh, ledger, peers } = learners.four({ task, rounds: 2, minLearners: 4, pollMs: 20, roundTimeoutMs: ROUND_TIMEOUT })
    const drawn = holdBack(mesh, 'start', 2, 5000)
    await startAll(peers)
    const r2 = (await untilCommitted(ledger, 2, 'round 2 committed', WAIT))[1]
    assert.equal(r2.coordinator, drawn(), 'the drawn coordinator committed round 2')
    assert.equal(r2.participants.length, 4)
    assert.ok(peers.reduce((n, p) => n + p.stats.lateStartPings, 0) >= 1, 'its late start got pinged')
    for (const p of peers) {
      assert.equal(p.stats.takeovers, 0)
      assert.equal(p.stats.lateStartsSilent, 0)
    }
    assert.equal(committedRounds(ledger).filter(r => r.round === 2).length, 1)
    await stopAll(peers)
  })
})
