/**
 * The live ledger's tick length (`tickLength`, core/ledger/live-replica.ts) adapts to measured
 * RTTs and decision durations within its bounds: 2 × p90 RTT, or p90 decision / 8 when decisions
 * are slower than the network, never below 5 ms or above 100 ms (so the view-0 timeout, 24 ticks,
 * stays within 120 ms … 2.4 s). And a LedgerNode reports its tick and decision timings.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MAX_TICK_MS, MIN_TICK_MS, tickLength } from '../../core/ledger/live-replica.ts'
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
