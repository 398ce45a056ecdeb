/** TCS-FEEL selection probabilities, randomised sampling, and the relay tree. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildTree, createRng, generateTopology, postOrder, ROOT, selectClients, tcsProbabilities, transferSeconds, type ClientProfile, type Topology } from '../../core/learning/index.ts'

function ctxFor (profiles: ClientProfile[], topology: Topology) {
  return { profiles, topology, eligible: profiles.map((_, i) => i), localSteps: () => 10, updateBytes: 50_000 }
}

test('probabilities favour similar, large, well-connected, fast clients and keep everyone > η/N', () => {
  const n = 4
  const topology = generateTopology(n, createRng(1))
  // make the network uniform so only data matters
  for (let i = 0; i < n; i++) { topology.rootLinks[i] = { rttMs: 20, mbps: 10 }; topology.stepsPerSec[i] = 50; for (let j = 0; j < n; j++) if (i !== j) topology.links[i][j] = { rttMs: 20, mbps: 10 } }
  const profiles: ClientProfile[] = [
    { samples: 100, histogram: [50, 50] }, // matches the global mix
    { samples: 100, histogram: [100, 0] }, // skewed
    { samples: 10, histogram: [5, 5] }, // small
    { samples: 100, histogram: [45, 55] }
  ]
  const p = tcsProbabilities(ctxFor(profiles, topology))
  assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-9)
  assert.ok(p[0] > p[1] && p[0] > p[2], JSON.stringify(p))
  for (const x of p) assert.ok(x >= 0.1 / n - 1e-12)
  // now slow down client 0's link: its probability drops
  topology.rootLinks[0] = { rttMs: 2000, mbps: 0.1 }
  for (let j = 1; j < n; j++) { topology.links[0][j] = topology.links[j][0] = { rttMs: 2000, mbps: 0.1 } }
  const p2 = tcsProbabilities(ctxFor(profiles, topology))
  assert.ok(p2[0] < p[0] / 2, `${p2[0]} vs ${p[0]}`)
})

test('sampling is seeded and without replacement; TCS follows its probabilities', () => {
  const n = 20
  const topology = generateTopology(n, createRng(2))
  const profiles = Array.from({ length: n }, (_, i) => ({ samples: 50 + i * 10, histogram: [i + 1, n - i] }))
  const a = selectClients('tcs', ctxFor(profiles, topology), 8, createRng(3))
  const b = selectClients('tcs', ctxFor(profiles, topology), 8, createRng(3))
  assert.deepEqual(a, b)
  assert.equal(new Set(a.selected).size, 8)
  const counts = new Array<number>(n).fill(0)
  const rng = createRng(4)
  for (let r = 0; r < 3000; r++) for (const c of selectClients('tcs', ctxFor(profiles, topology), 1, rng).selected) counts[c]++
  const p = tcsProbabilities(ctxFor(profiles, topology))
  counts.forEach((c, i) => assert.ok(Math.abs(c / 3000 - p[i]) < 0.03, `client ${i}: ${c / 3000} vs ${p[i]}`))
  const r = selectClients('random', ctxFor(profiles, topology), 5, createRng(1))
  assert.equal(r.maxInclusion, 5 / n)
})

test('tree respects fan-in and depth, covers all selected, and prefers fast D2D paths', () => {
  const n = 12
  const topology = generateTopology(n, createRng(5))
  const selected = Array.from({ length: n }, (_, i) => i)
  const tree = buildTree(selected, topology, 100_000, { maxChildren: 3, maxDepth: 3 })
  assert.deepEqual(postOrder(tree).sort((a, b) => a - b), selected)
  for (const [node, kids] of tree.children) assert.ok(kids.length <= 3, `node ${node} has ${kids.length}`)
  for (const c of selected) assert.ok((tree.depth.get(c) ?? 0) <= 3)
  // each client's path time to the root is no worse than the slowest direct uplink among selected
  // (a relay is only chosen when it beats the alternatives open at that moment)
  const path = (c: number): number => { const p = tree.parent.get(c) ?? ROOT; return p === ROOT ? transferSeconds(topology.rootLinks[c], 100_000) : transferSeconds(topology.links[c][p], 100_000) + path(p) }
  const worstDirect = Math.max(...selected.map(c => transferSeconds(topology.rootLinks[c], 100_000)))
  for (const c of selected) assert.ok(path(c) <= worstDirect * 1.5 + 1e-9, `client ${c}`)
  const star = buildTree(selected, topology, 100_000, { star: true })
  assert.equal(star.children.get(ROOT)?.length, n)
})
