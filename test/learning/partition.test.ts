/** Deterministic split and partitions (IID, Dirichlet, shards) with a seeded RNG. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRng, labelHistogram, parsePartition, partition, trainTestSplit, type Dataset } from '../../core/learning/index.ts'

function toy (n: number, classes = 10): Dataset {
  const y = Uint8Array.from({ length: n }, (_, i) => i % classes)
  return { x: Float32Array.from({ length: n * 2 }, (_, i) => i), y, n, dim: 2, classes }
}

test('split is stratified, disjoint, complete and reproducible', () => {
  const ds = toy(1000)
  const a = trainTestSplit(ds, 0.2, createRng(5))
  const b = trainTestSplit(ds, 0.2, createRng(5))
  assert.equal(a.test.n, 200)
  assert.equal(a.train.n, 800)
  assert.deepEqual(labelHistogram(a.test), new Array(10).fill(20))
  assert.deepEqual(Array.from(a.test.x), Array.from(b.test.x))
  const ids = new Set([...a.train.x.filter((_, i) => i % 2 === 0), ...a.test.x.filter((_, i) => i % 2 === 0)])
  assert.equal(ids.size, 1000)
})

test('every partition assigns every row exactly once', () => {
  const ds = toy(997)
  for (const spec of ['iid', 'dirichlet:0.5', 'dirichlet:100', 'shards:2'].map(parsePartition)) {
    const parts = partition(ds, 13, spec, createRng(3))
    const all = parts.flat().sort((x, y) => x - y)
    assert.deepEqual(all, Array.from({ length: 997 }, (_, i) => i), JSON.stringify(spec))
  }
})

test('Dirichlet α controls label skew; shards give k labels per client', () => {
  const ds = toy(5000)
  const skew = (alpha: number): number => {
    const parts = partition(ds, 10, { kind: 'dirichlet', alpha }, createRng(9))
    // mean over clients of the largest label share
    return parts.reduce((s, p) => { const h = labelHistogram(ds, p); const n = h.reduce((a, b) => a + b, 0); return s + (n > 0 ? Math.max(...h) / n : 0) }, 0) / parts.length
  }
  assert.ok(skew(0.1) > 0.5, `alpha 0.1 skew ${skew(0.1)}`)
  assert.ok(skew(100) < 0.2, `alpha 100 skew ${skew(100)}`)
  const shards = partition(ds, 10, { kind: 'shards', labelsPerClient: 2 }, createRng(1))
  for (const p of shards) assert.equal(labelHistogram(ds, p).filter(c => c > 0).length, 2)
})

test('bad partition specs are LearningConfigErrors', () => {
  for (const bad of ['dirichlet', 'dirichlet:-1', 'shards:0', 'zipf:2', 'iid:3']) {
    assert.throws(() => parsePartition(bad), { name: 'LearningConfigError' }, bad)
  }
})
