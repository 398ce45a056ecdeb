/**
 * A hostile learner on the live mesh: `novacron start`, 2 honest `novacron learn` peers and 1 in
 * the test-only hostile mode (NOVACRON_TEST=1, NOVACRON_TEST_HOSTILE=wrong-base,forged,altered,nan,huge,shape:
 * core/learning/live/hostile.ts), all learners of one task with a norm bound (--dp-clip 10, no
 * noise). Each time the hostile peer contributes it sends an update naming another base, one
 * signed by another key and one altered after signing, then a NaN, a huge (L2 ≈ 1.6e8) or a wrong-shape update in turn. Every round still commits from the
 * honest updates alone; the coordinators counted every reason (`wrong-round`, `signature`, `non-finite`,
 * `norm`, `shape`); the committed model is finite, recomputes from its update bodies, and its held-out
 * accuracy does not collapse (it ends above the first round's and above 50 %).
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { ModelStatus, ModelWeights } from '../../node-runtime/learning/live-peer.ts'
import { readControlInfo, remoteOp } from '../../node-runtime/state/control.ts'
import { LedgerCluster } from '../_support/ledger-cluster.ts'
import { modelStatus, startLearner, type Learner } from '../_support/learners.ts'
import { cleanup } from '../_support/processes.ts'
import { waitFor } from '../_support/wait.ts'

async function op (l: Learner, name: string, args: Record<string, unknown> = {}): Promise<unknown> {
  const info = readControlInfo(l.dataDir)
  if (info == null) throw new Error('no control endpoint')
  return await remoteOp(info, name, args)
}

describe('live learning: a hostile peer sends forged, altered, NaN, huge, wrong-shape and wrong-base updates', { timeout: 900_000 }, () => {
  const cluster = new LedgerCluster()
  const learners: Learner[] = []
  let hostile: Learner
  // the three in-round kinds need the hostile peer selected 3 times. A coordinator now dials the
  // learners it is not linked to yet before it selects (core/learning/live/links.ts), and a learner
  // no longer refuses a start as busy while it is only sending its last update (participant.ts): 5
  // rounds passed 3 of 3 on that code. (With the dial alone 1 of 3 runs had the hostile peer in
  // only 2 of 5 rounds, cause not established; the diagnostic prints each learner's starts received
  // and each coordinator's selections, to tell if it comes back.)
  const ROUNDS = 5

  before(async () => {
    await cluster.startBoot()
    const common = ['--data', 'mnist', '--max-train', '500', '--max-test', '400', '--hidden', '32', '--rounds', String(ROUNDS), '--min-peers', '3',
      '--min-updates', '2', '--deadline', '60000', '--seed', '5', '--dp-clip', '10', '--dp-noise', '0']
    for (let i = 0; i < 2; i++) learners.push(await startLearner(cluster, `honest${i}`, [...common, '--shard', `${i}/3`]))
    hostile = await startLearner(cluster, 'hostile', [...common, '--shard', '2/3'], { NOVACRON_TEST_HOSTILE: 'wrong-base,forged,altered,nan,huge,shape' })
    learners.push(hostile)
  })
  after(async () => { await cleanup(...learners.map(l => async () => await l.proc.stop()), async () => { await cluster.stop() }) })

  test('rejected with their reasons counted; every round commits from the honest updates; the model stays finite and learns', async (t) => {
    let last: ModelStatus[] = []
    await waitFor(async () => {
      last = await Promise.all(learners.map(modelStatus))
      return last.every(s => s.round === ROUNDS && s.held && s.rounds.every(r => r.localAccuracy != null))
    }, { timeout: 600_000, interval: 1000, message: () => `round ${ROUNDS} everywhere; now ${last.map(s => `${s.round} (coordinated ${s.stats.roundsCoordinated}, failed ${s.stats.roundsFailed}, rejected ${JSON.stringify(s.stats.rejected)})`).join('; ')}` })
    assert.equal(new Set(last.map(s => s.hash)).size, 1, 'one committed hash')
    const rounds = last[0].rounds
    for (const r of rounds) {
      assert.ok(!r.participants.includes(hostile.peerId), `round ${r.round}: the hostile peer's update was not aggregated`)
      assert.equal(r.participants.length, 2, `round ${r.round}: both honest updates`)
    }
    // the reasons, counted by the coordinators
    const total: Record<string, number> = {}
    for (const s of last) for (const [k, v] of Object.entries(s.stats.rejected)) total[k] = (total[k] ?? 0) + v
    const hostileLed = rounds.filter(r => r.coordinator === hostile.peerId).length
    t.diagnostic(`rejections ${JSON.stringify(total)}; rounds coordinated by the hostile peer ${hostileLed}; accuracy ${rounds.map(r => r.localAccuracy).join(' ')}; per learner (honest0, honest1, hostile): coordinated/lost participants/takeovers/updates sent/starts received/learners dialled/unreachable ${last.map(s => `${s.stats.roundsCoordinated}/${s.stats.lostParticipants}/${s.stats.takeovers}/${s.stats.updatesSent}/${s.stats.messagesReceived.start ?? 0}/${s.stats.learnersDialled}/${s.stats.learnersUnreachable}`).join(' ')}; rounds coordinated (round:selected:admitted, ms from drawn to selected) ${last.map(s => s.stats.coordinated.map(c => `${c.round}:${c.selected}:${c.admitted ?? '-'}:${c.selectedAt - c.beganAt}ms`).join(',')).join(' | ')}`)
    for (const reason of ['non-finite', 'norm', 'shape']) assert.ok(total[reason] >= 1, `${reason} counted: ${JSON.stringify(total)}`)
    // the hostile peer sends a wrong-base update each round it does not coordinate itself
    if (hostileLed < ROUNDS) assert.ok(total['wrong-round'] >= 1, `wrong-round counted: ${JSON.stringify(total)}`)
    // and a forged and an altered one (each refused as `signature`, neither using up its answer)
    if (hostileLed < ROUNDS) assert.ok(total.signature >= 2, `signature counted: ${JSON.stringify(total)}`)
    // the committed model: finite, recomputed from its bodies, accuracy not collapsed
    const honest = learners[0]
    const w = await op(honest, 'model.weights') as ModelWeights
    const f = new Float32Array(new Uint8Array(Buffer.from(w.weights, 'base64')).buffer)
    assert.ok(f.length > 0 && f.every(Number.isFinite), 'every committed weight is finite')
    const verifier = learners.find(l => l !== hostile && l.peerId !== rounds[ROUNDS - 1].coordinator) ?? honest
    const v = await op(verifier, 'model.verify', { round: ROUNDS }) as { match: boolean, badSignatures: string[] }
    assert.deepEqual(v.badSignatures, [], 'every body of the last round carries its participant\'s signature')
    assert.equal(v.match, true, 'the last round recomputes from its update bodies')
    const acc = rounds.map(r => r.localAccuracy as number)
    assert.ok(acc[ROUNDS - 1] > 0.5 && acc[ROUNDS - 1] >= acc[0], `accuracy per round ${acc.join(', ')}`)
  })
})
