/**
 * The training options that lift accuracy: the server optimisers (FedAvgM, FedAdam) against
 * hand-computed steps, the shift augmentation against hand-shifted images, the CNN's shapes, and
 * Adam with a cosine learning-rate schedule and shifts training a small MNIST slice on wasm
 * (deterministic, and better than chance by a wide margin).
 */
import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { createRng, createServerOptimizer, initParams, paramCount, paramShapes, shiftImage, Trainer, type Dataset, type ModelSpec } from '../../core/learning/index.ts'
import { smallMnist } from './_mnist.ts'

const f = (...v: number[]): Float32Array => Float32Array.from(v)
const close = (a: Float32Array, b: number[], eps = 1e-6): void => {
  assert.equal(a.length, b.length)
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= eps, `index ${i}: ${v} != ${b[i]}`))
}

test('server sgd: plain FedAvg adds the aggregate; FedAvgM accumulates momentum', () => {
  const plain = createServerOptimizer(2)
  close(plain.step(f(1, 1), f(0.5, -1)), [1.5, 0])
  const m = createServerOptimizer(2, { momentum: 0.5, learningRate: 2 })
  const w1 = m.step(f(0, 0), f(1, -2)) // v = [1, -2], w = 2v
  close(w1, [2, -4])
  close(m.step(w1, f(1, 0)), [2 + 2 * 1.5, -4 + 2 * -1]) // v = 0.5·[1,-2] + [1,0] = [1.5, -1]
})

test('server adam (FedAdam): first and second moments without bias correction', () => {
  const a = createServerOptimizer(2, { kind: 'adam', learningRate: 0.1, momentum: 0.9, beta2: 0.99, tau: 1e-3 })
  // m = 0.1·Δ, s = 0.01·Δ², step = 0.1·m/(√s + τ) = 0.1·0.1Δ/(0.1|Δ| + 1e-3)
  const d = [2, -0.5]
  const step1 = d.map(x => 0.1 * 0.1 * x / (0.1 * Math.abs(x) + 1e-3))
  const w1 = a.step(f(0, 0), f(...d))
  close(w1, step1, 1e-6)
  // second step with Δ = 0: m = 0.09·Δ1, s = 0.99·0.01·Δ1²
  const step2 = d.map(x => 0.1 * 0.09 * x / (Math.sqrt(0.0099) * Math.abs(x) + 1e-3))
  close(a.step(w1, f(0, 0)), step1.map((x, i) => x + step2[i]), 1e-6)
  assert.equal(createServerOptimizer(1, { kind: 'adam' }).learningRate, 0.01)
})

test('server warm-up: η_t = η · min(1, t / W) for sgd and adam', () => {
  const s = createServerOptimizer(1, { learningRate: 2, warmupRounds: 4 })
  const w1 = s.step(f(0), f(1)) // η_1 = 0.5
  close(w1, [0.5])
  const w2 = s.step(w1, f(1)) // η_2 = 1
  close(w2, [1.5])
  const w5 = s.step(s.step(s.step(w2, f(1)), f(1)), f(1)) // 1.5, 2, 2: the ramp ends at t = W
  close(w5, [1.5 + 1.5 + 2 + 2])
  assert.equal(s.steps, 5)
  // adam, β1 = 0.5, β2 = 0.99, τ = 1e-3, η = 0.03, W = 3, Δ = 1 each step
  const a = createServerOptimizer(1, { kind: 'adam', learningRate: 0.03, momentum: 0.5, beta2: 0.99, tau: 1e-3, warmupRounds: 3 })
  // hand-computed: m_t = 0.5·m + 0.5, s_t = 0.99·s + 0.01, w += η_t·m/(√s + τ) with η_t = 0.01, 0.02, 0.03, 0.03
  const expected = [0.01 * 0.5 / (0.1 + 1e-3)]
  expected.push(expected[0] + 0.02 * 0.75 / (Math.sqrt(0.0199) + 1e-3))
  expected.push(expected[1] + 0.03 * 0.875 / (Math.sqrt(0.029701) + 1e-3))
  expected.push(expected[2] + 0.03 * 0.9375 / (Math.sqrt(0.03940399) + 1e-3))
  let w = f(0)
  for (const want of expected) { w = a.step(w, f(1)); close(w, [want], 1e-6) }
})

test('server decay: η follows a cosine from η to η_end over D steps, then stays', () => {
  const s = createServerOptimizer(1, { learningRate: 2, finalLearningRate: 1, decaySteps: 3 })
  // η_1 = 2, η_2 = 1 + (2 − 1)·(1 + cos(π/2))/2 = 1.5, η_3 = 1, η_4 = 1 (Δ = 1, β = 0)
  let w = f(0)
  const etas = [2, 1.5, 1, 1]
  let sum = 0
  for (const eta of etas) { w = s.step(w, f(1)); sum += eta; close(w, [sum]) }
  // with a warm-up of 2 on top: η_1 = 2·½, η_2 = 1.5·1
  const both = createServerOptimizer(1, { learningRate: 2, finalLearningRate: 1, decaySteps: 3, warmupRounds: 2 })
  close(both.step(both.step(f(0), f(1)), f(1)), [1 + 1.5])
})

test('server optimiser settings are checked', () => {
  for (const init of [{ momentum: 1 }, { momentum: -0.1 }, { learningRate: 0 }, { kind: 'adam' as const, tau: 0 }, { kind: 'adam' as const, beta2: 1 }, { warmupRounds: -1 }, { warmupRounds: 1.5 },
    { finalLearningRate: 0.5 }, { decaySteps: 3 }, { learningRate: 1, finalLearningRate: 2, decaySteps: 3 }, { finalLearningRate: 0, decaySteps: 3 }, { finalLearningRate: 0.5, decaySteps: 0 }]) {
    assert.throws(() => createServerOptimizer(3, init), (e: Error) => e.name === 'LearningConfigError', JSON.stringify(init))
  }
  assert.throws(() => createServerOptimizer(3).step(f(1, 2), f(1, 2, 3)), RangeError)
})

test('shiftImage moves pixels by (dx, dy) with zero fill', () => {
  // 3x3 image 1..9, shifted right by 1 and up by 1
  const src = f(1, 2, 3, 4, 5, 6, 7, 8, 9)
  const out = new Float32Array(9)
  shiftImage(src, out, 3, 1, -1)
  close(out, [0, 4, 5, 0, 7, 8, 0, 0, 0])
  shiftImage(src, out, 3, -2, 2)
  close(out, [0, 0, 0, 0, 0, 0, 3, 0, 0])
  shiftImage(src, out, 3, 0, 0)
  close(out, [1, 2, 3, 4, 5, 6, 7, 8, 9])
  assert.throws(() => shiftImage(src, new Float32Array(4), 3, 0, 0), RangeError)
})

test('CNN shapes: filters and the optional dense hidden layer', () => {
  const cnn: ModelSpec = { kind: 'cnn', inputDim: 784, classes: 10 }
  // 5·5·16 + 16 + 3·3·16·32 + 32 + 7·7·32·10 + 10
  assert.equal(paramCount(cnn), 400 + 16 + 4608 + 32 + 15680 + 10)
  assert.equal(paramCount({ ...cnn, filters: [8, 16] }), 9226)
  const withHidden = paramShapes({ ...cnn, filters: [8, 16], hidden: 20 })
  assert.deepEqual(withHidden.map(p => p.name), ['c1', 'cb1', 'c2', 'cb2', 'w3', 'b3', 'w4', 'b4'])
  assert.deepEqual(withHidden[4].shape, [784, 20])
})

let data: { train: Dataset, test: Dataset }
before(async () => {
  const d = await smallMnist(40, 20)
  assert.equal(d.backend, 'wasm')
  data = d
})

test('Adam with cosine decay and shift augmentation trains on wasm, deterministically', async () => {
  // the MLP keeps this test fast; the schedule and augmentation code paths are the model's own
  const spec: ModelSpec = { kind: 'mlp', inputDim: 784, classes: 10, hidden: 32 }
  const run = async (): Promise<{ acc: number, w: Float32Array, epochs: number[] }> => {
    const t = new Trainer(spec, initParams(spec, createRng(3)))
    const epochs: number[] = []
    try {
      await t.train(data.train, { epochs: 3, optimizer: 'adam', learningRate: 0.005, finalLearningRate: 0.0005, augmentShift: 2, onEpoch: e => { epochs.push(e) } }, createRng(4))
      return { acc: (await t.evaluate(data.test)).accuracy, w: await t.getWeights(), epochs }
    } finally {
      t.dispose()
    }
  }
  const a = await run()
  const b = await run()
  assert.deepEqual(a.epochs, [1, 2, 3])
  assert.ok(a.acc > 0.6, `accuracy ${a.acc}`)
  assert.deepEqual(a.w, b.w)
})
