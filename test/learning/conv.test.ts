/**
 * `conv2dSame` (core/learning/conv.ts) against the reference `tf.conv2d` on the cpu backend:
 * forward values and both gradients (input and filter) for the CNN's layer shapes and a few odd
 * ones, computed with our op on cpu AND on wasm (where tf.conv2d's own filter gradient is missing).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import * as tf from '@tensorflow/tfjs'
import { conv2dSame } from '../../core/learning/conv.ts'
import { createRng } from '../../core/learning/index.ts'
import { setupNodeBackend } from '../../node-runtime/learning/backend.ts'

interface Case { b: number, h: number, w: number, cin: number, k: number, cout: number, s: number }
const cases: Case[] = [
  { b: 3, h: 28, w: 28, cin: 1, k: 5, cout: 4, s: 2 }, // the CNN's first layer (fewer filters)
  { b: 2, h: 14, w: 14, cin: 8, k: 3, cout: 5, s: 2 }, // its second layer
  { b: 2, h: 7, w: 9, cin: 3, k: 3, cout: 2, s: 1 }, // odd sizes, stride 1
  { b: 1, h: 9, w: 7, cin: 2, k: 4, cout: 3, s: 3 } // even kernel, stride 3, uneven padding
]

function randn (n: number, seed: number): Float32Array {
  const r = createRng(seed)
  return Float32Array.from({ length: n }, () => r.next() * 2 - 1)
}

interface Out { y: Float32Array, dx: Float32Array, dw: Float32Array }

async function run (c: Case, seed: number, op: (x: tf.Tensor4D, f: tf.Tensor4D) => tf.Tensor4D): Promise<Out> {
  const x = tf.tensor4d(randn(c.b * c.h * c.w * c.cin, seed), [c.b, c.h, c.w, c.cin])
  const f = tf.tensor4d(randn(c.k * c.k * c.cin * c.cout, seed + 1), [c.k, c.k, c.cin, c.cout])
  // a non-uniform upstream gradient: loss = Σ y · m
  const y0 = op(x, f)
  const m = tf.tensor(randn(y0.size, seed + 2), y0.shape)
  const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(op(a as tf.Tensor4D, b as tf.Tensor4D), m)))([x, f])
  const out = { y: await y0.data() as Float32Array, dx: await grads[0].data() as Float32Array, dw: await grads[1].data() as Float32Array }
  tf.dispose([x, f, y0, m, ...grads])
  return out
}

function close (name: string, got: Float32Array, want: Float32Array): void {
  assert.equal(got.length, want.length, `${name}: length`)
  let worst = 0
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i])))
  assert.ok(worst < 1e-4, `${name}: max relative error ${worst}`)
}

test('conv2dSame matches tf.conv2d (values, input and filter gradients) on cpu and on wasm', async () => {
  await setupNodeBackend('cpu')
  const refs: Out[] = []
  for (const [i, c] of cases.entries()) {
    const ref = await run(c, 10 * i, (x, f) => tf.conv2d(x, f, c.s, 'same'))
    refs.push(ref)
    const ours = await run(c, 10 * i, (x, f) => conv2dSame(x, f, c.s))
    for (const k of ['y', 'dx', 'dw'] as const) close(`cpu case ${i} ${k}`, ours[k], ref[k])
  }
  assert.equal((await setupNodeBackend('wasm')).backend, 'wasm')
  // the stock op cannot train on wasm: this is the gap conv2dSame closes
  assert.throws(() => tf.grad((f: tf.Tensor) => tf.sum(tf.conv2d(tf.ones([1, 4, 4, 1]) as tf.Tensor4D, f as tf.Tensor4D, 1, 'same')))(tf.ones([3, 3, 1, 1])))
  for (const [i, c] of cases.entries()) {
    const ours = await run(c, 10 * i, (x, f) => conv2dSame(x, f, c.s))
    for (const k of ['y', 'dx', 'dw'] as const) close(`wasm case ${i} ${k}`, ours[k], refs[i][k])
  }
  // a first layer skips the input gradient: same value and filter gradient, zero input gradient
  const first = await run(cases[0], 0, (x, f) => conv2dSame(x, f, cases[0].s, { inputGradient: false }))
  close('first-layer y', first.y, refs[0].y)
  close('first-layer dw', first.dw, refs[0].dw)
  assert.ok(first.dx.every(v => v === 0))
})
