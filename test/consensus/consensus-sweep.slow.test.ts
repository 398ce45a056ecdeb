/**
 * Slow suite: the first 40 runs of the seeded safety sweep (core/consensus/sim/sweep.ts; the
 * benchmark runs 1,000): n = 16 and 32, f = ⌊(n−1)/3⌋ Byzantine, every strategy, a third of them
 * during a partition. No violation, every run terminates.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { binomialCdf, binomialSf, initCoreWasm } from '../../core-wasm/index.ts'
import { simulate } from '../../core/consensus/index.ts'
import { summariseSweep, sweepCase, sweepOutcome } from '../../core/consensus/sim/sweep.ts'

await initCoreWasm()
const quorumMath = { binomialSf, binomialCdf }

test('the first 40 runs of the seeded safety sweep: no violation, every run terminates', () => {
  const outcomes = Array.from({ length: 40 }, (_, i) => {
    const c = sweepCase(i)
    return sweepOutcome(c, simulate({ ...c, quorumMath }))
  })
  const s = summariseSweep(outcomes)
  assert.equal(s.safetyViolations, 0)
  assert.equal(s.runsNotCompleted, 0)
  const equivocating = outcomes.filter(o => o.strategy === 'equivocating-leader').length
  assert.ok(equivocating >= 15, 'half the plan is an equivocating leader')
  assert.ok(s.byStrategy['equivocating-leader'].attackedViews >= equivocating, 'every equivocating run really attacked a view')
  assert.ok(s.byStrategy['conflicting-votes'].attackedViews > 0, 'conflicting votes under a Byzantine leader attacked too')
  assert.deepEqual(Object.keys(s.byN).sort(), ['16', '32'])
})
