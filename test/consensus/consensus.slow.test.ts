/**
 * Larger consensus runs for `npm run test:slow`: n = 32 and 64 with f = ⌊(n−1)/3⌋ Byzantine
 * replicas under every strategy with message loss; a partition that heals at n = 32; every run must
 * finish and honest replicas must agree. Also 50 seeded equivocation runs at n = 16.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { binomialCdf, binomialSf, initCoreWasm } from '../../core-wasm/index.ts'
import { simulate, STRATEGIES } from '../../core/consensus/index.ts'

await initCoreWasm()
const quorumMath = { binomialSf, binomialCdf }

for (const n of [32, 64]) {
  const f = Math.floor((n - 1) / 3)
  for (const strategy of STRATEGIES) {
    test(`probft n=${n} byzantine=${f} ${strategy}: completes and agrees`, () => {
      const r = simulate({ protocol: 'probft', n, byzantine: f, strategy, decisions: 3, seed: n + strategy.length, partitions: 0, maxTicks: 6000, quorumMath })
      assert.equal(r.safetyViolations, 0)
      assert.equal(r.completed, true)
      assert.equal(r.decided, 3)
    })
  }
  test(`pbft n=${n} byzantine=${f} equivocating-leader: completes and agrees`, () => {
    const r = simulate({ protocol: 'pbft', n, byzantine: f, strategy: 'equivocating-leader', decisions: 3, seed: n, partitions: 0, maxTicks: 6000, quorumMath })
    assert.equal(r.safetyViolations, 0)
    assert.equal(r.completed, true)
  })
}

test('probft n=32, no Byzantine, a partition in the first 20 ticks: heals and completes', () => {
  const r = simulate({ protocol: 'probft', n: 32, decisions: 3, seed: 9, partitions: 1, partitionTicks: 40, partitionHorizon: 20, maxTicks: 6000, quorumMath })
  assert.ok(r.network.partitioned > 0)
  assert.equal(r.safetyViolations, 0)
  assert.equal(r.completed, true)
})

test('50 seeded equivocation runs at n = 16, f = 5: no safety violation', () => {
  let violations = 0
  for (let seed = 0; seed < 50; seed++) {
    violations += simulate({ protocol: 'probft', n: 16, byzantine: 5, strategy: 'equivocating-leader', decisions: 3, seed, quorumMath }).safetyViolations
  }
  assert.equal(violations, 0)
})
