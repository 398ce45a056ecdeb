/**
 * LiveReplica (core/ledger/live-replica.ts) drops, before the engine, votes that can change nothing
 * there, so they cost no signature (nor, in ProBFT, VRF) check: a PREPARE or COMMIT of a view in
 * which it already decided the slot, and a PREPARE for the header it already sent its COMMIT on. A
 * vote of a later view, or a PREPARE for another header of the view (an equivocating leader's),
 * still reaches the engine; `keepLateVotes` (the benchmark's baseline) sends every vote through.
 * Real keys and signatures (test fixtures), PBFT sizing at n = 4 (q = 3), the checks counted.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MSG_COMMIT, MSG_PREPARE } from '../../core/consensus/codec.ts'
import { createConsensusCrypto, type ConsensusCrypto } from '../../core/consensus/crypto.ts'
import { leaderOf } from '../../core/consensus/index.ts'
import { LiveReplica, type Clock, type DecisionTiming } from '../../core/ledger/live-replica.ts'
import { cluster } from '../consensus/_fixtures.ts'

const FIRST = 10

async function decidedReplica (keepLateVotes: boolean, decide = true): Promise<{ live: LiveReplica, checks: () => number, timing: DecisionTiming, c: ReturnType<typeof cluster>, header: Uint8Array }> {
  const c = cluster({ n: 4, f: 1, protocol: 'pbft', sampleSize: 3, quorum: 3, seed: 9 })
  const replicas = c.keys.map((k, i) => ({ signPublic: k.signPublic, vrfPublic: k.vrfPublic, peerId: `peer-${i}`, since: 0 }))
  const epoch = { epoch: 1, start: 0, replicas, n: 4, f: 1, protocol: 'pbft' as const, sampleSize: 3, quorum: 3 }
  const real = createConsensusCrypto()
  let checks = 0
  const crypto: ConsensusCrypto = { ...real, verifySignature: (p, m, s) => { checks++; return real.verifySignature(p, m, s) } }
  const clock: Clock = { now: () => 0, setTimeout: () => 0, clearTimeout: () => {} }
  const timing: DecisionTiming = { decided: 0, decideMs: 0, engineTimers: 0, viewChanges: 0, leaderSkips: 0, lateVotes: 0 }
  const live = new LiveReplica(epoch, 3, FIRST, {
    timing, clock, crypto, keys: c.keys[3], proposalFor: () => null, checkValue: async () => null, send: () => {}, decided: () => {},
    busy: () => false, tickMs: () => 50, reject: () => {}, keepLateVotes: () => keepLateVotes
  })
  live.start()
  const leader = leaderOf(4, FIRST, 0)
  const value = c.value('block')
  const header = c.header(leader, FIRST, 0, value)
  await live.receive(c.propose(leader, FIRST, 0, value))
  const others = [0, 1, 2]
  for (const s of others.slice(0, 2)) await live.receive(c.vote(MSG_PREPARE, s, header))
  if (!decide) return { live, checks: () => checks, timing, c, header }
  for (const s of others.slice(0, 2)) await live.receive(c.vote(MSG_COMMIT, s, header))
  assert.equal(live.replica.decisionOf(FIRST)?.view, 0, 'decided at view 0 with q = 3 (its own votes and two others)')
  return { live, checks: () => checks, timing, c, header }
}

test('a vote of the view already decided here is dropped before any check; one of a later view is checked', async () => {
  const { live, checks, timing, c, header } = await decidedReplica(false)
  const before = checks()
  await live.receive(c.vote(MSG_PREPARE, 2, header))
  await live.receive(c.vote(MSG_COMMIT, 2, header))
  assert.equal(checks() - before, 0, 'no signature checked for the two late votes')
  assert.equal(timing.lateVotes, 2)
  const later = c.header(leaderOf(4, FIRST, 1), FIRST, 1, c.value('block'))
  await live.receive(c.vote(MSG_PREPARE, 2, later))
  assert.ok(checks() - before > 0, 'a vote of view 1 reaches the engine, which checks it')
  assert.equal(timing.lateVotes, 2)
  live.stop()
})

test('keepLateVotes sends the late votes through the engine\'s checks (the baseline)', async () => {
  const { live, checks, timing, c, header } = await decidedReplica(true)
  const before = checks()
  await live.receive(c.vote(MSG_COMMIT, 2, header))
  assert.ok(checks() - before > 0)
  assert.equal(timing.lateVotes, 0)
  live.stop()
})

test('once it has sent its COMMIT, a PREPARE for the same header is dropped; one for another header is evidence', async () => {
  const { live, checks, timing, c, header } = await decidedReplica(false, false)
  assert.equal(live.replica.decisionOf(FIRST), undefined, 'prepared, not decided')
  const before = checks()
  await live.receive(c.vote(MSG_PREPARE, 2, header))
  assert.equal(checks() - before, 0, 'the surplus PREPARE is not checked')
  assert.equal(timing.lateVotes, 1)
  const other = c.header(leaderOf(4, FIRST, 0), FIRST, 0, c.value('another block'))
  await live.receive(c.vote(MSG_PREPARE, 2, other))
  assert.ok(checks() - before > 0, 'a PREPARE for another header is checked')
  assert.equal(live.replica.stats.evidence[0]?.kind, 'leader', 'and shows the leader equivocating')
  assert.equal(timing.lateVotes, 1)
  live.stop()
})
