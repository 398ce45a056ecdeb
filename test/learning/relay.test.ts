/**
 * The TCS-FEEL tree in transit: relay pre-aggregation for FedAvg equals the star's weighted mean,
 * robust aggregators see every update, bad messages are rejected at the hop that decodes them,
 * and byte counts are exact.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildTree, createRng, emptyRejections, encodeUpdate, fedAvg, generateTopology, ROOT } from '../../core/learning/index.ts'
import { admit, routeUp, type HopContext } from '../../core/learning/relay.ts'

const size = 50
const n = 9
const topology = generateTopology(n, createRng(21))
const selected = Array.from({ length: n }, (_, i) => i)
const updates = selected.map(c => Float32Array.from({ length: size }, (_, i) => Math.sin(c + i) * (c + 1)))
const samples = selected.map(c => 10 + c * 7)
const hop = (): HopContext => ({ round: 1, size, bits: 0, maxNorm: Infinity, rng: createRng(1), rejected: emptyRejections(), maxBytes: 10_000 })
const own = (bad?: Map<number, Uint8Array>): Map<number, Uint8Array> => new Map(selected.map(c => [c, bad?.get(c) ?? encodeUpdate({ round: 1, sender: c, samples: samples[c], clients: 1, values: updates[c] }, createRng(c)).bytes]))

test('FedAvg over the relay tree equals FedAvg over the star, with less root ingress', () => {
  const tree = buildTree(selected, topology, 200, { maxChildren: 2, maxDepth: 3 })
  assert.ok((tree.children.get(ROOT) ?? []).length <= 2)
  const ctx = hop()
  const r = routeUp(tree, own(), new Map(), topology, true, ctx)
  const parts = r.atRoot.map(b => admit(b, ctx)).filter(x => x != null)
  assert.equal(parts.reduce((s, p) => s + p.clients, 0), n)
  const viaTree = fedAvg(parts.map(p => p.values), parts.map(p => p.samples))
  const star = fedAvg(updates, samples)
  viaTree.forEach((v, i) => assert.ok(Math.abs(v - star[i]) < 1e-4, `coordinate ${i}: ${v} vs ${star[i]}`))
  const starRoute = routeUp(buildTree(selected, topology, 200, { star: true }), own(), new Map(), topology, true, hop())
  assert.equal(starRoute.bytesAtRoot, starRoute.bytesUp)
  assert.ok(r.bytesAtRoot < starRoute.bytesAtRoot, `${r.bytesAtRoot} vs ${starRoute.bytesAtRoot}`)
})

test('robust mode forwards every message unchanged; bytes are the sum over hops', () => {
  const tree = buildTree(selected, topology, 200, { maxChildren: 2, maxDepth: 4 })
  const messages = own()
  const r = routeUp(tree, messages, new Map(), topology, false, hop())
  assert.equal(r.atRoot.length, n)
  const sent = [...messages.values()]
  for (const m of r.atRoot) assert.ok(sent.includes(m))
  // each message crosses (its depth) hops
  const expected = selected.reduce((s, c) => s + (messages.get(c)?.length ?? 0) * (tree.depth.get(c) ?? 0), 0)
  assert.equal(r.bytesUp, expected)
})

test('a relay rejects malformed children and still forwards the rest', () => {
  const tree = buildTree(selected, topology, 200, { maxChildren: 2, maxDepth: 4 })
  const leaf = selected.find(c => (tree.children.get(c) ?? []).length === 0 && tree.parent.get(c) !== ROOT)
  assert.ok(leaf != null)
  const nan = Float32Array.from(updates[leaf])
  nan[3] = Number.NaN
  const bad = new Map([[leaf, encodeUpdate({ round: 1, sender: leaf, samples: 1, clients: 1, values: nan }, createRng(1)).bytes]])
  const ctx = hop()
  const r = routeUp(tree, own(bad), new Map(), topology, true, ctx)
  assert.equal(ctx.rejected['non-finite'], 1)
  const parts = r.atRoot.map(b => admit(b, ctx)).filter(x => x != null)
  assert.equal(parts.reduce((s, p) => s + p.clients, 0), n - 1)
  const garbage = new Map([[leaf, Uint8Array.from([1, 2, 3])]])
  const ctx2 = hop()
  routeUp(tree, own(garbage), new Map(), topology, true, ctx2)
  assert.equal(ctx2.rejected.decode + ctx2.rejected.shape, 1)
})
