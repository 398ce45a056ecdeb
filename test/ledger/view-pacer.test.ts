/**
 * The ledger's view-timeout backoff (core/ledger/view-pacer.ts): the engine's tick is the base tick
 * times a factor that doubles on each view change without a decision (capped) and halves on each
 * decision, down to a floor derived from the measured decision durations. Unit tests drive it with
 * explicit events (it has no clock of its own); the live test runs 4 in-memory replicas whose
 * decisions take longer than the base view timeout (message delays up to 150 ms, the base tick
 * capped at 5 ms: a 120 ms view-0 timeout) and checks that they still decide and that view changes
 * stop once the factor has grown. (Without the backoff the same network changed views 39–58 times
 * over the 12 entries on a moderately loaded machine, but only 4 times at load 46, where late timers
 * slow the logical clock as much as the messages: not asserted, it depends on the load.)
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { DECISION_MARGIN, MAX_PACED_TICK_MS, MAX_VIEW_BACKOFF, VIEW0_TICKS, ViewPacer } from '../../core/ledger/view-pacer.ts'
import { waitFor } from '../_support/wait.ts'
import { MemNet, ready, seededKey, type MemPeer } from './_memnet.ts'

test('each view change without a decision doubles the factor, up to the cap', () => {
  const p = new ViewPacer()
  assert.equal(p.factor, 1)
  assert.equal(p.tickMs(100), 100)
  p.viewChanged()
  assert.equal(p.factor, 2)
  assert.equal(p.tickMs(100), 200, 'the view-0 timeout is 24 ticks: 4.8 s')
  p.viewChanged(2)
  assert.equal(p.factor, 8)
  for (let i = 0; i < 10; i++) p.viewChanged()
  assert.equal(p.factor, MAX_VIEW_BACKOFF, 'bounded: never grows without limit')
  assert.equal(p.stats.grown, 4)
  assert.equal(p.tickMs(100), MAX_PACED_TICK_MS, 'the paced tick has an absolute cap (a 9.6 s view-0 timeout)')
  assert.equal(p.tickMs(5), 80, 'below it, base × factor')
  assert.equal(p.tickMs(500), 500, 'never below the base tick')
})

test('decisions shrink it back, by halves, to the floor the measured decisions need', () => {
  const p = new ViewPacer()
  p.viewChanged(4)
  assert.equal(p.factor, 16)
  // decisions of 600 ms at a 100 ms base tick: the view-0 timeout (2.4 s) already covers 3 × 600 ms
  const quick = Array.from({ length: 10 }, () => 600)
  p.decided(100, quick); assert.equal(p.factor, 8)
  p.decided(100, quick); assert.equal(p.factor, 4)
  p.decided(100, quick); assert.equal(p.factor, 2)
  p.decided(100, quick); assert.equal(p.factor, 1)
  p.decided(100, quick); assert.equal(p.factor, 1, 'never below 1')
  // decisions of 2.4 s (p90): the floor is 3 × 2.4 s / 2.4 s = 3
  const slow = [...Array.from({ length: 9 }, () => 1000), 2400]
  assert.equal(p.floor(100, slow), DECISION_MARGIN * 2400 / (VIEW0_TICKS * 100))
  p.viewChanged(3)
  assert.equal(p.factor, 8)
  p.decided(100, slow); assert.equal(p.factor, 4)
  p.decided(100, slow); assert.equal(p.factor, 3, 'stops at the floor')
  p.decided(100, slow); assert.equal(p.factor, 3)
  assert.equal(p.tickMs(100), 300)
  // the floor is capped too; a decision raises the factor to the floor, never above it
  assert.equal(p.floor(100, [1e9]), MAX_VIEW_BACKOFF)
  const q = new ViewPacer()
  q.decided(100, [600])
  assert.equal(q.factor, 1, 'decisions well within the timeout: unchanged')
  q.decided(100, [4000])
  assert.equal(q.factor, 5, 'a decision slower than the timeout: straight to the floor (3 × 4 s / 2.4 s), before any view change')
})

test('a cap of 1 turns the backoff off', () => {
  const p = new ViewPacer(1)
  p.viewChanged(5)
  assert.equal(p.factor, 1)
  assert.equal(p.tickMs(7), 7)
})

/** 4 PBFT replicas on a slow in-memory network, 12 entries one at a time: view changes during them. */
async function slowMesh (seed: number): Promise<{ viewChanges: number, factors: number[], heads: number }> {
  const net = new MemNet(seed, 150)
  try {
    const init = { syncIntervalMs: 500, protocol: 'pbft' as const, maxTickMs: 5 }
    const key = await seededKey(`pacer genesis ${seed}`)
    const gid = peerIdFromPrivateKey(key).toString()
    const peers: MemPeer[] = [await net.add(`pacer genesis ${seed}`, { genesisPeerId: gid, ...init }, { key })]
    for (let i = 1; i < 4; i++) peers.push(await net.add(`pacer ${seed} ${i}`, { genesisPeerId: gid, ...init }))
    await waitFor(() => peers.every(p => p.node.status().replicas.length === 4 && p.node.status().replica), { timeout: 120_000, message: '4 replicas' })
    // warm up: the factor settles on this network
    for (let i = 0; i < 4; i++) await peers[i % 4].node.submit({ kind: 'note', data: new TextEncoder().encode(`{"w":${i}}`) }, { timeoutMs: 60_000 })
    const vc = (): number => peers.reduce((s, p) => s + (p.node.status().timing?.viewChanges ?? 0), 0)
    const before = vc()
    for (let i = 0; i < 12; i++) await peers[i % 4].node.submit({ kind: 'note', data: new TextEncoder().encode(`{"i":${i}}`) }, { timeoutMs: 60_000 })
    const viewChanges = vc() - before
    const top = Math.max(...peers.map(p => p.node.status().height))
    await waitFor(() => peers.every(p => p.node.status().height >= top) && new Set(peers.map(p => p.node.status().head)).size === 1, { timeout: 30_000, message: 'one head' })
    for (const p of peers) assert.equal(p.node.anomalies.conflictingDecision, 0)
    return { viewChanges, factors: peers.map(p => p.node.status().timing?.viewBackoff ?? 0), heads: new Set(peers.map(p => p.node.status().head)).size }
  } finally {
    await net.stopAll()
  }
}

test('decisions slower than the base view timeout: the ledger still decides, and views stop changing', { timeout: 600_000 }, async () => {
  await ready()
  const paced = await slowMesh(21)
  console.log(`view changes over 12 entries: ${paced.viewChanges} (factors ${paced.factors.join(',')})`)
  assert.equal(paced.heads, 1)
  assert.ok(paced.factors.every(f => f > 1), `the factor grew on every replica: ${paced.factors.join(',')}`)
  assert.ok(paced.viewChanges <= 12, `fewer view changes than entries, summed over the 4 replicas, once the factor has grown: ${paced.viewChanges}`)
})
