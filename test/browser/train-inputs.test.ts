/** The learning form's checks (app/learning/train-protocol.ts): out-of-range input is an error by its field, never clamped. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { readTrainInputs } from '../../app/learning/train-protocol.ts'

const ok = { rounds: '10', clients: '6', selection: 'tcs', bits: '8' }

test('good input passes through unchanged', () => {
  assert.deepEqual(readTrainInputs(ok), { settings: { rounds: 10, clients: 6, selection: 'tcs', bits: 8 } })
  assert.deepEqual(readTrainInputs({ ...ok, rounds: '50', clients: '20', selection: 'random', bits: '0' }), { settings: { rounds: 50, clients: 20, selection: 'random', bits: 0 } })
})

test('Rounds 0, -3, 100000, 2.5, empty and junk are errors naming the field and the range', () => {
  for (const rounds of ['0', '-3', '100000', '2.5', '', 'ten', '1e9']) {
    const r = readTrainInputs({ ...ok, rounds })
    assert.ok('problems' in r, rounds)
    assert.deepEqual(r.problems.map(p => p.field), ['rounds'], rounds)
    assert.match(r.problems[0].message, /^Rounds: .*from 1 to 50/, rounds)
  }
})

test('every bad field is reported at once', () => {
  const r = readTrainInputs({ ...ok, rounds: '0', clients: '1' })
  assert.ok('problems' in r)
  assert.deepEqual(r.problems.map(p => p.field), ['rounds', 'clients'])
  assert.match(r.problems[1].message, /^Clients: 1 is out of range; enter a whole number from 2 to 20/)
})
