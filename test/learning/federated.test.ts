/**
 * Small seeded federated runs on real MNIST digits with real tfjs (wasm backend): a run that must
 * beat a fixed held-out accuracy, Byzantine clients against FedAvg vs trimmed mean, malformed
 * updates rejected with counted reasons, and the privacy budget stopping a run.
 */
import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { runFederated, type Dataset, type FederatedConfig } from '../../core/learning/index.ts'
import { smallMnist } from './_mnist.ts'

let data: { train: Dataset, test: Dataset }
before(async () => {
  const d = await smallMnist(150, 40)
  assert.equal(d.backend, 'wasm')
  data = d
})

const base = (over: Partial<FederatedConfig>): FederatedConfig => ({
  model: { kind: 'mlp', inputDim: 784, classes: 10, hidden: 32 },
  clients: 10, clientsPerRound: 5, rounds: 6, localEpochs: 2, learningRate: 0.2,
  partition: { kind: 'dirichlet', alpha: 1 }, selection: 'tcs', aggregator: 'fedavg', seed: 1,
  ...over
})

test('seeded federated run (TCS-FEEL, 8-bit, top-25%) beats 80% held-out accuracy', async () => {
  const s = await runFederated(base({ quantizeBits: 8, topK: 0.25 }), data)
  assert.equal(s.rounds.length, 6)
  assert.ok(s.finalAccuracy > 0.8, `accuracy ${s.finalAccuracy}`)
  assert.ok(s.rounds[5].loss < s.rounds[0].loss)
  // compressed uplink: well under dense float32 uplink (4 bytes × params × clients)
  const upDense = 6 * 5 * 4 * (784 * 32 + 32 + 32 * 10 + 10)
  const up = s.rounds.reduce((a, r) => a + r.bytesUp, 0)
  assert.ok(up < upDense * 0.2, `uplink ${up} vs dense ${upDense}`)
  assert.ok(s.bytesRatio < 1)
})

test('20% sign-flipping clients: trimmed mean holds up, FedAvg collapses', async () => {
  const cfg = { rounds: 5, byzantine: 2, attack: 'sign-flip' as const, selection: 'random' as const, clientsPerRound: 10, partition: { kind: 'iid' as const } }
  const robust = await runFederated(base({ ...cfg, aggregator: 'trimmed-mean', trimFraction: 0.2 }), data)
  const plain = await runFederated(base({ ...cfg, aggregator: 'fedavg' }), data)
  assert.ok(robust.finalAccuracy > 0.75, `trimmed mean ${robust.finalAccuracy}`)
  assert.ok(plain.finalAccuracy < robust.finalAccuracy - 0.3, `fedavg ${plain.finalAccuracy} vs trimmed ${robust.finalAccuracy}`)
})

test('malformed updates (NaN, wrong shape) are rejected with counted reasons, not aggregated', async () => {
  for (const [attack, reason] of [['nan', 'non-finite'], ['wrong-shape', 'shape']] as const) {
    const s = await runFederated(base({ rounds: 3, byzantine: 3, attack, selection: 'random', clientsPerRound: 10, aggregator: 'median' }), data)
    assert.equal(s.rejected[reason], 3 * 3, `${attack}: ${JSON.stringify(s.rejected)}`)
    assert.ok(Number.isFinite(s.finalLoss))
    assert.ok(s.finalAccuracy > 0.5)
  }
})

test('DP: ε grows each round, stays within target, and the run stops when the budget is spent', async () => {
  const calibrated = await runFederated(base({ rounds: 3, dp: { targetEpsilon: 8, clipNorm: 1 } }), data)
  const eps = calibrated.rounds.map(r => r.epsilon ?? Number.NaN)
  assert.ok(eps[0] > 0 && eps[1] > eps[0] && eps[2] > eps[1], JSON.stringify(eps))
  assert.ok(eps[2] <= 8 + 1e-9)
  assert.ok((calibrated.noiseMultiplier ?? 0) > 0)
  const fixed = await runFederated(base({ rounds: 10, dp: { targetEpsilon: 2, noiseMultiplier: 0.8, clipNorm: 1 } }), data)
  assert.ok(fixed.stoppedEarly != null && fixed.rounds.length < 10, `rounds ${fixed.rounds.length}`)
  assert.ok((fixed.epsilon ?? Infinity) <= 2)
  const warned = await runFederated(base({ rounds: 3, dp: { targetEpsilon: 0.5, noiseMultiplier: 0.8, onExhausted: 'warn' } }), data)
  assert.equal(warned.rounds.length, 3)
  assert.ok(warned.rounds.some(r => r.warning != null))
})

test('server optimiser settings are validated before any training', async () => {
  for (const over of [{ serverMomentum: 1 }, { serverMomentum: -0.1 }, { serverLearningRate: 0 }]) {
    await assert.rejects(runFederated(base(over), data), (e: Error) => e.name === 'LearningConfigError', JSON.stringify(over))
  }
})
