/** Aggregation rules against hand-computed results, and their behaviour under Byzantine inputs. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { aggregate, clipToMedianNorm, coordinateMedian, fedAvg, krum, krumScores, multiKrum, multiKrumSelect, trimmedMean } from '../../core/learning/index.ts'

const f = (...v: number[]): Float32Array => Float32Array.from(v)
const close = (a: Float32Array, b: number[], eps = 1e-6): void => {
  assert.equal(a.length, b.length)
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= eps, `index ${i}: ${v} != ${b[i]}`))
}

test('fedavg is the sample-weighted mean', () => {
  // (1*[1,2] + 3*[5,-2]) / 4 = [4, -1]
  close(fedAvg([f(1, 2), f(5, -2)], [1, 3]), [4, -1])
  close(fedAvg([f(1, 2), f(5, -2)]), [3, 0])
})

test('coordinate-wise median, odd and even counts', () => {
  close(coordinateMedian([f(1, 10), f(3, -5), f(100, 0)]), [3, 0])
  close(coordinateMedian([f(1, 10), f(3, -5), f(100, 0), f(2, 4)]), [2.5, 2])
})

test('trimmed mean drops floor(beta*n) from each end per coordinate', () => {
  // n=5, beta=0.2 -> drop 1 each side. column 0: [-50,1,2,3,1000] -> mean(1,2,3)=2
  // column 1: [0,0,7,8,9] -> mean(0,7,8)=5
  close(trimmedMean([f(1, 7), f(1000, 0), f(2, 9), f(-50, 8), f(3, 0)], 0.2), [2, 5])
  // beta=0 is the plain mean
  close(trimmedMean([f(1), f(2), f(6)], 0), [3])
})

test('krum scores and selection match a hand computation', () => {
  // points on a line: 0, 1, 2, 10 ; n=4, f=1 -> closest n-f-2 = 1 neighbour
  const u = [f(0), f(1), f(2), f(10)]
  // nearest squared distances: 0->1:1, 1->0 or 2:1, 2->1:1, 10->2:64
  assert.deepEqual(krumScores(u, 1), [1, 1, 1, 64])
  close(krum(u, 1), [0]) // tie broken by lowest index
  assert.deepEqual(multiKrumSelect(u, 1, 3), [0, 1, 2])
  close(multiKrum(u, 1, 3), [1])
})

test('krum refuses n <= f + 2', () => {
  assert.throws(() => krumScores([f(0), f(1), f(2)], 1), { name: 'LearningConfigError' })
})

test('robust rules resist 20% sign-flipped outliers, fedavg does not', () => {
  const honest = Array.from({ length: 8 }, (_, k) => f(1 + 0.01 * k, -1 - 0.01 * k))
  const byz = Array.from({ length: 2 }, () => f(-40, 40))
  const all = [...honest, ...byz]
  const avg = fedAvg(all)
  assert.ok(avg[0] < 0, 'fedavg is dragged past zero')
  for (const name of ['median', 'trimmed-mean', 'krum', 'multi-krum'] as const) {
    const a = aggregate(name, all, undefined, { trimFraction: 0.2, byzantine: 2 })
    assert.ok(a[0] > 0.9 && a[0] < 1.1, `${name}: ${a[0]}`)
    assert.ok(a[1] < -0.9 && a[1] > -1.1, `${name}: ${a[1]}`)
  }
})

test('mismatched lengths are a RangeError', () => {
  assert.throws(() => fedAvg([f(1, 2), f(1)]), RangeError)
})

test('clipToMedianNorm scales updates longer than the median norm down to it, keeps the rest', () => {
  // norms 5, 1, 2 (median 2): [3,4] -> [1.2, 1.6]; [1,0] and [0,2] unchanged
  const ins = [f(3, 4), f(1, 0), f(0, 2)]
  const out = clipToMedianNorm(ins)
  close(out[0], [1.2, 1.6])
  close(out[1], [1, 0])
  close(out[2], [0, 2])
  close(ins[0], [3, 4]) // inputs untouched
  // even count: median of norms 1, 2, 4, 10 is 3
  close(clipToMedianNorm([f(1), f(-2), f(4), f(-10)])[3], [-3])
  // a sign-flip x4 attacker among honest updates loses its extra length before the trimmed mean
  const honest = Array.from({ length: 8 }, (_, k) => f(1 + 0.1 * k, 1))
  const attack = Array.from({ length: 2 }, () => f(-4, -4))
  const clipped = clipToMedianNorm([...honest, ...attack])
  for (const a of clipped.slice(8)) assert.ok(Math.hypot(a[0], a[1]) <= Math.hypot(1.5, 1) + 1e-6) // median of the norms <= the 6th smallest
  assert.throws(() => clipToMedianNorm([f(1, 2), f(1)]), RangeError)
})
