/**
 * The fuzz harness itself (test/fuzz/harness.ts): an input that is slow every time it is decoded
 * fails the bound; one slow run of an input that is fast when timed again (a GC pause, a stalled
 * process) does not; an untyped error is a failure.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fuzz, type FuzzTarget } from './harness.ts'

const spin = (ms: number): void => { const end = performance.now() + ms; while (performance.now() < end) { /* busy */ } }
const seeds = [Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8)]
const base: Omit<FuzzTarget, 'decode'> = { name: 'probe', seeds, errors: ['RangeError'], iterations: 400 }

test('an input that is slow every time fails the bound, with its index', () => {
  const r = fuzz({ ...base, decode: b => { if (b.length > 8) spin(30) } }, 7, 10)
  assert.ok(r.failure != null, 'a slow input is reported')
  assert.match(r.failure.problem, /took \d+\.\d ms at best of 4 runs \(bound 10 ms\)/)
})

test('one stalled run of an input that is fast when timed again is not a failure', () => {
  let stalled = false
  const r = fuzz({ ...base, decode: b => { if (b.length > 8 && !stalled) { stalled = true; spin(30) } } }, 7, 10)
  assert.equal(r.failure, undefined)
  assert.ok(stalled, 'the stall happened')
  assert.ok(r.slowestMs < 10, `the input counts at its fastest (${r.slowestMs} ms)`)
})

test('an untyped error is a failure; a typed one is counted', () => {
  const typed = fuzz({ ...base, decode: b => { if (b.length !== 8) throw new RangeError('length') } }, 7, 1000)
  assert.equal(typed.failure, undefined)
  assert.ok((typed.rejected.RangeError ?? 0) > 0)
  const untyped = fuzz({ ...base, decode: b => { if (b.length !== 8) throw new TypeError('boom') } }, 7, 1000)
  assert.match(untyped.failure?.problem ?? '', /untyped error TypeError: boom/)
})
