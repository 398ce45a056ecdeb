/**
 * The server's moving average of the global model (core/learning/model-ema.ts): two and three
 * rounds against hand-computed bias-corrected averages, its checks, and a small seeded federated
 * run in which the average is what is evaluated and returned while the raw trajectory — what the
 * clients train from — stays exactly that of the same run without it.
 */
import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { createModelEma, runFederated, type Dataset, type FederatedConfig } from '../../core/learning/index.ts'
import { smallMnist } from './_mnist.ts'

const f = (...v: number[]): Float32Array => Float32Array.from(v)
const close = (a: Float32Array, b: number[], eps = 1e-6): void => {
  assert.equal(a.length, b.length)
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= eps, `index ${i}: ${v} != ${b[i]}`))
}

test('EMA with bias correction: ê_t = Σ β^(t−k)·w_k / Σ β^(t−k), by hand for β = 0.5', () => {
  const ema = createModelEma(2, 0.5)
  const w1 = f(2, -4)
  // e_1 = 0.5·w_1 = [1, −2], 1 − β = 0.5: ê_1 = w_1
  close(ema.update(w1), [2, -4])
  close(w1, [2, -4]) // the input is not modified
  // e_2 = 0.5·[1, −2] + 0.5·[4, 0] = [2.5, −1], 1 − β² = 0.75: [10/3, −4/3] = (0.5·w_1 + w_2) / 1.5
  close(ema.update(f(4, 0)), [10 / 3, -4 / 3])
  // e_3 = 0.5·[2.5, −1] + 0.5·[0, 8] = [1.25, 3.5], 1 − β³ = 0.875: [1.428571…, 4]
  close(ema.update(f(0, 8)), [1.25 / 0.875, 4])
  assert.equal(ema.steps, 3)
  // β = 0.9, a constant model: the corrected average is that model from the first round on
  const flat = createModelEma(1, 0.9)
  for (let t = 0; t < 5; t++) close(flat.update(f(3)), [3], 1e-6)
  // β = 1: the uniform mean of everything folded in (SWA)
  const uniform = createModelEma(1, 1)
  close(uniform.update(f(1)), [1])
  close(uniform.update(f(2)), [1.5])
  close(uniform.update(f(6)), [3])
})

test('EMA β = 0 is off (the latest model); decays outside [0, 1] and wrong sizes are refused', () => {
  const off = createModelEma(2, 0)
  off.update(f(5, 5))
  close(off.update(f(1, 2)), [1, 2])
  for (const d of [1.001, -0.1, Number.NaN, 1.5]) {
    assert.throws(() => createModelEma(2, d), (e: Error) => e.name === 'LearningConfigError', String(d))
  }
  assert.throws(() => createModelEma(2, 0.5).update(f(1, 2, 3)), RangeError)
})

let data: { train: Dataset, test: Dataset }
before(async () => {
  const d = await smallMnist(60, 20)
  assert.equal(d.backend, 'wasm')
  data = d
})

const cfg: FederatedConfig = {
  model: { kind: 'mlp', inputDim: 784, classes: 10, hidden: 16 },
  clients: 6, clientsPerRound: 3, rounds: 4, learningRate: 0.2, serverOptimizer: 'adam', serverLearningRate: 0.03, serverMomentum: 0.5,
  partition: { kind: 'dirichlet', alpha: 1 }, selection: 'random', aggregator: 'fedavg', seed: 4
}

/** A run that also keeps every round's raw (server) and evaluated model. */
async function traced (over: Partial<FederatedConfig>): Promise<{ s: Awaited<ReturnType<typeof runFederated>>, servers: Float32Array[], evaluated: Float32Array[] }> {
  const servers: Float32Array[] = []
  const evaluated: Float32Array[] = []
  const s = await runFederated({ ...cfg, ...over }, data, {
    onRound: (_r, m) => { servers.push(Float32Array.from(m.server)); evaluated.push(Float32Array.from(m.evaluated)) }
  })
  return { s, servers, evaluated }
}

test('federated run with serverEmaDecay: the EMA is evaluated and returned, the raw model trains on unchanged', async () => {
  const plain = await runFederated(cfg, data)
  assert.equal(plain.rounds[0].rawAccuracy, undefined, 'no raw figures without an EMA')
  const { s, servers: w, evaluated } = await traced({ serverEmaDecay: 0.5 })
  // the raw trajectory is that of the run without the average, bit for bit
  assert.deepEqual(s.rounds.map(r => r.rawAccuracy), plain.rounds.map(r => r.accuracy))
  assert.deepEqual(s.rounds.map(r => r.rawLoss), plain.rounds.map(r => r.loss))
  assert.deepEqual(w, (await traced({})).servers)
  // round 1: ê_1 = w_1; round 3: (w_1 + 2·w_2 + 4·w_3) / 7; round 4: (w_1 + 2·w_2 + 4·w_3 + 8·w_4) / 15
  assert.deepEqual(evaluated[0], w[0])
  assert.equal(s.rounds[0].accuracy, s.rounds[0].rawAccuracy)
  close(evaluated[2], Array.from(w[2], (x, i) => (w[0][i] + 2 * w[1][i] + 4 * x) / 7), 1e-5)
  close(s.weights, Array.from(w[3], (x, i) => (w[0][i] + 2 * w[1][i] + 4 * w[2][i] + 8 * x) / 15), 1e-5)
  assert.deepEqual(s.weights, evaluated[3])
  assert.notDeepEqual(s.weights, w[3])
  assert.equal(s.finalAccuracy, s.rounds[3].accuracy)
  assert.ok(s.rounds.slice(1).some(r => r.loss !== r.rawLoss), 'the average is evaluated, not the raw model')
})

test('serverEmaStart: rounds 1..⌊f·T⌋ report the raw model, the average starts after them', async () => {
  // T = 4, f = 0.5: rounds 1–2 raw, round 3 = w_3, round 4 = (0.5·w_3 + w_4) / 1.5
  const { s, servers: w, evaluated } = await traced({ serverEmaDecay: 0.5, serverEmaStart: 0.5 })
  for (const k of [0, 1, 2]) assert.deepEqual(evaluated[k], w[k], `round ${k + 1}`)
  for (const k of [0, 1, 2]) assert.equal(s.rounds[k].accuracy, s.rounds[k].rawAccuracy)
  close(s.weights, Array.from(w[3], (x, i) => (w[2][i] + 2 * x) / 3), 1e-5)
  for (const over of [{ serverEmaDecay: 1.5 }, { serverEmaDecay: 0.5, serverEmaStart: 1 }, { serverEmaDecay: 0.5, serverEmaStart: -0.1 }]) {
    await assert.rejects(runFederated({ ...cfg, ...over }, data), (e: Error) => e.name === 'LearningConfigError', JSON.stringify(over))
  }
})
