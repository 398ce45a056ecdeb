/**
 * The bigger live-learning run (npm run test:slow): `novacron start` and 3 `novacron learn` peers
 * on their whole Dirichlet(0.5) MNIST shards (8,000 training digits in all, MLP 784-64-10) train 12
 * rounds; a 4th learner joins after round 2 and takes part from a later round. The mesh reaches
 * ≥ 90 % held-out accuracy, every peer (the late one included) ends holding the same committed
 * hash, and that hash recomputes from the committed round's update bodies.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { ModelStatus } from '../../node-runtime/learning/live-peer.ts'
import { LedgerCluster } from '../_support/ledger-cluster.ts'
import { modelStatus, startLearner, type Learner } from '../_support/learners.ts'
import { cleanup, startCli } from '../_support/processes.ts'
import { waitFor } from '../_support/wait.ts'

describe('live learning, slow: 3 + 1 late Node peers to ≥ 90 %', { timeout: 1_800_000 }, () => {
  const cluster = new LedgerCluster()
  const learners: Learner[] = []
  const ROUNDS = 12
  const common = ['--data', 'mnist', '--rounds', String(ROUNDS), '--min-peers', '3', '--min-updates', '2', '--deadline', '60000', '--seed', '2', '--lr', '0.1']

  before(async () => {
    await cluster.startBoot()
    for (let i = 0; i < 3; i++) learners.push(await startLearner(cluster, `learner${i}`, [...common, '--shard', `${i}/3`]))
  })
  after(async () => { await cleanup(...learners.map(l => async () => await l.proc.stop()), async () => { await cluster.stop() }) })

  test('≥ 90 % accuracy, one hash everywhere (the late joiner too), recomputed; the late joiner contributes', async () => {
    let last: ModelStatus[] = []
    await waitFor(async () => (await modelStatus(learners[0])).round >= 2, { timeout: 900_000, interval: 1000, message: 'round 2' })
    // the late joiner: another shard split (its own 4th part of the data), the same task
    const late = await startLearner(cluster, 'late', [...common, '--shard', '3/4'])
    learners.push(late)
    await waitFor(async () => {
      last = await Promise.all(learners.map(modelStatus))
      return last.every(s => s.round === ROUNDS && s.held && s.rounds.at(-1)?.localAccuracy != null)
    }, { timeout: 1_500_000, interval: 1000, message: () => `round ${ROUNDS} everywhere; now ${last.map(s => `${s.round}`).join(' ')}` })
    assert.equal(new Set(last.map(s => s.hash)).size, 1)
    const rounds = last[0].rounds
    const final = rounds[ROUNDS - 1]
    assert.ok((final.localAccuracy as number) >= 0.9, `final accuracy ${final.localAccuracy}; per round ${rounds.map(r => r.localAccuracy).join(', ')}`)
    const joinedAt = last[3].rounds.find(r => r.round > 0)?.round ?? 0
    assert.ok(rounds.some(r => r.round > 2 && r.participants.includes(late.peerId)), `the late joiner took part (joined around round ${joinedAt})`)
    const verifier = learners.find(l => l.peerId !== final.coordinator) as Learner
    const p = startCli(['model', 'verify', '--round', String(ROUNDS), '--json', '--data-dir', verifier.dataDir])
    assert.equal(await p.exited, 0, p.stderr)
    assert.equal((JSON.parse(p.stdout) as { match: boolean }).match, true)
  })
})
