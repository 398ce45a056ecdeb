/**
 * Seeded random network runs (yjs TestConnector style) with Byzantine modes: random delivery order,
 * disconnects and reconnects, then a stable network. Every run must terminate after stabilisation
 * and end with agreement among honest replicas. Small n keeps real signatures and VRF proofs fast.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { binomialCdf, binomialSf, initCoreWasm } from '../../core-wasm/index.ts'
import { pbftQuorum, solveProbft } from '../../core/consensus/quorum.ts'
import type { Strategy } from '../../core/consensus/sim/adversary.ts'
import { TestConnector } from './_connector.ts'

await initCoreWasm()
const math = { binomialSf, binomialCdf }

const SLOTS = 3
const cases: Array<{ protocol: 'probft' | 'pbft', n: number, byzantine: number, strategy: Strategy, seed: number }> = [
  { protocol: 'probft', n: 10, byzantine: 0, strategy: 'silent', seed: 1 },
  { protocol: 'probft', n: 16, byzantine: 5, strategy: 'silent', seed: 2 },
  { protocol: 'probft', n: 10, byzantine: 3, strategy: 'equivocating-leader', seed: 3 },
  { protocol: 'probft', n: 10, byzantine: 3, strategy: 'conflicting-votes', seed: 4 },
  { protocol: 'probft', n: 10, byzantine: 3, strategy: 'forged-vrf', seed: 5 },
  { protocol: 'probft', n: 10, byzantine: 3, strategy: 'garbage', seed: 6 },
  { protocol: 'pbft', n: 7, byzantine: 2, strategy: 'equivocating-leader', seed: 7 }
]

for (const k of cases) {
  test(`${k.protocol} n=${k.n} byzantine=${k.byzantine} ${k.strategy} seed=${k.seed}: terminates and agrees`, () => {
    const f = Math.floor((k.n - 1) / 3)
    const p = k.protocol === 'probft' ? solveProbft(math, { n: k.n, f, targetFailure: 1e-3 }) : null
    if (p != null) assert.ok(p.sampleSize < k.n - 1, 'votes really go to a sample, not to everyone')
    const net = new TestConnector({
      n: k.n, f, byzantine: k.byzantine, protocol: k.protocol, strategy: k.strategy, seed: k.seed,
      sampleSize: p?.sampleSize ?? k.n - 1, quorum: p?.quorum ?? pbftQuorum(k.n, f)
    })
    net.randomSteps(400)
    assert.ok(net.stabilise(SLOTS, 3000), `every honest replica decides ${SLOTS} slots once the network is stable`)
    assert.deepEqual(net.disagreements(), [], 'honest replicas agree on every slot')
    for (let slot = 0; slot < SLOTS; slot++) assert.equal(net.decided.get(slot)?.size, net.honest.length)
    if (k.strategy === 'forged-vrf') {
      const rejected = [...net.replicas.values()].reduce((s, r) => s + r.stats.rejected.badVrf + r.stats.rejected.notInSample, 0)
      assert.ok(rejected > 0, 'forged proofs were seen and rejected')
    }
    if (k.strategy === 'garbage') {
      const malformed = [...net.replicas.values()].reduce((s, r) => s + r.stats.rejected.malformed, 0)
      assert.ok(malformed > 0, 'garbage was seen and rejected')
    }
  })
}
