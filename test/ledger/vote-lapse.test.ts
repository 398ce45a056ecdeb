/**
 * Replicas that answer but stop voting (core/ledger/vote-lapse.ts, epochs.ts). First the rule
 * alone: a replica is reported only when its votes were absent from K of our decisions AND for the
 * time bound, any vote of its own (a late one too) clears it, and a slow replica whose votes keep
 * coming is never reported. Then over the in-memory network: a mute replica (answers probes and
 * sync, sends no engine message) admitted third, into an epoch of 3, used to stall the ledger for
 * good — every view it led needed its VIEW-CHANGE (NEW-VIEW takes n − f with f = 0) and it was
 * never removed. Now the other two leave its views, keep committing, and remove it for not voting.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { MSG_COMMIT, MSG_PREPARE, seal, writeDecisionRequestBody, writeHeaderBody, writePropose, writeViewChangeBody, writeVoteBody } from '../../core/consensus/codec.ts'
import { sizeEpoch } from '../../core/ledger/epochs.ts'
import type { LedgerNodeInit } from '../../core/ledger/ledger-node.ts'
import { signerOf, VoteLapses } from '../../core/ledger/vote-lapse.ts'
import { waitFor } from '../_support/wait.ts'
import { MemNet, quorumMath, ready, seededKey } from './_memnet.ts'

const sig = new Uint8Array(64)
const header = (leader: number): Uint8Array => seal(writeHeaderBody(leader, 9, 0, new Uint8Array(32)), sig)

test('signerOf: the index a PROPOSE, vote, VIEW-CHANGE is signed as; nothing for a request or garbage', () => {
  assert.equal(signerOf(writePropose(header(2), new Uint8Array([1, 2]))), 2)
  assert.equal(signerOf(seal(writeVoteBody(MSG_PREPARE, 5, header(2), new Uint8Array(0)), sig)), 5)
  assert.equal(signerOf(seal(writeVoteBody(MSG_COMMIT, 6, header(2), new Uint8Array(0)), sig)), 6)
  assert.equal(signerOf(seal(writeViewChangeBody(3, 9, 1, [], new Uint8Array(0)), sig)), 3)
  assert.equal(signerOf(seal(writeDecisionRequestBody(4, 9), sig)), undefined, 'asking is not voting')
  assert.equal(signerOf(new Uint8Array([3])), undefined)
  assert.equal(signerOf(new Uint8Array(0)), undefined)
})

test('VoteLapses: K decisions and the time bound, both; a vote of its own clears it; state survives an epoch change', () => {
  let now = 0
  const v = new VoteLapses({ now: () => now, decisions: () => 4, ms: () => 10_000 })
  const set = [{ peerId: 'me' }, { peerId: 'mute' }, { peerId: 'slow' }, { peerId: 'forger' }]
  v.track(['mute', 'slow', 'forger'])
  // a burst: many decisions in a second, nobody reported (the time bound)
  for (let i = 0; i < 20; i++) v.decided()
  now = 1000
  assert.deepEqual(v.lapsed(), [])
  // a long idle spell: time passes without decisions; the slow replica's late votes keep coming
  now = 60_000
  v.heard('slow', set, seal(writeVoteBody(MSG_COMMIT, 2, header(0), new Uint8Array(0)), sig))
  // a vote signed as another replica does not count for the one that sent it
  v.heard('forger', set, seal(writeVoteBody(MSG_COMMIT, 1, header(0), new Uint8Array(0)), sig))
  assert.deepEqual(v.lapsed().sort(), ['forger', 'mute'])
  assert.deepEqual(v.state('mute'), { missed: 20, sinceMs: 60_000 })
  // the slow one: 3 decisions then a late vote, again and again, never reported
  for (let round = 0; round < 10; round++) {
    for (let i = 0; i < 3; i++) { v.decided(); now += 5000 }
    assert.ok(!v.lapsed().includes('slow'), `round ${round}`)
    v.heard('slow', set, seal(writeVoteBody(MSG_PREPARE, 2, header(0), new Uint8Array(0)), sig))
  }
  // a new epoch: the mute one stays lapsed (its count carries over), a newcomer starts afresh
  v.track(['mute', 'new'])
  assert.deepEqual(v.lapsed(), ['mute'])
  assert.equal(v.state('slow'), undefined)
  assert.equal(v.state('new')?.missed, 0)
  v.heard('mute', [{ peerId: 'me' }, { peerId: 'mute' }], writePropose(header(1), new Uint8Array([1])))
  assert.deepEqual(v.lapsed(), [], 'a proposal of its own is taking part')
})

test('epochs below 4: f counts the crashes q leaves room for (1 at n = 3), so a NEW-VIEW needs only q VIEW-CHANGEs', () => {
  const r = (i: number): { peerId: string, since: number, signPublic: Uint8Array, vrfPublic: Uint8Array } => ({ peerId: `p${i}`, since: 0, signPublic: new Uint8Array(32), vrfPublic: new Uint8Array(32) })
  const sizes = [1, 2, 3].map(n => sizeEpoch(0, 0, Array.from({ length: n }, (_, i) => r(i)), 'probft', quorumMath))
  assert.deepEqual(sizes.map(e => [e.n, e.quorum, e.f, e.protocol]), [[1, 1, 0, 'pbft'], [2, 2, 0, 'pbft'], [3, 2, 1, 'pbft']])
  for (const e of sizes) assert.ok(e.n - e.f >= e.quorum && 2 * e.quorum > e.n, 'crash-safe: two quorums share a replica')
})

test('a mute replica admitted third no longer stalls the ledger, and is removed for not voting', { timeout: 120_000 }, async () => {
  await ready()
  const net = new MemNet(5)
  try {
    const key = await seededKey('lapse genesis')
    const base: LedgerNodeInit = {
      genesisPeerId: peerIdFromPrivateKey(key).toString(), syncIntervalMs: 500, removeAfterMs: 60_000, maxRejectsPerMinute: 1_000_000,
      voteLapseDecisions: 4,
      voteLapseMs: 3000,
      // view timeouts a mute leader costs kept short (base tick ≤ 25 ms, backoff ≤ 2; defaults 100 ms
      // and 16, up to 24 × 100 × 16 ms = 38 s for one view at load: a 20 s submit then timed out)
      maxTickMs: 25,
      maxViewBackoff: 2
    }
    const g = await net.add('g', base, { key })
    const h = await net.add('lapse h', base)
    await waitFor(() => g.node.status().replicas.length === 2 && h.node.status().replicas.length === 2, { timeout: 30_000, message: 'two replicas' })
    const mute = await net.add('lapse mute', { ...base, hostile: 'mute' })
    await waitFor(() => g.node.status().replicas.length === 3, { timeout: 30_000, message: 'the mute replica admitted third' })
    const removedAt: number[] = []
    g.node.addEventListener('epoch', e => { if (!e.detail.replicas.some(r => r.peerId === mute.id)) removedAt.push(e.detail.epoch) })
    // before the fix the first slot the mute replica led never decided: this submit timed out
    let i = 0
    const note = async (): Promise<number> => (await h.node.submit({ kind: 'note', data: new TextEncoder().encode(JSON.stringify({ lapse: i++ })) }, { timeoutMs: 20_000 })).slot
    for (let k = 0; k < 4; k++) await note()
    await waitFor(async () => {
      if (removedAt.length > 0) return true
      await note()
      return false
    }, { timeout: 60_000, interval: 10, message: () => `the mute replica removed (${JSON.stringify(g.node.voteLapses.state(mute.id))})` })
    const top = await note()
    await waitFor(() => g.node.status().height >= top, { timeout: 20_000, message: 'commits after the removal' })
    // it was left by view change while it was in: its views lapsed (skipped or timed out)
    const t = g.node.status().timing
    assert.ok((t?.viewChanges ?? 0) + (t?.leaderSkips ?? 0) > 0, JSON.stringify(t))
  } finally {
    await net.stopAll()
  }
})
