/** Quantisation error bounds, unbiasedness, packing, and top-k with error feedback. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { createRng, dequantize, densify, ErrorFeedback, quantize, topK } from '../../core/learning/index.ts'

test('b-bit stochastic quantisation: |v̂ − v| < step of its chunk, for b = 1..8', () => {
  fc.assert(fc.property(
    fc.array(fc.float({ min: -100, max: 100, noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 600 }),
    fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 300 }), fc.integer(),
    (arr, bits, chunk, seed) => {
      const v = Float32Array.from(arr)
      const q = quantize(v, bits, createRng(seed), chunk)
      assert.equal(q.packed.length, Math.ceil(v.length * bits / 8))
      const d = dequantize(q)
      for (let i = 0; i < v.length; i++) {
        const s = q.step[Math.floor(i / chunk)]
        assert.ok(Math.abs(d[i] - v[i]) <= s * (1 + 1e-5) + 1e-4, `i=${i} v=${v[i]} d=${d[i]} step=${s}`)
      }
    }), { numRuns: 200 })
})

test('8-bit error bound is (max − min) / 255 per chunk', () => {
  const v = Float32Array.from({ length: 256 }, (_, i) => Math.sin(i) * 3)
  const q = quantize(v, 8, createRng(1), 256)
  const range = Math.max(...v) - Math.min(...v)
  assert.ok(Math.abs(q.step[0] - range / 255) < 1e-6)
  const d = dequantize(q)
  for (let i = 0; i < v.length; i++) assert.ok(Math.abs(d[i] - v[i]) <= range / 255 + 1e-6)
})

test('stochastic rounding is unbiased: the mean of many 2-bit draws approaches the value', () => {
  const v = Float32Array.from([0, 0.1, 0.37, 0.5, 0.9, 1])
  const rng = createRng(7)
  const sum = new Float64Array(v.length)
  const runs = 4000
  for (let r = 0; r < runs; r++) dequantize(quantize(v, 2, rng, 64)).forEach((x, i) => { sum[i] += x })
  // std of one draw ≤ step/2 = 1/6; of the mean ≤ 1/(6·√4000) ≈ 0.0026; allow 5σ
  sum.forEach((s, i) => assert.ok(Math.abs(s / runs - v[i]) < 0.014, `i=${i}: ${s / runs} vs ${v[i]}`))
})

test('constant chunks quantise exactly', () => {
  const v = new Float32Array(10).fill(2.5)
  assert.deepEqual(Array.from(dequantize(quantize(v, 3, createRng(1)))), Array.from(v))
})

test('top-k keeps the k largest magnitudes in index order', () => {
  const s = topK(Float32Array.from([0.1, -5, 3, 0, -3.5, 2]), 3)
  assert.deepEqual(Array.from(s.indices), [1, 2, 4])
  assert.deepEqual(Array.from(s.values), [-5, 3, -3.5])
  assert.deepEqual(Array.from(densify(s)), [0, -5, 3, 0, -3.5, 0])
})

test('error feedback: over rounds, everything intended is eventually delivered', () => {
  const ef = new ErrorFeedback()
  const u = Float32Array.from([1, 0.5, 0.25, 0.125])
  const delivered = new Float64Array(4)
  const rounds = 12
  for (let r = 0; r < rounds; r++) {
    const intended = ef.compensate(u)
    const sent = densify(topK(intended, 1))
    ef.settle(intended, sent)
    sent.forEach((x, i) => { delivered[i] += x })
  }
  // delivered + residual == rounds * u exactly (nothing lost), residual bounded
  const residual = ef.compensate(new Float32Array(4))
  delivered.forEach((d, i) => assert.ok(Math.abs(d + residual[i] - rounds * u[i]) < 1e-4))
  assert.ok(ef.norm < 3)
})
