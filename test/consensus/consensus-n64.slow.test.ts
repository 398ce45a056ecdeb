/**
 * Slow suite, n = 64 (f = 21 Byzantine): every strategy with 1 % loss, and the PBFT baseline under an
 * equivocating leader. Every run must terminate and honest replicas must agree.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { binomialCdf, binomialSf, initCoreWasm } from '../../core-wasm/index.ts'
import { simulate, STRATEGIES } from '../../core/consensus/index.ts'

await initCoreWasm()
const quorumMath = { binomialSf, binomialCdf }

for (const strategy of STRATEGIES) {
  test(`probft n=64 byzantine=21 ${strategy}: completes and agrees`, () => {
    const r = simulate({ protocol: 'probft', n: 64, byzantine: 21, strategy, decisions: 2, seed: 64 + strategy.length, partitions: 0, maxTicks: 6000, quorumMath })
    assert.equal(r.safetyViolations, 0)
    assert.equal(r.completed, true, `stopped at tick ${r.ticks}`)
    assert.equal(r.decided, 2)
  })
}

test('pbft n=64 byzantine=21 equivocating-leader: completes and agrees', () => {
  const r = simulate({ protocol: 'pbft', n: 64, byzantine: 21, strategy: 'equivocating-leader', decisions: 2, seed: 64, partitions: 0, maxTicks: 6000, quorumMath })
  assert.equal(r.safetyViolations, 0)
  assert.equal(r.completed, true)
})
