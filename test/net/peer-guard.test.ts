/** PeerGuard, the pure per-peer budget and strike machine behind the mesh's rate limits. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { PeerGuard } from '../../core/net/index.ts'

test('a token bucket per key and peer: the burst, then the refill rate', () => {
  const g = new PeerGuard({ budgets: new Map([['/p', { ratePerSec: 2, burst: 3 }]]) })
  const allowed = (peer: string, t: number): boolean => g.allow('/p', peer, t)
  assert.deepEqual([0, 0, 0, 0].map(t => allowed('a', t)), [true, true, true, false])
  assert.equal(allowed('b', 0), true, 'peers have separate buckets')
  assert.equal(allowed('a', 400), false, '0.8 tokens after 400 ms')
  assert.equal(allowed('a', 500), true, 'one token after 500 ms')
  assert.equal(allowed('a', 10_000), true)
  assert.equal(g.allow('/unlimited', 'a', 0), true, 'keys without a budget are unlimited')
})

test('strikes: the limit within the window disconnects; old strikes expire; forgive resets', () => {
  const g = new PeerGuard({ budgets: new Map(), strikeLimit: 3, strikeWindowMs: 1000 })
  assert.deepEqual([0, 10, 20].map(t => g.strike('a', t)), [false, false, true])
  g.forgive('a')
  assert.equal(g.strikesOf('a', 30), 0)
  assert.deepEqual([0, 600, 1200, 1300].map(t => g.strike('b', t)), [false, false, false, true])
})

test('memory stays bounded whatever ids peers use', () => {
  const g = new PeerGuard({ budgets: new Map([['/p', { ratePerSec: 1, burst: 1 }]]), maxTracked: 100 })
  for (let i = 0; i < 50_000; i++) { g.allow('/p', `peer-${i}`, i); g.strike(`peer-${i}`, i) }
  assert.ok(g.tracked <= 200, `${g.tracked} tracked`)
})
