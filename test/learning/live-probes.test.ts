/**
 * Dead peers the mesh has not noticed yet (core/learning/live/probes.ts). Over `_mem.ts`'s
 * in-memory mesh, where a `frozen` peer stays linked and in every view but answers nothing, and
 * `unlistedPeers` are those whose bootstrap link closed, with real tfjs training on small MNIST
 * shards and deadlines and round timeouts far longer than the waits (waiting either out fails):
 * - a selected learner that dies right after accepting `start` (frozen, unlisted) is given up on
 *   once a probe fails: the round commits without it, long before the mesh would drop it (here never);
 * - an unlisted learner that answers the probe is still waited for (an unlisting alone is not enough);
 * - a drawn coordinator that dies right after starting its round is passed over by the next in the
 *   draw once a probe fails, not after the round timeout;
 * - a learner still training (or sending) for that dead coordinator takes the takeover's `start` of
 *   the same round and sends it the same update, instead of refusing it as busy.
 * - a learner killed mid-round is probed by every live learner between rounds, so no later
 *   coordinator selects it and waits for its own probe again (every joined learner is probed at
 *   every tick, service.ts);
 * Plus `DeathProbes` alone: one probe in flight per peer, dead only while unlisted, an expired
 * dead mark renewed by a probe during which the peer stays dead.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { readMessage } from '../../core/learning/live/index.ts'
import { DeathProbes, FORGET_MS, PROBE_AGAIN_MS } from '../../core/learning/live/probes.ts'
import { byId, diesUnnoticed, liveTask, MemLearners, startAll, stopAll, untilCommitted } from './_learners.ts'
import { PEERS } from './_mem.ts'
import { waitFor } from '../_support/wait.ts'

const task = liveTask(8)
const ROUND_TIMEOUT = 900_000
const WAIT = 150_000
const LIMITS = { maxUpdateBytes: 1 << 22, maxModelBytes: 1 << 22 }

let learners: MemLearners
before(async () => { learners = await MemLearners.load(11) })
after(async () => { await learners.stop() })

/** the 4 learners over a fresh mesh and ledger, 2 rounds (or `rounds`) */
const four = (rounds = 2): ReturnType<MemLearners['four']> => learners.four({ task, rounds, minLearners: 4, pollMs: 20, roundTimeoutMs: ROUND_TIMEOUT })

/**
 * The first `start` of round 2 kills one side of it as it is taken — the learner sent it (its
 * update never comes) or the coordinator that sent it (its round never commits) — yet the dead
 * peer stays linked and in every view; its bootstrap link closed. Returns who, once known.
 */
function killAtFirstStartOfRound2 ({ mesh, peers }: Pick<ReturnType<MemLearners['four']>, 'mesh' | 'peers'>, side: 'learner' | 'coordinator' = 'learner'): () => string | undefined {
  let victim: string | undefined
  mesh.answered = (from, to, request) => {
    const m = readMessage(request, LIMITS)
    if (victim != null || m.type !== 'start' || m.round !== 2) return
    victim = side === 'learner' ? to : from
    diesUnnoticed(mesh, peers, victim, { unlisted: true })
  }
  return () => victim
}

describe('dead peers the mesh has not noticed (in-memory mesh and ledger)', { timeout: 400_000 }, () => {
  test('a selected learner that dies after accepting `start` is given up on once its probe fails', async () => {
    const group = four()
    const { ledger, peers } = group
    const killed = killAtFirstStartOfRound2(group)
    await startAll(peers)
    const r2 = (await untilCommitted(ledger, 2, 'round 2 commits without the dead learner, long before its deadline', WAIT))[1]
    const victim = killed()
    assert.ok(victim != null && victim !== r2.coordinator)
    assert.equal(r2.participants.length, 3)
    assert.ok(!r2.participants.includes(victim))
    const coord = byId(peers, r2.coordinator)
    assert.equal(coord.stats.lostParticipants, 1)
    assert.deepEqual(coord.stats.losses.map(l => [l.round, l.peer, l.by]), [[2, victim, 'probe']])
    assert.equal(coord.stats.roundsFailed, 0)
    await stopAll(peers)
  })

  test('an unlisted learner that answers its probe is waited for', async () => {
    const { mesh, ledger, peers } = four()
    mesh.unlistedPeers.add(PEERS[1])
    await startAll(peers)
    for (const r of (await untilCommitted(ledger, 2, '2 rounds', WAIT)).slice(0, 2)) assert.equal(r.participants.length, 4, `round ${r.round}: the unlisted (but live) learner too`)
    for (const p of peers) {
      assert.equal(p.stats.lostParticipants, 0)
      assert.equal(p.stats.takeovers, 0)
    }
    await stopAll(peers)
  })

  test('a drawn coordinator that dies after starting its round is passed over once its probe fails', async () => {
    const { mesh, ledger, peers } = four()
    const killed = killAtFirstStartOfRound2({ mesh, peers }, 'coordinator')
    await startAll(peers)
    const order = await waitFor(() => peers.every(p => p.status().round === 1) ? peers[0].status().order : null, { timeout: WAIT, message: 'round 1 applied everywhere' })
    const r2 = (await untilCommitted(ledger, 2, 'round 2 committed by a takeover long before the round timeout', WAIT))[1]
    const drawn = killed()
    assert.equal(drawn, order[0], 'the first in the draw started round 2')
    assert.notEqual(r2.coordinator, drawn)
    assert.ok(!r2.participants.includes(drawn as string))
    assert.equal(r2.coordinator, order.find(p => p !== drawn), 'the next in the draw took over')
    assert.ok(byId(peers, r2.coordinator).stats.takeovers >= 1)
    await stopAll(peers)
  })
})

describe('learners probed between rounds (in-memory mesh and ledger)', { timeout: 400_000 }, () => {
  test('a learner killed mid-round is left out by every later coordinator, not selected and waited for again', async () => {
    const group = four(6)
    const { ledger, peers } = group
    const killed = killAtFirstStartOfRound2(group)
    await startAll(peers)
    const rounds = await untilCommitted(ledger, 6, '6 rounds, one learner killed in round 2', WAIT)
    const victim = killed()
    assert.ok(victim != null)
    const live = peers.filter(p => p.status().peerId !== victim)
    for (const r of rounds.slice(2, 6)) assert.equal(r.participants.length, 3, `round ${r.round}: the 3 live learners`)
    for (const p of live) {
      // every live learner probed the victim itself, whether or not it ever waited on it
      assert.ok(p.status().stats.probes.failed >= 1, `${p.status().peerId}: probed the victim dead`)
      assert.deepEqual(p.stats.losses.filter(l => l.round > 2).map(l => [l.round, l.peer]), [], 'no round after the kill selected it and lost it again')
      for (const c of p.stats.coordinated.filter(c => c.round > 2)) assert.equal(c.deadLeftOut, 1, `round ${c.round}: left out as known dead`)
    }
    assert.ok(live.some(p => p.stats.coordinated.some(c => c.round > 2)))
    await stopAll(peers)
  })
})

describe('a takeover of the same round (in-memory mesh and ledger)', { timeout: 300_000 }, () => {
  test('a learner training for a coordinator that died takes the takeover\'s `start` instead of refusing it as busy', async () => {
    const { mesh, ledger, peers } = four()
    // the update call to the dead coordinator hangs far longer than the test: without the
    // takeover's start being taken, the learner stays busy through the takeover's round
    mesh.stallMs = 300_000
    let drawn: string | undefined
    let learner: string | undefined
    mesh.answered = (from, to, request) => {
      const m = readMessage(request, LIMITS)
      if (drawn != null || m.type !== 'start' || m.round !== 2) return
      // a learner other than the next in the draw (that one takes over: it coordinates, not learns)
      if (to === byId(peers, from).status().order[1]) return
      drawn = from
      learner = to
      diesUnnoticed(mesh, peers, from, { unlisted: true })
    }
    await startAll(peers)
    const r2 = (await untilCommitted(ledger, 2, 'round 2 committed by a takeover', WAIT))[1]
    assert.ok(drawn != null && learner != null)
    assert.notEqual(r2.coordinator, drawn)
    assert.ok(r2.participants.includes(learner), `the learner started by the dead coordinator took part in the takeover's round: ${r2.participants.map(p => p.slice(-6)).join(' ')}`)
    assert.equal(r2.participants.length, 3, 'every live learner')
    assert.equal(byId(peers, learner).stats.startsJoined, 1, 'it took the takeover\'s start for the round it was training')
    assert.equal(byId(peers, learner).stats.updatesSent, 2, 'one training per round: the takeover got the same update')
    await stopAll(peers)
  })
})

describe('DeathProbes', () => {
  test('probes only unlisted peers, one probe in flight each; dead while unlisted and silent, for FORGET_MS at most', async () => {
    let now = 0
    const unlisted = new Set(['a', 'b'])
    const pings: string[] = []
    const answers = new Map<string, () => void>()
    const fails = new Map<string, () => void>()
    const probes = new DeathProbes({
      unlisted: () => [...unlisted],
      ping: async peer => { pings.push(peer); return await new Promise<number>((resolve, reject) => { answers.set(peer, () => { resolve(1) }); fails.set(peer, () => { reject(new Error('timeout')) }) }) }
    }, () => now)
    probes.check(['a', 'b', 'c'])
    probes.check(['a', 'b', 'c'])
    assert.deepEqual(pings, ['a', 'b'], 'c is listed: no probe; no second probe while one is in flight')
    fails.get('a')?.()
    answers.get('b')?.()
    await new Promise(resolve => setImmediate(resolve))
    assert.equal(probes.dead('a'), true, 'unlisted and silent')
    assert.equal(probes.dead('b'), false, 'unlisted but it answered')
    assert.equal(probes.dead('c'), false)
    now += 500
    probes.check(['b'])
    assert.deepEqual(pings, ['a', 'b'], 'b is not probed again within PROBE_AGAIN_MS')
    unlisted.delete('a')
    probes.check([])
    assert.equal(probes.dead('a'), false, 'listed again: alive')
    unlisted.add('a')
    now += 1000
    probes.check(['a'])
    fails.get('a')?.()
    await new Promise(resolve => setImmediate(resolve))
    assert.equal(probes.dead('a'), true)
    now += FORGET_MS
    assert.equal(probes.dead('a'), false, 'a dead mark expires')
    assert.equal(probes.failed, 2)
    // asked about again once expired: probed again, and dead while that probe is in flight
    probes.check(['a'])
    assert.deepEqual(pings, ['a', 'b', 'a', 'a'])
    assert.equal(probes.dead('a'), true, 'still dead while the probe that renews its mark is in flight')
    answers.get('a')?.()
    await new Promise(resolve => setImmediate(resolve))
    assert.equal(probes.dead('a'), false, 'it answered: alive')
  })

  test('what it holds per peer is bounded by the peers probed within FORGET_MS, not every peer ever probed', async () => {
    let now = 0
    let unlisted: string[] = []
    const probes = new DeathProbes({ unlisted: () => unlisted, ping: async () => { throw new Error('timeout') } }, () => now)
    // 50 waves of 10 fresh unlisted peers, each probed and found dead, one PROBE_AGAIN_MS apart
    let most = 0
    for (let wave = 0; wave < 50; wave++) {
      unlisted = Array.from({ length: 10 }, (_, i) => `w${wave}p${i}`)
      probes.check(unlisted)
      await new Promise(resolve => setImmediate(resolve))
      assert.ok(unlisted.every(p => probes.dead(p)), `wave ${wave}: dead`)
      most = Math.max(most, probes.tracked)
      now += PROBE_AGAIN_MS
    }
    assert.equal(probes.sent, 500)
    // the earlier waves are listed no more (not in `unlisted`): their dead marks went at the next check, their probe times after PROBE_AGAIN_MS
    assert.ok(most <= 20, `at most two waves held at once, held ${most}`)
    unlisted = []
    probes.check([])
    assert.equal(probes.tracked, 0, 'nothing held once no peer is unlisted and every probe is old')
  })
})
