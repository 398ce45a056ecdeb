/**
 * Every wire decoder fuzzed through the shared harness (issue 19): seeded mutations of valid
 * encodings, at least 100,000 inputs per run in total; each input must decode or throw one of
 * the decoder's typed errors, and none may take longer than MAX_MS_PER_INPUT (a hang shows as one
 * slow input; the bound is generous for a loaded 2-core machine, the typical input takes
 * microseconds). FUZZ_SEED changes the seed, FUZZ_SCALE multiplies the iterations.
 */
import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { fuzz, type FuzzTarget } from './harness.ts'
import { allTargets } from './targets.ts'

const SEED = Number(process.env.FUZZ_SEED ?? 19)
const SCALE = Number(process.env.FUZZ_SCALE ?? 1)
const MAX_MS_PER_INPUT = 1000
let targets: FuzzTarget[] = []
let total = 0

before(async () => { targets = await allTargets() })

test('fuzz: every decoder answers garbage with its typed errors only, without hanging', async t => {
  for (const [i, target] of targets.entries()) {
    await t.test(target.name, () => {
      const r = fuzz({ ...target, iterations: Math.round(target.iterations * SCALE) }, SEED + i, MAX_MS_PER_INPUT)
      total += r.inputs
      t.diagnostic(`${target.name}: ${r.inputs} inputs, ${r.accepted} decoded, rejected ${JSON.stringify(r.rejected)}, slowest ${r.slowestMs.toFixed(2)} ms`)
      assert.equal(r.failure, undefined, `input #${r.failure?.index} (${r.failure?.input}): ${r.failure?.problem}`)
      // the mutations reach the error paths (not only inputs that happen to decode)
      assert.ok(Object.values(r.rejected).reduce((a, b) => a + b, 0) > r.inputs / 10, JSON.stringify(r.rejected))
    })
  }
  assert.ok(total >= 100_000 * SCALE, `only ${total} inputs`)
})
