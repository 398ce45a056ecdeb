/**
 * The live ledger's tick length (`tickLength`, core/ledger/live-replica.ts) adapts to measured
 * RTTs and decision durations within its bounds: 2 × p90 RTT, or p90 decision / 8 when decisions
 * are slower than the network, never below 5 ms or above 100 ms (so the view-0 timeout, 24 ticks,
 * stays within 120 ms … 2.4 s). Decisions that waited on the engine's nudge but needed no view
 * change are left out of the measurement (`noteDecision`): fed back, they made the tick grow to its
 * cap. And a LedgerNode
 * reports its tick and decision timings.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import * as prng from 'lib0/prng'
import { MAX_TICK_MS, MIN_TICK_MS, noteDecision, tickLength } from '../../core/ledger/live-replica.ts'
import { MAX_PACED_TICK_MS, ViewPacer } from '../../core/ledger/view-pacer.ts'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { waitFor } from '../_support/wait.ts'
import { MemNet, ready, seededKey } from './_memnet.ts'

test('tick = clamp(max(2 × p90 RTT, p90 decision / 8), 5, 100)', () => {
  assert.equal(tickLength([], []), 20, 'nothing measured yet')
  assert.equal(tickLength([10, 12, 15], []), 30, 'RTT-driven')
  assert.equal(tickLength([1, 1, 1], []), MIN_TICK_MS, 'loopback: the floor')
  assert.equal(tickLength([1, 1, 1], [200, 240, 400]), 50, 'decisions slower than the network: p90 decision / 8')
  assert.equal(tickLength([30], [80]), 60, 'the larger of the two')
  assert.equal(tickLength([400], []), MAX_TICK_MS, 'a slow network: the cap')
  assert.equal(tickLength([1], [60_000]), MAX_TICK_MS, 'a stalled decision cannot push the timeout beyond the cap')
  // p90 ignores a few outliers
  const rtts = [...Array.from({ length: 19 }, () => 4), 500]
  assert.equal(tickLength(rtts, []), 8)
})

/**
 * The loop, modelled with the real rules (tickLength, ViewPacer): decisions take 40 ms on their
 * normal path, but one in three (seeded) misses its sampled quorum and decides only after the
 * engine's nudge, 8 paced ticks after the slot started, plus 40 ms (its request and the answer). Each decision goes into the
 * ring as `noteDecision` says, then the base tick and the pacer are re-measured.
 */
function simulate (leaveOutNudged: boolean): { base: number, paced: number } {
  const rng = prng.create(15)
  const ring: number[] = []
  const pacer = new ViewPacer()
  let base = tickLength([1], ring)
  for (let i = 0; i < 1000; i++) {
    const nudged = prng.int32(rng, 0, 2) === 0
    const took = nudged ? 8 * pacer.tickMs(base) + 40 : 40
    noteDecision(ring, took, { nudged: leaveOutNudged && nudged, viewChanged: false })
    base = tickLength([1], ring)
    pacer.decided(base, ring)
  }
  return { base, paced: pacer.tickMs(base) }
}

test('decisions that waited on the engine\'s nudge (and changed no view) do not lengthen the tick (the ProBFT n = 16 feedback loop)', () => {
  const fed = simulate(false)
  assert.equal(fed.base, MAX_TICK_MS, 'fed back, the nudge waits push the base tick to its cap')
  assert.ok(fed.paced > 2 * MAX_TICK_MS && fed.paced <= MAX_PACED_TICK_MS, `and the pacer above it, with no view change at all (paced ${fed.paced} ms)`)
  const left = simulate(true)
  assert.equal(left.base, MIN_TICK_MS, 'left out: 40 ms / 8 = 5 ms, the normal path')
  assert.ok(left.paced <= 2 * MIN_TICK_MS, `paced ${left.paced} ms`)
  const ring: number[] = []
  assert.equal(noteDecision(ring, 900, { nudged: true, viewChanged: false }), false, 'nudged, decided in its first view: left out')
  assert.equal(noteDecision(ring, 30, { nudged: false, viewChanged: false }), true)
  assert.equal(noteDecision(ring, 2500, { nudged: true, viewChanged: true }), true, 'slower than a view timeout: the pacer must learn it')
  assert.deepEqual(ring, [30, 2500])
  for (let i = 0; i < 100; i++) noteDecision(ring, i, { nudged: false, viewChanged: false })
  assert.equal(ring.length, 32, 'a bounded ring (RECENT_DECISIONS)')
})

test('a replica reports its tick and decision timings in status()', { timeout: 60_000 }, async () => {
  await ready()
  const net = new MemNet(7)
  try {
    const key = await seededKey('tick genesis')
    const gid = peerIdFromPrivateKey(key).toString()
    const boot = await net.add('tick genesis', { genesisPeerId: gid }, { key })
    await boot.node.submit({ kind: 'note', data: new TextEncoder().encode('{"t":1}') })
    const t = await waitFor(() => { const x = boot.node.status().timing; return x != null && x.decided >= 1 && x.commits >= 1 ? x : null }, { timeout: 20_000, message: 'a decision in status().timing' })
    assert.ok(t.tickMs >= MIN_TICK_MS && t.tickMs <= MAX_TICK_MS, `tick ${t.tickMs}`)
    assert.ok(t.decideMs >= 0 && t.commitMs >= 0)
    assert.equal(t.viewChanges, 0)
  } finally {
    await net.stopAll()
  }
})

test('ProBFT replicas prove their next slot\'s votes ahead of time, and still agree', { timeout: 120_000 }, async () => {
  await ready()
  const net = new MemNet(11)
  try {
    const key = await seededKey('prewarm genesis')
    const gid = peerIdFromPrivateKey(key).toString()
    const peers = [await net.add('prewarm genesis', { genesisPeerId: gid, syncIntervalMs: 500 }, { key })]
    for (let i = 1; i < 4; i++) peers.push(await net.add(`prewarm ${i}`, { genesisPeerId: gid, syncIntervalMs: 500 }))
    await waitFor(() => peers.every(p => p.node.status().replicas.length === 4 && p.node.status().replica), { timeout: 90_000, message: '4 replicas' })
    assert.equal(peers[0].node.status().protocol, 'probft')
    for (let i = 0; i < 6; i++) await peers[i % 4].node.submit({ kind: 'note', data: new TextEncoder().encode(`{"i":${i}}`) })
    const top = peers[0].node.status().height
    await waitFor(() => peers.every(p => p.node.status().height >= top) && new Set(peers.map(p => p.node.status().head)).size === 1, { timeout: 30_000, message: 'one head' })
    const prewarmed = peers.map(p => p.node.status().verification?.proofsPrewarmed ?? 0)
    assert.ok(prewarmed.some(x => x > 0), `proofs served from ahead of time: ${prewarmed.join(',')}`)
    for (const p of peers) assert.equal(p.node.anomalies.conflictingDecision, 0)
  } finally {
    await net.stopAll()
  }
})
