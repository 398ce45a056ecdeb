/** Durations in words on the page (app/view/time.ts): "in 10 min", never "in 598 s". */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { duration, relative } from '../../app/view/time.ts'

test('durations read in the largest sensible unit', () => {
  const cases: Array<[number, string]> = [
    [0, '0 s'], [-5000, '0 s'], [400, '0 s'], [1_600, '2 s'], [59_000, '59 s'], [59_600, '1 min'],
    [598_000, '10 min'], [600_000, '10 min'], [3_569_000, '59 min'], [3_600_000, '1 h'],
    [3_900_000, '1 h 5 min'], [86_399_000, '1 day'], [82_800_000, '23 h'], [86_400_000, '1 day'], [10 * 86_400_000, '10 days']
  ]
  for (const [ms, words] of cases) assert.equal(duration(ms), words, `${ms} ms`)
})

test('a time relative to now: in …, now, … ago', () => {
  assert.equal(relative(598_000, 0), 'in 10 min')
  assert.equal(relative(1_000, 1_200), 'now')
  assert.equal(relative(0, 5_000), '5 s ago')
})
