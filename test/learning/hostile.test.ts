/**
 * The test-only hostile learner's updates (core/learning/live/hostile.ts), in process: its kinds
 * parse strictly, and each body it writes is rejected by the live admission (aggregate-round.ts)
 * with the reason the live hostile test expects; the wrong-base update names another base.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { emptyRejections } from '../../core/learning/index.ts'
import { admitUpdate } from '../../core/learning/live/aggregate-round.ts'
import { HostileKindError, hostileUpdates, parseHostileKinds } from '../../core/learning/live/hostile.ts'

test('hostile kinds parse strictly', () => {
  assert.deepEqual(parseHostileKinds('wrong-base, nan,huge,shape'), ['wrong-base', 'nan', 'huge', 'shape'])
  assert.throws(() => parseHostileKinds('nan,flip'), HostileKindError)
  assert.throws(() => parseHostileKinds(' , '), HostileKindError)
})

test('each hostile body is rejected with its reason; the wrong-base one names another base', () => {
  const size = 1000
  const base = new Uint8Array(32).fill(7)
  const send = hostileUpdates(['wrong-base', 'nan', 'huge', 'shape'])
  const rule = { rule: 'fedavg' as const, clipMedian: false, dp: { clip: 10, sigma: 0, delta: 1e-5 }, seed: 1 }
  for (const want of ['non-finite', 'norm', 'shape', 'non-finite'] as const) {
    const out = send({ round: 1, base, size })
    assert.equal(out.length, 2)
    assert.notDeepEqual(out[0].base, base)
    assert.deepEqual(out[1].base, base)
    const rejected = emptyRejections()
    assert.equal(admitUpdate('p', out[1].body, size, rule, rejected), null)
    assert.equal(rejected[want], 1, `${want}: ${JSON.stringify(rejected)}`)
  }
})
