/**
 * Differential privacy: clipping, the noise scale, and the RDP accountant against known values.
 * Known values: (1) for q = 1 the Gaussian mechanism's RDP is exactly α/(2σ²) (Mironov 2017,
 * "Rényi Differential Privacy", Prop. 7); (2) TensorFlow Privacy's published MNIST DP-SGD table
 * (tensorflow/privacy, tutorials/README.md: N = 60000, batch 256, δ = 1e-5; σ = 1.12 for 60
 * epochs -> ε = 2.92, σ = 0.6 for 30 epochs -> ε = 9.74, σ = 1.2 for 10 epochs -> ε = 1.20),
 * computed there with the same sampled-Gaussian RDP bound and a finer (fractional) order grid.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { addGaussianNoise, clipUpdate, createRng, epsilonFor, l2norm, noiseForEpsilon, RdpAccountant, rdpSampledGaussian } from '../../core/learning/index.ts'

test('clipping bounds the L2 norm and leaves small updates alone', () => {
  const big = Float32Array.from([3, 4]) // norm 5
  assert.equal(clipUpdate(big, 1), 0.2)
  assert.ok(Math.abs(l2norm(big) - 1) < 1e-6)
  const small = Float32Array.from([0.3, 0.4])
  assert.equal(clipUpdate(small, 1), 1)
  assert.deepEqual(Array.from(small), [0.30000001192092896, 0.4000000059604645])
})

test('Gaussian noise has the requested standard deviation and zero mean', () => {
  const v = new Float32Array(200_000)
  addGaussianNoise(v, 0.5, createRng(11))
  let s = 0; let s2 = 0
  for (const x of v) { s += x; s2 += x * x }
  const mean = s / v.length
  const std = Math.sqrt(s2 / v.length - mean * mean)
  assert.ok(Math.abs(mean) < 0.005, `mean ${mean}`)
  assert.ok(Math.abs(std - 0.5) < 0.005, `std ${std}`)
})

test('RDP of the full-batch Gaussian mechanism is α/(2σ²)', () => {
  for (const [a, s] of [[2, 1], [8, 0.7], [32, 3]]) assert.ok(Math.abs(rdpSampledGaussian(1, s, a) - a / (2 * s * s)) < 1e-12)
  // small q: A_α = 1 + C(α,2) q² (e^{1/σ²} − 1) + O(q³), so ε_α ≈ α q² (e^{1/σ²} − 1) / 2
  const q = 1e-3
  const approx = 4 * q * q * (Math.exp(1 / 4) - 1) / 2
  assert.ok(Math.abs(rdpSampledGaussian(q, 2, 4) / approx - 1) < 0.01)
})

test('accountant matches TensorFlow Privacy\'s published MNIST values within 1%', () => {
  const q = 256 / 60000
  for (const [sigma, epochs, expected] of [[1.12, 60, 2.92], [0.6, 30, 9.74], [1.2, 10, 1.20]]) {
    const { epsilon } = epsilonFor(q, sigma, Math.ceil(epochs * 60000 / 256), 1e-5)
    assert.ok(Math.abs(epsilon / expected - 1) < 0.01, `σ=${sigma}, ${epochs} epochs: ε=${epsilon} vs ${expected}`)
  }
})

test('running accountant composes rounds and noiseForEpsilon inverts it', () => {
  const acc = new RdpAccountant(1e-5)
  for (let i = 0; i < 30; i++) acc.step(0.5, 1.5)
  assert.ok(Math.abs(acc.epsilon() - epsilonFor(0.5, 1.5, 30, 1e-5).epsilon) < 1e-9)
  const sigma = noiseForEpsilon(0.5, 30, 8, 1e-5)
  assert.ok(epsilonFor(0.5, sigma, 30, 1e-5).epsilon <= 8)
  assert.ok(epsilonFor(0.5, sigma * 0.99, 30, 1e-5).epsilon > 8)
  assert.throws(() => noiseForEpsilon(0.5, 30, -1, 1e-5), { name: 'LearningConfigError' })
})
