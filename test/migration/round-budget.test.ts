/**
 * The warm pre-copy's stop rule (core/migration/round-budget.ts): the pause's delta is predicted
 * from the task's dirty rate and the time since the last round asked, and fits once the worker's
 * copy time plus those bytes over the measured throughput is within the budget — all from the
 * rounds' own timing. Numbers below are chosen so the expected answer is worked out by hand.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DowntimeBudget } from '../../core/migration/round-budget.ts'

const MB = 1_000_000

test('no prediction before a dirty rate and a throughput are known', () => {
  const b = new DowntimeBudget(300)
  assert.equal(b.fits(0), false)
  // a first round with no checkpoint time: a throughput, but no rate yet
  b.round({ askedAt: 0, copiedAt: 100, sentAt: 1100, deltaBytes: 50 * MB, sentBytes: 50 * MB })
  assert.equal(b.throughput, 50 * MB / 1000)
  assert.equal(b.predicted(1100), undefined)
  assert.equal(b.fits(1100), false)
})

test('the rate comes from the checkpoint the move starts from, then from each round; the pause\'s delta fits once small enough', () => {
  // checkpoint at t=0; round 0 asked at 2000 ms lists 48 MB changed since: 24 KB/ms (24 MB/s)
  const b = new DowntimeBudget(300, 0)
  b.round({ askedAt: 2000, copiedAt: 2100, sentAt: 3100, deltaBytes: 48 * MB, sentBytes: 48 * MB })
  // throughput 48 MB in 1000 ms = 48 KB/ms; the copy took 100 ms: 200 ms left → 9.6 MB allowed
  assert.equal(b.allowed(), 200 * 48 * MB / 1000)
  // at 3100 the pause's delta would be 24 KB/ms × 1100 ms = 26.4 MB: does not fit
  assert.equal(b.predicted(3100), 24 * MB / 1000 * 1100)
  assert.equal(b.fits(3100), false)
  // round 1 asked at 3100: 26.4 MB changed (the same rate), sent in 550 ms, copied in 100 ms
  b.round({ askedAt: 3100, copiedAt: 3200, sentAt: 3750, deltaBytes: 26.4 * MB, sentBytes: 26.4 * MB })
  // pause's delta at 3750: 24 KB/ms × 650 ms = 15.6 MB; allowed 200 ms × (74.4 MB / 1550 ms) = 9.6 MB
  assert.ok(Math.abs((b.predicted(3750) ?? 0) - 15.6 * MB) < 1)
  assert.equal(b.fits(3750), false)
  // round 2: 15.6 MB sent in 325 ms → the pause's delta at 4275 = 24 KB/ms × 525 ms = 12.6 MB; allowed
  // 200 ms × (90 MB / 1875 ms) = 9.6 MB: still out. Round 3: 12.6 MB sent in 212.5 ms → at 4587.5,
  // 24 KB/ms × 312.5 ms = 7.5 MB ≤ 200 ms × (102.6 MB / 2087.5 ms) = 9.8 MB: fits
  b.round({ askedAt: 3750, copiedAt: 3850, sentAt: 4175, deltaBytes: 15.6 * MB, sentBytes: 15.6 * MB })
  assert.equal(b.fits(4275), false)
  b.round({ askedAt: 4275, copiedAt: 4375, sentAt: 4587.5, deltaBytes: 12.6 * MB, sentBytes: 12.6 * MB })
  assert.equal(b.fits(4587.5), true)
})

test('a copy alone over the budget never fits; a larger budget fits sooner; a faster path fits sooner', () => {
  const slowCopy = new DowntimeBudget(300, 0)
  slowCopy.round({ askedAt: 1000, copiedAt: 1400, sentAt: 1500, deltaBytes: 1 * MB, sentBytes: 1 * MB })
  assert.equal(slowCopy.allowed(), 0)
  assert.equal(slowCopy.fits(1500), false)

  const round = { askedAt: 2000, copiedAt: 2100, sentAt: 3100, deltaBytes: 48 * MB, sentBytes: 48 * MB }
  const small = new DowntimeBudget(300, 0)
  const large = new DowntimeBudget(700, 0)
  small.round(round)
  large.round(round)
  // predicted 26.4 MB at 3100; allowed 9.6 MB at 300 ms, 28.8 MB at 700 ms
  assert.equal(small.fits(3100), false)
  assert.equal(large.fits(3100), true)

  const fast = new DowntimeBudget(300, 0)
  fast.round({ ...round, sentAt: 2300 }) // 48 MB in 200 ms: 240 KB/ms → 48 MB allowed
  assert.equal(fast.fits(2300), true, `predicted ${fast.predicted(2300) ?? NaN}, allowed ${fast.allowed() ?? NaN}`)
})

test('a round that sent nothing adds no throughput; one before the checkpoint time gives no rate', () => {
  const b = new DowntimeBudget(300, 5000)
  b.round({ askedAt: 4000, copiedAt: 4100, sentAt: 4100, deltaBytes: 0, sentBytes: 0 })
  assert.equal(b.throughput, undefined)
  assert.equal(b.predicted(4200), undefined)
  assert.equal(b.fits(4200), false)
})

test('auto-converge from the first round: the throttle that makes each round about `ratio` of the one before', () => {
  // checkpoint at t=0; the first delta, asked at 2000 ms, lists 40 MB changed: 20 KB/ms
  const b = new DowntimeBudget(0, 0)
  assert.equal(b.throttleFor(0.25), 0, 'no rate, no throughput: no throttle')
  b.copied({ askedAt: 2000, copiedAt: 2100, deltaBytes: 40 * MB })
  assert.equal(b.dirtyRate, 20 * MB / 1000)
  assert.equal(b.throttleFor(0.25), 0, 'a rate but no throughput yet: no throttle')
  // its first 5 MB went out in 400 ms: 12.5 KB/ms, slower than the task dirties (a 100 Mbit/s link)
  b.sent(5 * MB, 400)
  // the task may dirty 0.25 × 12.5 = 3.125 KB/ms: it sleeps 1 − 3.125 / 20 = 84.4 % → 85
  assert.equal(b.throttleFor(0.25), 85)
  // the same rate measured while the task already slept 50 %: at full speed it dirties 40 KB/ms
  assert.equal(b.throttleFor(0.25, 50), 93)
  // a path that keeps up (100 KB/ms: 0.25 × 100 > 20) needs none; a tiny ratio is capped
  const fast = new DowntimeBudget(0, 0)
  fast.copied({ askedAt: 2000, copiedAt: 2100, deltaBytes: 40 * MB })
  fast.sent(40 * MB, 400)
  assert.equal(fast.throttleFor(0.25), 0)
  assert.equal(b.throttleFor(0.001), 95)
  assert.equal(b.throttleFor(0.001, 0, 80), 80)
  assert.equal(b.throttleFor(0), 0, 'ratio 0: off')
  // a budget of 0 never stops pre-copy (a cold move keeps only the meter)
  assert.equal(b.fits(2100), false)
})

test('a round recorded whole counts as its delta and its chunks sent', () => {
  const whole = new DowntimeBudget(300, 0)
  const parts = new DowntimeBudget(300, 0)
  whole.round({ askedAt: 2000, copiedAt: 2100, sentAt: 3100, deltaBytes: 48 * MB, sentBytes: 48 * MB })
  parts.copied({ askedAt: 2000, copiedAt: 2100, deltaBytes: 48 * MB })
  parts.sent(16 * MB, 300)
  parts.sent(32 * MB, 700)
  assert.equal(parts.throughput, whole.throughput)
  assert.equal(parts.predicted(3100), whole.predicted(3100))
  assert.equal(parts.allowed(), whole.allowed())
})
