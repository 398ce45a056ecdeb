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
import { MemNet, quorumMath, ready, seededKey, type MemPeer } from './_memnet.ts'

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

/** Short vote-lapse bounds (4 decisions, 3 s) and short view timeouts a mute leader costs (base tick
 * ≤ 25 ms, backoff ≤ 2; defaults 100 ms and 16, up to 24 × 100 × 16 ms = 38 s for one view at load:
 * a 20 s submit then timed out). */
function lapseInit (genesisPeerId: string): LedgerNodeInit {
  return { genesisPeerId, syncIntervalMs: 500, removeAfterMs: 60_000, maxRejectsPerMinute: 1_000_000, voteLapseDecisions: 4, voteLapseMs: 3000, maxTickMs: 25, maxViewBackoff: 2 }
}

/** An in-memory network with its genesis peer `name` started (`lapseInit`). */
async function lapseMesh (seed: number, name: string): Promise<{ net: MemNet, base: LedgerNodeInit, g: MemPeer }> {
  await ready()
  const net = new MemNet(seed)
  const key = await seededKey(`${name} genesis`)
  const base = lapseInit(peerIdFromPrivateKey(key).toString())
  return { net, base, g: await net.add(name, base, { key }) }
}

test('a mute replica admitted third no longer stalls the ledger, and is removed for not voting', { timeout: 120_000 }, async () => {
  const { net, base, g } = await lapseMesh(5, 'g')
  try {
    const h = await net.add('lapse h', base)
    // h waits as the pending joiner (admission.ts: a single replica admits joiners two at a time)
    await waitFor(async () => (await g.node.log(0, 100)).some(e => e.kind === 'join' && e.author === h.id), { timeout: 30_000, message: "h's join committed" })
    const mute = await net.add('lapse mute', { ...base, hostile: 'mute' })
    await waitFor(() => g.node.status().replicas.length === 3 && h.node.status().replicas.length === 3, { timeout: 30_000, message: 'the mute replica admitted third' })
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

test('a mute first joiner no longer stalls a fresh mesh: it waits for a second joiner, and the epoch of 3 removes it', { timeout: 120_000 }, async () => {
  const { net, base, g } = await lapseMesh(6, 'first g')
  try {
    const sizes: number[] = []
    g.node.addEventListener('epoch', e => { sizes.push(e.detail.replicas.length) })
    const mute = await net.add('first mute', { ...base, hostile: 'mute' })
    // the mute peer's join commits first: before admission.ts it made an epoch of 2 (q = 2) that
    // never decided again — the next join (h's) could not commit, and h's submit timed out
    await waitFor(async () => (await g.node.log(0, 100)).some(e => e.kind === 'join' && e.author === mute.id), { timeout: 30_000, message: "the mute peer's join committed" })
    const h = await net.add('first h', base)
    await waitFor(() => h.node.status().replica, { timeout: 30_000, message: 'h admitted (with the mute peer: 1 → 3)' })
    let i = 0
    const note = async (): Promise<number> => (await h.node.submit({ kind: 'note', data: new TextEncoder().encode(JSON.stringify({ first: i++ })) }, { timeoutMs: 20_000 })).slot
    await waitFor(async () => {
      if (!g.node.status().replicas.some(r => r.peerId === mute.id) && g.node.status().replicas.length >= 2) return true
      await note()
      return false
    }, { timeout: 60_000, interval: 10, message: () => `the mute peer removed (${JSON.stringify(g.node.status().replicas.map(r => r.peerId))})` })
    const top = await note()
    await waitFor(() => g.node.status().height >= top, { timeout: 20_000, message: 'commits after the removal' })
    assert.equal(sizes.indexOf(2) < sizes.indexOf(3), false, `1 → 3 first, never an epoch of 2 while the mute peer was pending (${sizes.join(' → ')})`)
  } finally {
    await net.stopAll()
  }
})
