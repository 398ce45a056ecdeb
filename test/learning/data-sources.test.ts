/**
 * The `--data` sources (core/learning/sources, node-runtime/learning/data-source.ts): LEAF JSON and
 * CSV round trips through files, every malformed case a `DataSourceError` naming the file and the
 * problem (truncated JSON, ragged x, label out of range, ...), LEAF users as the natural clients,
 * and the MNIST shard of a peer as the engine's seeded Dirichlet partition.
 */
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { createRng, partition, type Dataset } from '../../core/learning/index.ts'
import { DataSourceError } from '../../core/learning/errors.ts'
import { parseCsv, writeCsv } from '../../core/learning/sources/csv.ts'
import { parseLeafJson, writeLeafJson, type LeafUser } from '../../core/learning/sources/leaf.ts'
import { heldOut, loadDataSource, parseDataSpec, parseShard, peerRows, peerShard } from '../../node-runtime/learning/data-source.ts'

const root = mkdtempSync(join(tmpdir(), 'novacron-data-'))
after(() => { rmSync(root, { recursive: true, force: true }) })

function users (seed: number, count: number, dim: number, classes: number): LeafUser[] {
  const rng = createRng(seed)
  return Array.from({ length: count }, (_, u) => {
    const n = 3 + u
    return { id: `u${u}`, n, x: Float32Array.from({ length: n * dim }, () => Math.fround(rng.next())), y: Uint8Array.from({ length: n }, () => Math.floor(rng.next() * classes)) }
  })
}

function rejects (fn: () => unknown, problem: string, file: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof DataSourceError, String(err))
    assert.equal(err.name, 'DataSourceError')
    assert.equal(err.problem, problem, err.message)
    assert.equal(err.file, file)
    assert.ok(err.message.startsWith(file), err.message)
    return true
  })
}

describe('LEAF JSON', () => {
  test('round trip: parse(write(users)) gives the same users, rows and labels', () => {
    const u = users(1, 4, 5, 3)
    const parsed = parseLeafJson(writeLeafJson(u, 5), 'a.json')
    assert.equal(parsed.dim, 5)
    assert.deepEqual(parsed.users.map(x => x.id), u.map(x => x.id))
    parsed.users.forEach((p, i) => {
      assert.deepEqual(p.x, u[i].x)
      assert.deepEqual(p.y, u[i].y)
      assert.equal(p.n, u[i].n)
    })
  })

  test('nested rows (images) are flattened row-major', () => {
    const text = JSON.stringify({ users: ['a'], num_samples: [1], user_data: { a: { x: [[[1, 2], [3, 4]]], y: [1] } } })
    const p = parseLeafJson(text, 'img.json')
    assert.equal(p.dim, 4)
    assert.deepEqual(Array.from(p.users[0].x), [1, 2, 3, 4])
  })

  test('malformed files: each a DataSourceError naming the file and the problem', () => {
    const good = writeLeafJson(users(2, 2, 3, 2), 3)
    rejects(() => parseLeafJson(good.slice(0, good.length - 7), 't.json'), 'json', 't.json')
    rejects(() => parseLeafJson('[]', 't.json'), 'structure', 't.json')
    rejects(() => parseLeafJson('{"users":[1],"user_data":{}}', 't.json'), 'structure', 't.json')
    rejects(() => parseLeafJson('{"users":["a"],"user_data":{}}', 't.json'), 'structure', 't.json')
    const ragged = { users: ['a'], num_samples: [2], user_data: { a: { x: [[1, 2, 3], [1, 2]], y: [0, 1] } } }
    rejects(() => parseLeafJson(JSON.stringify(ragged), 'r.json'), 'ragged', 'r.json')
    const raggedAcross = { users: ['a', 'b'], num_samples: [1, 1], user_data: { a: { x: [[1, 2]], y: [0] }, b: { x: [[1]], y: [0] } } }
    rejects(() => parseLeafJson(JSON.stringify(raggedAcross), 'r.json'), 'ragged', 'r.json')
    const label = { users: ['a'], num_samples: [1], user_data: { a: { x: [[1, 2]], y: [300] } } }
    rejects(() => parseLeafJson(JSON.stringify(label), 'l.json'), 'label', 'l.json')
    rejects(() => parseLeafJson(JSON.stringify({ ...label, user_data: { a: { x: [[1, 2]], y: [2] } } }), 'l.json', { classes: 2 }), 'label', 'l.json')
    rejects(() => parseLeafJson(JSON.stringify({ ...label, user_data: { a: { x: [[1, 2]], y: [-1] } } }), 'l.json'), 'label', 'l.json')
    rejects(() => parseLeafJson(JSON.stringify({ ...label, user_data: { a: { x: [[1, 2]], y: [0.5] } } }), 'l.json'), 'label', 'l.json')
    rejects(() => parseLeafJson(JSON.stringify({ ...label, user_data: { a: { x: [[1, 'a']], y: [0] } } }), 'n.json'), 'number', 'n.json')
    rejects(() => parseLeafJson(JSON.stringify({ ...label, user_data: { a: { x: [[1, 2]], y: [0, 1] } } }), 'm.json'), 'mismatch', 'm.json')
    rejects(() => parseLeafJson(JSON.stringify({ ...label, num_samples: [5], user_data: { a: { x: [[1, 2]], y: [0] } } }), 'm.json'), 'mismatch', 'm.json')
    rejects(() => parseLeafJson('{"users":[],"num_samples":[],"user_data":{}}', 'e.json'), 'empty', 'e.json')
  })

  test('a LEAF directory: users are the clients, test/ is held out, classes and shape from the data', async () => {
    const dir = join(root, 'leaf')
    mkdirSync(join(dir, 'train'), { recursive: true })
    mkdirSync(join(dir, 'test'), { recursive: true })
    const tr = users(3, 5, 6, 4)
    writeFileSync(join(dir, 'train', 'a.json'), writeLeafJson(tr.slice(0, 3), 6))
    writeFileSync(join(dir, 'train', 'b.json'), writeLeafJson(tr.slice(3), 6))
    writeFileSync(join(dir, 'test', 'all.json'), writeLeafJson(users(4, 2, 6, 4), 6))
    const data = await loadDataSource(parseDataSpec(`leaf:${dir}`), { seed: 1 })
    assert.equal(data.train.dim, 6)
    assert.equal(data.train.n, tr.reduce((s, u) => s + u.n, 0))
    assert.equal(data.users?.length, 5)
    const classes = Math.max(...tr.flatMap(u => Array.from(u.y)), ...users(4, 2, 6, 4).flatMap(u => Array.from(u.y))) + 1
    assert.equal(data.train.classes, classes)
    assert.equal(data.test.classes, classes)
    // peer 1 of 2 holds users 1 and 3
    const shard = peerShard(data, 1, 2, { kind: 'iid' }, 1)
    assert.equal(shard.n, tr[1].n + tr[3].n)
    assert.deepEqual(shard.x.subarray(0, 6), tr[1].x.subarray(0, 6))
    // a truncated file in the folder names that file
    const bad = join(dir, 'train', 'c.json')
    writeFileSync(bad, '{"users": ["z"], "num_samples": [1], "user_d')
    await assert.rejects(loadDataSource(parseDataSpec(dir), { seed: 1 }), (err: unknown) => err instanceof DataSourceError && err.file === bad && err.problem === 'json')
    await assert.rejects(loadDataSource(parseDataSpec(join(root, 'nope')), { seed: 1 }), (err: unknown) => err instanceof DataSourceError && err.problem === 'unreadable')
  })
})

describe('CSV', () => {
  const ds: Dataset = { x: Float32Array.from([0.5, -1.25, 3, 1e-7, 2, 2]), y: Uint8Array.from([0, 2, 1]), n: 3, dim: 2, classes: 3 }

  test('round trip: parse(write(ds)) gives the same features, labels and classes', () => {
    const back = parseCsv(writeCsv(ds), 'd.csv')
    assert.deepEqual(back, ds)
  })

  test('label column by name or index; no header', () => {
    const byName = parseCsv('label,a,b\n1,0.5,0.25\n0,1,2\n', 'h.csv', { labelColumn: 'label' })
    assert.deepEqual(Array.from(byName.y), [1, 0])
    assert.deepEqual(Array.from(byName.x), [0.5, 0.25, 1, 2])
    const byIndex = parseCsv('1,0.5,0.25\n0,1,2', 'h.csv', { labelColumn: 0 })
    assert.deepEqual(byIndex, byName)
  })

  test('malformed files: each a DataSourceError naming the file and the problem', () => {
    rejects(() => parseCsv('', 'e.csv'), 'empty', 'e.csv')
    rejects(() => parseCsv('a,b,label\n', 'e.csv'), 'empty', 'e.csv')
    rejects(() => parseCsv('1,2,0\n1,0\n', 'r.csv'), 'ragged', 'r.csv')
    rejects(() => parseCsv('1,2,0\n1,2,3,0\n', 'r.csv'), 'ragged', 'r.csv')
    rejects(() => parseCsv('1,2,0\n1,x,0\n', 'n.csv'), 'number', 'n.csv')
    rejects(() => parseCsv('1,2,256\n', 'l.csv'), 'label', 'l.csv')
    rejects(() => parseCsv('1,2,1.5\n', 'l.csv'), 'label', 'l.csv')
    rejects(() => parseCsv('1,2,-1\n', 'l.csv'), 'label', 'l.csv')
    rejects(() => parseCsv('1,2,3\n', 'l.csv', { classes: 3 }), 'label', 'l.csv')
    rejects(() => parseCsv('1,2,1\n', 's.csv', { labelColumn: 'y' }), 'structure', 's.csv')
    rejects(() => parseCsv('1\n', 's.csv'), 'structure', 's.csv')
  })

  test('csv:<file> splits 80/20; csv:<train>,<test> takes the held-out rows from the second file', async () => {
    const rng = createRng(5)
    const big: Dataset = { x: Float32Array.from({ length: 200 }, () => Math.fround(rng.next())), y: Uint8Array.from({ length: 100 }, (_, i) => i % 4), n: 100, dim: 2, classes: 4 }
    const f = join(root, 'big.csv')
    writeFileSync(f, writeCsv(big))
    const one = await loadDataSource(parseDataSpec(`csv:${f}`), { seed: 1 })
    assert.equal(one.train.n + one.test.n, 100)
    assert.equal(one.test.n, 20)
    const two = await loadDataSource(parseDataSpec(`csv:${f},${f}`), { seed: 1 })
    assert.equal(two.train.n, 100)
    assert.equal(two.test.n, 100)
    assert.throws(() => parseDataSpec('csv:a,b,c'), { name: 'LearningConfigError' })
    assert.throws(() => parseDataSpec('http://x'), { name: 'LearningConfigError' })
  })
})

describe('MNIST shards', () => {
  test('peer i of n holds part i of the seeded Dirichlet partition, the same one every peer computes', async () => {
    const data = await loadDataSource(parseDataSpec('mnist'), { seed: 7 })
    assert.equal(data.train.n, 8000)
    assert.equal(data.test.n, 2000)
    assert.equal(data.train.dim, 784)
    assert.equal(data.train.classes, 10)
    const spec = { kind: 'dirichlet', alpha: 0.5 } as const
    const parts = partition(data.train, 3, spec, createRng(7).fork('partition'))
    const shards = [0, 1, 2].map(i => peerShard(data, i, 3, spec, 7))
    assert.deepEqual(shards.map(s => s.n), parts.map(p => p.length))
    assert.equal(shards.reduce((s, x) => s + x.n, 0), 8000)
    assert.deepEqual(shards[1].y.subarray(0, 20), Uint8Array.from(parts[1].slice(0, 20).map(i => data.train.y[i])))
    // --max-train cuts a shard to a seeded sample of its rows, the same for learn and fl-sim (peerRows)
    const cut = peerRows(data, 1, 3, spec, 7, 500)
    assert.equal(cut.length, 500)
    assert.ok(cut.every(r => parts[1].includes(r)), 'the cut rows are the shard\'s own')
    assert.equal(new Set(cut).size, 500)
    assert.deepEqual(peerShard(data, 1, 3, spec, 7, 500).y, Uint8Array.from(cut.map(i => data.train.y[i])))
    assert.deepEqual(peerRows(data, 1, 3, spec, 7, 500), cut, 'seeded')
    assert.deepEqual(peerRows(data, 1, 3, spec, 7, 100_000), parts[1], 'a cut above the shard size keeps it whole')
    const test500 = heldOut(data, 7, 500)
    assert.equal(test500.n, 500)
    assert.deepEqual(Array.from({ length: 10 }, (_, c) => test500.y.filter(y => y === c).length), Array(10).fill(50), 'class-balanced')
    assert.equal(heldOut(data, 7, 0), data.test)
    assert.deepEqual(parseShard('2/3'), { index: 2, count: 3 })
    assert.throws(() => parseShard('3/3'), { name: 'LearningConfigError' })
  })
})
