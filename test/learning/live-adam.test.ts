/**
 * FedAdam as the live server step across real processes (`novacron learn --server-opt adam`, real
 * libp2p, the ledger of `novacron start`): 3 learners on Dirichlet(0.5) MNIST shards, 3 rounds,
 * with the default quantised downlink (8-bit deltas). Every committed round carries the server
 * state m ‖ s by its SHA-256 (`state`); every peer ends on the same model hash and the same
 * chain of (hash, state) per round; every peer holds the head's server state, which hashes to the
 * committed `state`; and a peer that did not coordinate a round recomputes both hashes of it from
 * the previous round's state and the round's signed update bodies (`model.verify`), for every round.
 * With downlink error feedback on (`--down-feedback on`, carry.ts): every round commits its
 * residual (`carry`) and adds the last one (`carryIn`), and the verifier of each round is a peer
 * that coordinated neither it nor the round before, so it fetches the residual over the mesh
 * (`getDelta` from zeros) to recompute — `model verify` with a carry on real peers (before, only in
 * memory: live-delta.test.ts).
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import type { ModelStatus, ModelWeights } from '../../node-runtime/learning/live-peer.ts'
import { readControlInfo, remoteOp } from '../../node-runtime/state/control.ts'
import { LedgerCluster } from '../_support/ledger-cluster.ts'
import { modelStatus, startLearner, type Learner } from '../_support/learners.ts'
import { cleanup } from '../_support/processes.ts'
import { waitFor } from '../_support/wait.ts'

async function op<T> (l: Learner, name: string, args: Record<string, unknown> = {}): Promise<T> {
  const info = readControlInfo(l.dataDir)
  if (info == null) throw new Error(`no control endpoint for ${l.peerId}`)
  return await remoteOp(info, name, args) as T
}

describe('live learning with FedAdam and the downlink residual across 3 Node processes', { timeout: 600_000 }, () => {
  const cluster = new LedgerCluster()
  const learners: Learner[] = []
  const ROUNDS = 3
  const PARAMS = 784 * 32 + 32 + 32 * 10 + 10

  before(async () => {
    const boot = await cluster.startBoot()
    await cluster.op(boot, 'config.set', { key: 'ledger.maxReplicas', value: 1 })
    const common = ['--data', 'mnist', '--max-train', '500', '--max-test', '400', '--hidden', '32', '--rounds', String(ROUNDS), '--min-peers', '3',
      '--min-updates', '3', '--deadline', '60000', '--seed', '7', '--server-opt', 'adam', '--down-feedback', 'on']
    const started = await Promise.allSettled([0, 1, 2].map(async i => await startLearner(cluster, `adam${i}`, [...common, '--shard', `${i}/3`])))
    for (const s of started) if (s.status === 'fulfilled') learners.push(s.value)
    const failed = started.find(s => s.status === 'rejected')
    if (failed != null) throw (failed as PromiseRejectedResult).reason
  })
  after(async () => { await cleanup(...learners.map(l => async () => await l.proc.stop()), async () => { await cluster.stop() }) })

  test('the server state and the residual are committed by hash each round; every peer holds the state and the same model; every round recomputes on a peer that fetches the residual', async (t) => {
    let last: ModelStatus[] = []
    await waitFor(async () => {
      last = await Promise.all(learners.map(modelStatus))
      return last.every(s => s.round === ROUNDS && s.held && s.rounds.at(-1)?.localAccuracy != null)
    }, { timeout: 420_000, interval: 500, message: () => `round ${ROUNDS} everywhere; now ${last.map(s => `round ${s.round} (held ${String(s.held)}, coordinated ${s.stats.roundsCoordinated}, failed ${s.stats.roundsFailed})`).join('; ')}` })
    assert.equal(new Set(last.map(s => s.task)).size, 1)
    assert.equal(new Set(last.map(s => s.hash)).size, 1, 'one committed model hash')
    const rounds = last[0].rounds
    assert.deepEqual(rounds.map(r => r.round), [1, 2, 3])
    for (const r of rounds) {
      assert.deepEqual(r.serverOpt, { learningRate: 0.03, beta1: 0.5, beta2: 0.99, tau: 0.001 }, `round ${r.round} names the server step`)
      assert.match(r.state ?? '', /^[0-9a-f]{64}$/, `round ${r.round} commits the server state by hash`)
      assert.equal(r.participants.length, 3)
    }
    assert.equal(new Set(rounds.map(r => r.state)).size, ROUNDS, 'the state moves every round')
    for (const [i, r] of rounds.entries()) {
      assert.match(r.carry ?? '', /^[0-9a-f]{64}$/, `round ${r.round} commits its residual by hash`)
      // the next coordinator fetched the last residual (or coordinated the last round too) and added it
      assert.equal(r.carryIn, i === 0 ? null : rounds[i - 1].carry, `round ${r.round} adds the last round's residual`)
    }
    // the same chain of (model, state) on every peer
    for (const s of last) assert.deepEqual(s.rounds.map(r => [r.hash, r.state]), rounds.map(r => [r.hash, r.state]))
    // every peer holds the head's server state (fetched by hash or computed), and it hashes to the committed one
    const head = rounds[ROUNDS - 1]
    for (const l of learners) {
      const w = await op<ModelWeights>(l, 'model.weights', { hash: head.state })
      const bytes = Buffer.from(w.weights, 'base64')
      assert.equal(bytes.length, 2 * PARAMS * 4, 'm ‖ s is 2 × size float32')
      assert.equal(createHash('sha256').update(bytes).digest('hex'), head.state)
    }
    // each round recomputed (weights, state and residual) by a peer that coordinated neither it nor
    // the round before: from round 2 on it does not hold the residual the round added, and fetches it
    for (const [i, r] of rounds.entries()) {
      const verifier = learners.find(l => l.peerId !== r.coordinator && l.peerId !== rounds[i - 1]?.coordinator) as Learner
      const fetched = async (): Promise<number> => (await modelStatus(verifier)).stats.carryFetches
      const before = await fetched()
      const v = await op<{ match: boolean, recomputed: string, hash: string, badSignatures: string[] }>(verifier, 'model.verify', { round: r.round })
      assert.equal(v.match, true, `round ${r.round}: ${JSON.stringify(v)}`)
      assert.equal(v.recomputed, r.hash)
      if (r.carryIn != null) assert.equal(await fetched(), before + 1, `round ${r.round}: the verifier fetched the residual ${r.carryIn.slice(0, 12)} it did not hold`)
    }
    const acc = rounds.map(r => r.localAccuracy as number)
    t.diagnostic(`FedAdam live accuracy per round ${acc.join(' ')}; coordinators ${rounds.map(r => r.coordinator.slice(-6)).join(' ')}; delta/full fetches ${last.map(s => `${s.stats.deltaFetches}/${s.stats.fullFetches}`).join(' ')}`)
    assert.ok(acc.every(a => Number.isFinite(a) && a > 0.1), `accuracy per round ${acc.join(', ')}: the model is not broken`)
  })
})
