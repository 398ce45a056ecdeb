/**
 * Larger consensus runs for `npm run test:slow`, n = 32 (f = 10 Byzantine): every strategy with
 * 1 % loss and a partition that heals while the attack runs, the PBFT baseline under an
 * equivocating leader, and a partition with no Byzantine replica. Every run must terminate once the
 * network is stable and honest replicas must agree. n = 64 and the safety sweep are in their own
 * slow files (each file runs under the test runner's 15-minute limit).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { binomialCdf, binomialSf, initCoreWasm } from '../../core-wasm/index.ts'
import { simulate, STRATEGIES } from '../../core/consensus/index.ts'

await initCoreWasm()
const quorumMath = { binomialSf, binomialCdf }
const n = 32
const f = 10

for (const strategy of STRATEGIES) {
  test(`probft n=32 byzantine=10 ${strategy} + partition: completes and agrees`, () => {
    // a partition of 30 ticks starting in the first 10 (the attack runs while it lasts)
    const r = simulate({ protocol: 'probft', n, byzantine: f, strategy, decisions: 3, seed: n + strategy.length, partitions: 1, partitionTicks: 30, partitionHorizon: 10, maxTicks: 6000, quorumMath })
    assert.ok(r.network.partitioned > 0, 'the partition cut messages')
    assert.equal(r.safetyViolations, 0)
    assert.equal(r.completed, true, `stopped at tick ${r.ticks}`)
    assert.equal(r.decided, 3)
  })
}

test('pbft n=32 byzantine=10 equivocating-leader: completes and agrees', () => {
  const r = simulate({ protocol: 'pbft', n, byzantine: f, strategy: 'equivocating-leader', decisions: 3, seed: n, partitions: 0, maxTicks: 6000, quorumMath })
  assert.equal(r.safetyViolations, 0)
  assert.equal(r.completed, true)
})

test('probft n=32, no Byzantine, a partition in the first 4 ticks: heals and completes', () => {
  // the partition must overlap the run: a good-case decision takes ~3 ticks, so it starts in [0, 4)
  // (it used to start anywhere in [0, 20), after the run had already finished: partitioned = 0)
  const r = simulate({ protocol: 'probft', n, decisions: 3, seed: 9, partitions: 1, partitionTicks: 40, partitionHorizon: 4, maxTicks: 6000, quorumMath })
  assert.ok(r.network.partitioned > 0, 'the partition cut messages')
  assert.equal(r.safetyViolations, 0)
  assert.equal(r.completed, true)
  assert.equal(r.decided, 3)
})
