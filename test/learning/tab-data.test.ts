/**
 * A tab's own data in mesh training (app/learning/tab-data.ts) against the reference, Node's data
 * sources: a tab's `mnist i/n` shard is exactly the rows `novacron learn --data mnist --shard i/n`
 * takes with the same seed (node-runtime/learning/data-source.ts), so tabs and Node peers can take
 * disjoint shards of one partition; a sample has perLabel digits of each label split 75/25; a
 * picked CSV or LEAF JSON file gives its own input size and classes, and a malformed one is a
 * `DataSourceError` naming the file; the form's shard and file choices are errors by field.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { loadDataSource, peerShard } from '../../node-runtime/learning/data-source.ts'
import { loadMnist } from '../../node-runtime/learning/mnist.ts'
import { parseShard, tabDataset } from '../../app/learning/tab-data.ts'
import { datasetFromLabelRows, type Dataset } from '../../core/learning/index.ts'

const same = (a: Dataset, b: Dataset): void => {
  assert.equal(a.n, b.n); assert.equal(a.dim, b.dim); assert.equal(a.classes, b.classes)
  assert.deepEqual(a.y, b.y)
  assert.deepEqual(a.x, b.x)
}

test('a tab\'s mnist shard i/n is the rows novacron learn --data mnist --shard i/n --seed s takes', async () => {
  const all = await loadMnist()
  const node = await loadDataSource({ kind: 'mnist' }, { seed: 7 })
  for (const [index, count] of [[0, 1], [1, 3], [2, 3]] as const) {
    const tab = tabDataset({ kind: 'mnist', index, count }, 7, 'tab-peer', () => all)
    same(tab.train, peerShard(node, index, count, { kind: 'dirichlet', alpha: 0.5 }, 7))
    same(tab.test, node.test)
    assert.equal(tab.name, `mnist shard ${index}/${count}`)
  }
  assert.throws(() => tabDataset({ kind: 'mnist', index: 3, count: 3 }, 7, 'p', () => all), RangeError)
})

test('a sample: perLabel digits of each label, split 75/25 by seed and peer id', () => {
  const rows = Array.from({ length: 10 }, (_, label) => Array.from({ length: 20 * 4 }, (_, i) => (label * 7 + i) % 11 / 10))
  const digits = datasetFromLabelRows(rows, 4)
  const a = tabDataset({ kind: 'sample', perLabel: 20 }, 1, 'peer-a', () => digits)
  assert.equal(a.train.n + a.test.n, 200)
  assert.equal(a.test.n, 50)
  const b = tabDataset({ kind: 'sample', perLabel: 20 }, 1, 'peer-b', () => digits)
  assert.notDeepEqual(a.test.y, b.test.y, 'another tab splits otherwise')
})

test('a picked CSV or LEAF file: its own shape; malformed files are DataSourceErrors naming the file', () => {
  const csv = ['f1,f2,f3,label', ...Array.from({ length: 50 }, (_, i) => `${i % 5},${(i * 3) % 7},${i / 10},${i % 3}`)].join('\n')
  const c = tabDataset({ kind: 'file', name: 'iris-like.csv', text: csv }, 2, 'p', () => { throw new Error('no digits needed') })
  assert.equal(c.train.dim, 3)
  assert.equal(c.train.classes, 3)
  assert.equal(c.train.n + c.test.n, 50)
  assert.equal(c.test.n, 9, 'stratified 80/20: round(0.2·17) + round(0.2·17) + round(0.2·16)')
  const leaf = JSON.stringify({ users: ['u1', 'u2'], num_samples: [3, 2], user_data: { u1: { x: [[1, 2], [3, 4], [5, 6]], y: [0, 1, 4] }, u2: { x: [[0, 0], [1, 1]], y: [2, 3] } } })
  const l = tabDataset({ kind: 'file', name: 'femnist-0.json', text: leaf }, 2, 'p', () => { throw new Error('no digits needed') })
  assert.equal(l.train.dim, 2)
  assert.equal(l.train.classes, 5)
  assert.equal(l.train.n + l.test.n, 5)
  for (const [name, text] of [['bad.csv', 'a,b\n1,2\n3'], ['bad.json', leaf.slice(0, 40)], ['ragged.json', JSON.stringify({ users: ['u'], num_samples: [2], user_data: { u: { x: [[1, 2], [3]], y: [0, 1] } } })]] as const) {
    assert.throws(() => tabDataset({ kind: 'file', name, text }, 1, 'p', () => { throw new Error('unused') }), (err: Error) => err.name === 'DataSourceError' && err.message.includes(name), name)
  }
})

test('shard text: i/n with 0 ≤ i < n', () => {
  assert.deepEqual(parseShard('1/4'), { index: 1, count: 4 })
  assert.deepEqual(parseShard(' 0 / 1 '), { index: 0, count: 1 })
  for (const bad of ['4/4', '1/0', 'x', '-1/3', '1/3/4', '']) assert.equal(parseShard(bad), null, bad)
})
