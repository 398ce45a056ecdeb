/**
 * Byzantine replicas through the ledger shell (in-memory network, seeded delays): 2 of 7 replicas
 * run a hostile mode (core/ledger/hostile.ts) — an equivocating leader with conflicting votes, then
 * forged VRF use with garbage frames, then two mute replicas (no proposal, no vote, no answer to a
 * DECISION-REQUEST; probes still answered, so they are not removed as silent). Honest replicas never
 * commit different blocks at a height, entries submitted by honest peers keep committing (each
 * within its submit timeout), rejections are counted, equivocation evidence gets the equivocating
 * leader removed, and the mute leaders' views are left by view change until the mute replicas are
 * removed for not voting (vote-lapse.ts; vote-lapse.test.ts has the epoch of 3).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import type { LedgerNodeInit } from '../../core/ledger/ledger-node.ts'
import { waitFor } from '../_support/wait.ts'
import { MemNet, ready, seededKey, type MemPeer } from './_memnet.ts'

/**
 * 5 honest replicas and 2 hostile ones. With `honestFirst`, the hostile two start only once the 5
 * honest peers are replicas (the mute case: an epoch of 7 with 2 mute replicas, f = 2).
 */
async function cluster (seed: number, hostile: [LedgerNodeInit['hostile'], LedgerNodeInit['hostile']], honestFirst = false, extra: Partial<LedgerNodeInit> = {}): Promise<{ net: MemNet, honest: MemPeer[], bad: MemPeer[] }> {
  await ready()
  const net = new MemNet(seed)
  const key = await seededKey(`byz ${seed} genesis`)
  const gid = peerIdFromPrivateKey(key).toString()
  const base: LedgerNodeInit = { genesisPeerId: gid, syncIntervalMs: 500, removeAfterMs: 60_000, maxRejectsPerMinute: 1_000_000, ...extra }
  try {
    const honest = [await net.add('g', base, { key })]
    for (let i = 1; i < 5; i++) honest.push(await net.add(`byz ${seed} ${i}`, base))
    if (honestFirst) await waitFor(() => honest.every(p => p.node.status().replicas.length === 5), { timeout: 60_000, message: () => `5 honest replicas (${honest.map(p => p.node.status().replicas.length).join(',')})` })
    const bad = [await net.add(`byz ${seed} 5`, { ...base, hostile: hostile[0] }), await net.add(`byz ${seed} 6`, { ...base, hostile: hostile[1] })]
    // an equivocator can be caught while the set forms (it leads a slot of joins): its evidence
    // commits, it is removed and refused re-entry, and the honest peers stay at 6 for good
    const caught = async (): Promise<boolean> => (await honest[0].node.log(0, 1000)).some(e => e.kind === 'evidence' && e.applied)
    const formed = async (): Promise<boolean> => [...honest, ...bad].every(p => p.node.status().replicas.length === 7) ||
      (honest.every(p => p.node.status().replicas.length === 6) && await caught())
    await waitFor(formed, { timeout: 60_000, message: () => `7 replicas (${honest.map(p => p.node.status().replicas.length).join(',')}; missing ${[...honest, ...bad].filter(p => !honest[0].node.status().replicas.some(r => r.peerId === p.id)).map(p => `${p === bad[0] || p === bad[1] ? 'hostile' : 'honest'}: ${JSON.stringify(honest[0].node.voteLapses.state(p.id) ?? null)}`).join(', ')})` })
    return { net, honest, bad }
  } catch (err) {
    await net.stopAll() // or its timers keep the test process alive
    throw err
  }
}

/** Every height held by two honest peers holds the same block. */
async function agree (honest: MemPeer[]): Promise<number> {
  const top = Math.min(...honest.map(p => p.node.status().height))
  for (let h = 0; h <= top; h++) {
    const blocks = new Set<string>()
    for (const p of honest) { const r = await p.store.get(h); if (r != null) blocks.add(bytesToHex(sha256(r.block))) }
    assert.equal(blocks.size, 1, `honest peers committed different blocks at height ${h}`)
  }
  for (const p of honest) assert.equal(p.node.anomalies.conflictingDecision, 0)
  return top
}

/** every entry of the mute test commits within this after its submission */
const MUTE_BOUND_MS = 60_000

async function submitMany (from: MemPeer[], count: number, tag: string, timeoutMs = 90_000): Promise<number> {
  const done = await Promise.all(Array.from({ length: count }, async (_, i) => await from[i % from.length].node.submit({ kind: 'note', data: new TextEncoder().encode(JSON.stringify({ tag, i })) }, { timeoutMs })))
  return Math.max(...done.map(d => d.slot))
}

test('an equivocating leader and conflicting votes: safety, progress, evidence removes the leader', { timeout: 180_000 }, async () => {
  const { net, honest, bad } = await cluster(11, ['equivocate', 'conflicting-votes'])
  try {
    const top = await submitMany(honest, 60, 'eq')
    await waitFor(() => honest.every(p => p.node.status().height >= top), { timeout: 30_000, message: 'every honest peer to reach the top' })
    await agree(honest)
    const rejected = honest[1].node.status().rejected
    assert.ok((rejected.wrongLeader ?? 0) + (rejected.equivocation ?? 0) + (rejected.badValue ?? 0) > 0, JSON.stringify(rejected))
    // the equivocator led some slots with work: its evidence is committed and it is removed
    const equivocator = bad[0].id
    const more = async (): Promise<boolean> => {
      if (honest.every(p => !p.node.status().replicas.some(r => r.peerId === equivocator))) return true
      await submitMany(honest, 7, 'more')
      return false
    }
    await waitFor(more, { timeout: 120_000, interval: 10, message: 'the equivocating leader to be removed by evidence' })
    const after = await submitMany(honest, 10, 'after')
    await waitFor(() => honest.every(p => p.node.status().height >= after), { timeout: 30_000, message: 'commits after the removal' })
    await agree(honest)
  } finally {
    await net.stopAll()
  }
})

test('forged VRF use and garbage frames: safety and progress, rejections counted', { timeout: 180_000 }, async () => {
  const { net, honest } = await cluster(12, ['forged-vrf', 'garbage'])
  try {
    let top = await submitMany(honest, 60, 'vrf')
    // a forged vote is checked, and counted, only when it reaches a replica before the quorum it
    // would join: one arriving later is dropped unchecked (late-votes.test.ts). With every submit
    // batched, 60 entries can commit in a decision or two, so more work comes until one is counted
    const forged = (): number => honest.reduce((sum, p) => {
      const r = p.node.status().rejected
      return sum + (r.notInSample ?? 0) + (r.badVrf ?? 0) + (r.badSignature ?? 0)
    }, 0)
    await waitFor(async () => {
      if (forged() > 0) return true
      top = await submitMany(honest, 7, 'more')
      return false
    }, { timeout: 120_000, interval: 10, message: () => `forged VRF use counted (${JSON.stringify(honest.map(p => p.node.status().rejected))})` })
    await waitFor(() => honest.every(p => p.node.status().height >= top), { timeout: 30_000, message: 'every honest peer to reach the top' })
    await agree(honest)
    // the garbage mode sends from the once-a-second maintenance pass: batched, the 60 entries can
    // commit before its first round
    await waitFor(() => (honest[2].node.status().rejected.malformed ?? 0) > 0, { timeout: 10_000, message: 'garbage frames are counted as malformed' })
  } finally {
    await net.stopAll()
  }
})

test('two mute replicas in an epoch of 7: commits go on (view changes), and both are removed for not voting', { timeout: 180_000 }, async () => {
  // shortened for the test: the vote-lapse bounds (defaults 16 decisions and 30 s: vote-lapse.ts),
  // and the view timeouts a mute leader costs (base tick ≤ 25 ms, backoff ≤ 2; defaults 100 ms and
  // 16): with the defaults the first commits waited ~29 s on two mute leaders' views, 40 s in all
  const { net, honest, bad } = await cluster(13, ['mute', 'mute'], true, { voteLapseDecisions: 4, voteLapseMs: 2000, maxTickMs: 25, maxViewBackoff: 2 })
  const left = (): number => honest.reduce((sum, p) => sum + (p.node.status().timing?.viewChanges ?? 0) + (p.node.status().timing?.leaderSkips ?? 0), 0)
  // epochs (seen by an honest peer) that no longer hold a mute replica: removed at a later epoch
  const out = new Set<string>()
  honest[0].node.addEventListener('epoch', e => { for (const b of bad) if (!e.detail.replicas.some(r => r.peerId === b.id)) out.add(b.id) })
  try {
    // every submit commits within MUTE_BOUND_MS (its timeout), mute replicas in or out; batched,
    // entries may commit before a mute replica leads a slot, so more come until both are out
    let top = 0
    await waitFor(async () => {
      if (out.size === bad.length && left() > 0) return true
      top = Math.max(top, await submitMany(honest, 5, 'mute', MUTE_BOUND_MS))
      return false
    }, { timeout: 150_000, interval: 10, message: () => `both mute replicas removed (${out.size}) and a mute view left (${left()}): ${JSON.stringify(bad.map(b => honest[0].node.voteLapses.state(b.id)))}` })
    top = Math.max(top, await submitMany(honest, 5, 'after', MUTE_BOUND_MS))
    await waitFor(() => honest.every(p => p.node.status().height >= top), { timeout: 30_000, message: 'every honest peer to reach the top' })
    await agree(honest)
    // they answered every probe: it was the vote lapse, not the silence rule, that removed them
    for (const b of bad) assert.ok((honest[0].node.liveness.state(b.id)?.misses ?? 0) < 3, 'never probed to death')
  } finally {
    await net.stopAll()
  }
})
