/**
 * Live learning's gauges (core/learning/live/metrics.ts): the committed round, rejections by
 * reason (update checks, undecodable requests, weights with the wrong hash), bytes and rounds,
 * lost participants and unlinked learners dialled,
 * read from `status()` at scrape time; registering again follows the new service.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MetricsRegistry } from '../../core/metrics/index.ts'
import { registerLiveLearningMetrics } from '../../core/learning/live/metrics.ts'
import { emptyLiveRejections } from '../../core/learning/live/collector.ts'
import { emptyHoldRefusals } from '../../core/learning/live/holds.ts'
import type { LiveStatus } from '../../core/learning/live/index.ts'

function status (round: number): LiveStatus {
  return {
    task: 't', peerId: 'p', learners: [], order: [], measured: {}, selection: null, joined: true, round, hash: 'h', held: true, rounds: [],
    stats: {
      bytesSent: 100, bytesReceived: 200, messagesSent: {}, messagesReceived: {}, bytesSentByType: {}, rejected: { ...emptyLiveRejections(), 'non-finite': 2, late: 1 },
      refusedWeights: 3, deltaFetches: 0, deltasWithStart: 0, carryFetches: 0, carryBytesReceived: 0, carriesLost: 0, headsHandedOver: 0, headsNotHandedOver: 0, headsHeldForOthers: 0, holdsRefused: { ...emptyHoldRefusals(), 'too-often': 5 }, unlinkedWhy: {}, fullFetches: 0, backfilled: 0, malformed: 4, roundsCoordinated: 5, roundsFailed: 1, updatesSent: 6, ignoredRounds: 0, badDraws: 7, lostParticipants: 8, takeovers: 9,
      learnersDialled: 10, passes: 12, learnersUnreachable: 11, startsJoined: 0, lateStartPings: 0, lateStartsSilent: 0, lateUpdatePings: 0, lateUpdatesSilent: 0, stragglersCut: 13, startupLinks: null, warmUp: null, probes: { sent: 0, failed: 0 }, losses: [], coordinated: [], participated: []
    }
  }
}

const value = (r: MetricsRegistry, name: string, labels: Record<string, string> = {}): number | undefined =>
  r.get(name)?.snapshot().samples.find(s => JSON.stringify(s.labels) === JSON.stringify(labels))?.value

test('live learning figures are gauges read at scrape time; a new service takes over the same gauges', () => {
  const r = new MetricsRegistry()
  let round = 3
  registerLiveLearningMetrics(r, { status: () => status(round) })
  assert.equal(value(r, 'novacron_learning_round'), 3)
  round = 4
  assert.equal(value(r, 'novacron_learning_round'), 4, 'read again at the next scrape')
  assert.equal(value(r, 'novacron_learning_rejected', { reason: 'non-finite' }), 2)
  assert.equal(value(r, 'novacron_learning_rejected', { reason: 'malformed' }), 4)
  assert.equal(value(r, 'novacron_learning_rejected', { reason: 'weights-hash' }), 3)
  assert.equal(value(r, 'novacron_learning_rejected', { reason: 'bad-draw' }), 7)
  assert.equal(value(r, 'novacron_learning_holds_refused', { reason: 'too-often' }), 5)
  assert.equal(value(r, 'novacron_learning_holds_refused', { reason: 'stale' }), 0)
  assert.equal(value(r, 'novacron_learning_bytes', { direction: 'received' }), 200)
  assert.equal(value(r, 'novacron_learning_rounds', { outcome: 'failed' }), 1)
  assert.equal(value(r, 'novacron_learning_rounds', { outcome: 'takeover' }), 9)
  assert.equal(value(r, 'novacron_learning_rounds', { outcome: 'passed' }), 12)
  assert.equal(value(r, 'novacron_learning_lost_participants'), 8)
  assert.equal(value(r, 'novacron_learning_stragglers_cut'), 13)
  assert.equal(value(r, 'novacron_learning_unlinked_learners', { outcome: 'dialled' }), 10)
  assert.equal(value(r, 'novacron_learning_unlinked_learners', { outcome: 'unreachable' }), 11)
  registerLiveLearningMetrics(r, { status: () => status(40) })
  assert.equal(value(r, 'novacron_learning_round'), 40)
})
