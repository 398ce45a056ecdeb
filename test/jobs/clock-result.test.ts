/**
 * The jobs layer's ledger clock (first stamp sets it, later stamps move it by at most the step,
 * never backwards; the pre-proposal future-stamp check) and the canonical task-result encoding
 * (round trip, garbage → MalformedTaskResultError only).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { checkStamp, decodeTaskResult, encodeTaskResult, LedgerClock } from '../../core/jobs/index.ts'

test('the ledger clock moves forward by at most its step per entry, never back', () => {
  const c = new LedgerClock(1000)
  assert.equal(c.observe(50_000), 50_000)
  assert.equal(c.observe(40_000), 50_000, 'an old stamp does not move time back')
  assert.equal(c.observe(50_400), 50_400)
  assert.equal(c.observe(10_000_000), 51_400, 'a stamp far ahead moves time by one step only')
  assert.equal(checkStamp(100_000, 60_000), 'stamp 100000 is more than 30000 ms ahead of this peer\'s clock')
  assert.equal(checkStamp(80_000, 60_000), undefined)
})

test('task results round-trip; garbage is a MalformedTaskResultError', () => {
  fc.assert(fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.string(), fc.uint8Array(), fc.uint8Array(), (exitCode, error, stdout, stderr) => {
    const back = decodeTaskResult(encodeTaskResult({ exitCode, error, stdout, stderr }))
    assert.deepEqual({ ...back, stdout: Buffer.from(back.stdout), stderr: Buffer.from(back.stderr) }, { exitCode, error, stdout: Buffer.from(stdout), stderr: Buffer.from(stderr) })
  }), { seed: 21 })
  fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), bytes => {
    try { decodeTaskResult(bytes) } catch (e) { assert.equal((e as Error).name, 'MalformedTaskResultError') }
  }), { seed: 22, numRuns: 3000 })
})
