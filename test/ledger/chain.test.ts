/**
 * The chain state and the pool, pure: joins up to the replica cap (with proofs of possession),
 * leave, remove needing f + 1 replicas, evidence (verified, removes the offender), config through
 * the settings table, refused entries recorded identically on two independent replays, stale
 * microblocks skipped; pool dedup, per-author and total bounds, order, pruning. And `verifyChain`
 * on a real chain (made by two LedgerNodes over the in-memory network) detecting a tampered block,
 * certificate and head.
 */
import assert from 'node:assert/strict'
import { before, describe, test } from 'node:test'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { createConsensusCrypto } from '../../core/consensus/crypto.ts'
import { seal, writeHeaderBody } from '../../core/consensus/codec.ts'
import { Chain } from '../../core/ledger/chain.ts'
import { readBlock, readGenesis, readMicroblock, writeBlock } from '../../core/ledger/codec.ts'
import { writeConfig, writeEvidence, writeJson, writeRemove } from '../../core/ledger/entries.ts'
import { createGenesis, deriveLedgerKeys, joinBody, signMicroblock } from '../../core/ledger/keys.ts'
import { Pool } from '../../core/ledger/pool.ts'
import { verifyChain } from '../../core/ledger/verify.ts'
import { LedgerVerifyError } from '../../core/ledger/errors.ts'
import type { Entry } from '../../core/ledger/types.ts'
import { waitFor } from '../_support/wait.ts'
import { MemNet, quorumMath, ready, seededKey } from './_memnet.ts'

const crypto = createConsensusCrypto()
let keys: PrivateKey[] = []
let ids: string[] = []
let genesis: Uint8Array
const seqs = new Map<string, number>()

before(async () => {
  await ready()
  keys = await Promise.all(Array.from({ length: 8 }, async (_, i) => await seededKey(`chain ${i}`)))
  ids = keys.map(k => peerIdFromPrivateKey(k).toString())
  genesis = await createGenesis(keys[0], ids[0], deriveLedgerKeys(keys[0]), { meshId: 'test', protocol: 'probft', maxReplicas: 5 })
})

async function mb (i: number, entries: Entry[], seq?: number): Promise<Uint8Array> {
  const s = seq ?? (seqs.get(ids[i]) ?? -1) + 1
  seqs.set(ids[i], Math.max(s, seqs.get(ids[i]) ?? -1))
  return await signMicroblock(keys[i], ids[i], s, entries)
}
const join = (i: number): Entry => ({ kind: 'join', data: joinBody(ids[i], deriveLedgerKeys(keys[i]), crypto) })
const note = (v: unknown): Entry => ({ kind: 'note', data: writeJson(v) })

function newChain (): Chain { return new Chain(readGenesis(genesis), quorumMath, crypto) }
function apply (c: Chain, mbs: Uint8Array[]): ReturnType<Chain['apply']> {
  const bytes = writeBlock(c.current.epoch, mbs)
  return c.apply(c.height + 1, readBlock(bytes), bytes)
}

describe('chain state', () => {
  test('joins up to maxReplicas, one epoch per block that changes the set; PBFT sizing below 4', async () => {
    seqs.clear()
    const c = newChain()
    assert.equal(c.current.n, 1)
    assert.equal(c.current.protocol, 'pbft')
    const blocks = [[await mb(1, [join(1)]), await mb(2, [join(2)])], [await mb(3, [join(3)]), await mb(4, [join(4)]), await mb(5, [join(5)])]]
    const r1 = apply(c, blocks[0])
    assert.equal(r1.newEpoch?.epoch, 1)
    assert.equal(r1.newEpoch?.start, 1)
    assert.equal(c.current.n, 3)
    assert.equal(c.current.quorum, 2)
    const r2 = apply(c, blocks[1])
    assert.equal(c.current.n, 5, 'the cap (5) holds')
    assert.equal(c.current.protocol, 'probft')
    assert.equal(c.current.f, 1)
    assert.deepEqual(r2.entries.map(e => e.refusal), [undefined, undefined, 'replica set full (5)'])
    // a join with a proof for another peer id is refused
    const c2 = newChain()
    const forged: Entry = { kind: 'join', data: joinBody(ids[1], deriveLedgerKeys(keys[6]), crypto) }
    const r3 = apply(c2, [await mb(6, [forged])])
    assert.match(r3.entries[0].refusal ?? '', /proof of possession/)
  })

  test('leave, remove after f + 1 replicas, evidence removes the offender, config', async () => {
    seqs.clear()
    const c = newChain()
    apply(c, [await mb(1, [join(1)]), await mb(2, [join(2)]), await mb(3, [join(3)]), await mb(4, [join(4)])])
    assert.equal(c.current.n, 5)
    assert.equal(c.current.f, 1)
    const rm = (by: number, who: number): Entry => ({ kind: 'remove', data: writeRemove({ peerId: ids[who], reason: 'silent' }) })
    const a = apply(c, [await mb(1, [rm(1, 4)])])
    assert.equal(a.newEpoch, undefined, 'one vote of f + 1 = 2 does not remove')
    assert.equal(apply(c, [await mb(6, [rm(6, 4)])]).entries[0].refusal, 'only replicas of the epoch may ask to remove')
    const b = apply(c, [await mb(2, [rm(2, 4)])])
    assert.equal(b.newEpoch?.n, 4, 'the second replica removes it')
    const l = apply(c, [await mb(3, [{ kind: 'leave', data: new Uint8Array(0) }])])
    assert.equal(l.newEpoch?.n, 3)
    // evidence: two different headers signed by replica 1 (index 1 of the current epoch) for one slot/view
    const e = c.current
    const who = e.replicas.findIndex(r => r.peerId === ids[1])
    const sk = deriveLedgerKeys(keys[1]).signSecret
    const h = (d: number): Uint8Array => { const body = writeHeaderBody(who, e.start + who, 0, new Uint8Array(32).fill(d)); return seal(body, crypto.sign(sk, body)) }
    const bad = apply(c, [await mb(2, [{ kind: 'evidence', data: writeEvidence({ epoch: e.epoch, first: h(1), second: h(1) }) }])])
    assert.equal(bad.entries[0].refusal, 'evidence messages do not conflict')
    const ev = apply(c, [await mb(2, [{ kind: 'evidence', data: writeEvidence({ epoch: e.epoch, first: h(1), second: h(2) }) }])])
    assert.equal(ev.entries[0].applied, true, ev.entries[0].refusal)
    assert.equal(c.current.replicas.some(r => r.peerId === ids[1]), false, 'the offender is removed')
    assert.equal(apply(c, [await mb(1, [join(1)])]).entries[0].refusal, 'removed for equivocation', 'and may not join again')
    assert.equal(apply(c, [await mb(4, [join(4)])]).entries[0].refusal, undefined, 'a peer removed for silence may')
    const cfg = apply(c, [await mb(7, [{ kind: 'config', data: writeConfig({ key: 'mesh.maxPeers', value: 12 }) }, { kind: 'config', data: writeConfig({ key: 'mesh.maxPeers', value: 99 }) }])])
    assert.deepEqual(cfg.configs, [{ key: 'mesh.maxPeers', value: 12 }])
    assert.match(cfg.entries[1].refusal ?? '', /\[1, 64\]/)
    assert.equal(c.config('mesh.maxPeers'), 12)
  })

  test('admission: a single replica admits joiners two at a time (1 → 3); a pending joiner may withdraw', async () => {
    seqs.clear()
    const c = newChain()
    const first = apply(c, [await mb(1, [join(1)])])
    assert.equal(first.newEpoch, undefined, 'no epoch of 2')
    assert.equal(first.entries[0].applied, true)
    assert.match(first.entries[0].summary, /pending/)
    assert.equal(c.current.n, 1)
    assert.equal(c.pendingJoiner(), ids[1])
    assert.equal(apply(c, [await mb(1, [join(1)])]).entries[0].refusal, 'join already pending')
    const both = apply(c, [await mb(2, [join(2)])])
    assert.equal(both.newEpoch?.n, 3)
    assert.deepEqual(c.current.replicas.map(r => r.peerId).sort(), [ids[0], ids[1], ids[2]].sort())
    assert.equal(c.current.quorum, 2)
    assert.equal(c.pendingJoiner(), undefined)
    assert.equal(apply(c, [await mb(3, [join(3)])]).newEpoch?.n, 4, 'above one replica, joiners come one at a time')
    // a pending joiner that leaves is forgotten: the next joiner waits in its place
    seqs.clear()
    const d = newChain()
    apply(d, [await mb(1, [join(1)])])
    assert.match(apply(d, [await mb(1, [{ kind: 'leave', data: new Uint8Array(0) }])]).entries[0].summary, /pending join withdrawn/)
    assert.equal(apply(d, [await mb(2, [join(2)])]).newEpoch, undefined)
    assert.equal(d.pendingJoiner(), ids[2])
    // a cap below 3 admits one at a time as before (the pair would exceed it)
    seqs.clear()
    const e = newChain()
    apply(e, [await mb(0, [{ kind: 'config', data: writeConfig({ key: 'ledger.maxReplicas', value: 2 }) }])])
    assert.equal(apply(e, [await mb(1, [join(1)])]).newEpoch?.n, 2)
    // a joiner left pending when the cap fell below 3 is not stuck: once the set has grown it joins as anyone
    seqs.clear()
    const f = newChain()
    const cap = async (value: number): Promise<void> => { apply(f, [await mb(0, [{ kind: 'config', data: writeConfig({ key: 'ledger.maxReplicas', value }) }])]) }
    apply(f, [await mb(1, [join(1)])])
    await cap(2)
    assert.equal(apply(f, [await mb(2, [join(2)])]).newEpoch?.n, 2, 'the cap of 2 admits the next joiner alone')
    assert.equal(f.pendingJoiner(), undefined, 'no pending joiner once the set has two members')
    await cap(5)
    assert.equal(apply(f, [await mb(1, [join(1)])]).newEpoch?.n, 3, 'the former pending joiner joins as anyone')
  })

  test('cool-off: a peer removed again waits 16 committed slots before its join is accepted, then 32; the first removal does not', async () => {
    seqs.clear()
    const c = newChain()
    apply(c, [await mb(1, [join(1)]), await mb(2, [join(2)]), await mb(3, [join(3)]), await mb(4, [join(4)])])
    assert.equal(c.current.n, 5)
    const rm = (who: number): Entry => ({ kind: 'remove', data: writeRemove({ peerId: ids[who], reason: 'no vote in 16 decisions, 30000 ms' }) })
    const remove = async (who: number): Promise<number> => {
      apply(c, [await mb(1, [rm(who)])])
      const r = apply(c, [await mb(2, [rm(who)])])
      assert.ok(r.newEpoch != null && !c.isReplica(ids[who]), 'removed')
      return c.height
    }
    const filler = async (until: number): Promise<void> => { while (c.height + 1 < until) apply(c, [await mb(5, [note(c.height)])]) }
    await remove(4)
    assert.deepEqual(c.coolingOff(), [], 'the first removal: nobody cooling off')
    assert.equal(apply(c, [await mb(4, [join(4)])]).newEpoch?.n, 5, 'the first removal: back at once (a restart, a reloaded tab)')
    const second = await remove(4)
    assert.equal(c.joinAllowedAt(ids[4]), second + 1 + 16)
    assert.deepEqual(c.coolingOff(), [{ peerId: ids[4], removals: 2, until: second + 17 }], 'what `ledger status` shows')
    const early = apply(c, [await mb(4, [join(4)])])
    assert.equal(early.entries[0].refusal, `cooling off after its removal until slot ${second + 17}`)
    await filler(second + 17)
    assert.equal(c.height + 1, second + 17)
    assert.deepEqual(c.coolingOff(), [], 'its join is accepted at the next slot: no longer listed')
    assert.equal(apply(c, [await mb(4, [join(4)])]).newEpoch?.n, 5, 'accepted at the first allowed slot')
    const third = await remove(4)
    assert.equal(c.joinAllowedAt(ids[4]), third + 1 + 32, 'doubles')
    // every peer replaying the same blocks agrees: the refusal is recorded in the chain state
    assert.equal(apply(c, [await mb(4, [join(4)])]).entries[0].refusal, `cooling off after its removal until slot ${third + 33}`)
  })

  test('refused entries and stale microblocks are identical on two replays', async () => {
    seqs.clear()
    const blocks = [
      [await mb(1, [join(1), note({ a: 1 }), { kind: 'note', data: Uint8Array.of(0xff) }, { kind: 'nope', data: new Uint8Array(0) }])],
      [await mb(1, [note(2)], 0), await mb(2, [{ kind: 'config', data: writeConfig({ key: 'x', value: 1 }) }])]
    ]
    const run = (): unknown[] => { const c = newChain(); return [...blocks.map(b => apply(c, b)), Buffer.from(c.head).toString('hex')] }
    const a = run()
    assert.deepEqual(a, run())
    const second = a[1] as ReturnType<Chain['apply']>
    assert.equal(second.stale, 1, 'a replayed seq is skipped')
    const first = a[0] as ReturnType<Chain['apply']>
    assert.deepEqual(first.entries.map(e => e.applied), [true, true, false, false])
  })
})

describe('pool', () => {
  test('dedup, stale, per-author and total bounds, order, prune', async () => {
    const p = new Pool({ perAuthorCount: 2, totalCount: 3 })
    const m = await Promise.all([0, 1, 2].map(async s => readMicroblock(await signMicroblock(keys[1], ids[1], s, [note(s)]))))
    assert.equal(p.add(m[0], -1), 'added')
    assert.equal(p.add(m[0], -1), 'duplicate')
    assert.equal(p.add(m[1], 1), 'stale')
    assert.equal(p.add(m[1], -1), 'added')
    assert.equal(p.add(m[2], -1), 'authorFull')
    const o = readMicroblock(await signMicroblock(keys[2], ids[2], 0, [note('x')]))
    const o2 = readMicroblock(await signMicroblock(keys[3], ids[3], 0, [note('y')]))
    assert.equal(p.add(o, -1), 'added')
    assert.equal(p.add(o2, -1), 'poolFull')
    assert.deepEqual(p.take(60_000, () => -1).map(x => `${x.author}:${x.seq}`), [`${ids[1]}:0`, `${ids[1]}:1`, `${ids[2]}:0`])
    assert.deepEqual(p.take(60_000, a => a === ids[1] ? 0 : -1).map(x => x.seq), [1, 0], 'an author\'s committed seqs are skipped')
    p.prune([m[0]], a => a === ids[1] ? 1 : -1)
    assert.equal(p.size, 1)
    assert.equal(p.entries, 1)
  })
})

describe('verifyChain', () => {
  test('a real chain verifies; a tampered block, certificate or head names its height', { timeout: 60_000 }, async () => {
    const net = new MemNet(3)
    const gid = ids[0]
    const g = await net.add('v0', { genesisPeerId: gid, syncIntervalMs: 300 }, { key: keys[0] })
    const j = await net.add('v1', { genesisPeerId: gid, syncIntervalMs: 300 }, { key: keys[7] })
    // a single replica admits joiners two at a time (admission.ts): the third peer admits both
    await net.add('v2', { genesisPeerId: gid, syncIntervalMs: 300 }, { key: keys[6] })
    try {
      await waitFor(() => g.node.status().replicas.length === 3, { timeout: 30_000, message: 'the joins' })
      for (let i = 0; i < 3; i++) await j.node.submit(note(i))
      const opts = { genesisPeerId: gid, math: quorumMath, crypto }
      const ok = await verifyChain(g.store, opts)
      assert.equal(ok.head, g.node.status().head)
      assert.ok(ok.blocks >= 3)
      const h = ok.height
      const check = async (mutate: (r: Awaited<ReturnType<typeof g.store.get>> & object) => void, why: RegExp): Promise<void> => {
        const saved = await g.store.get(h)
        g.store.tamper(h, r => { mutate(r); return r })
        await assert.rejects(verifyChain(g.store, opts), (err: Error) => err instanceof LedgerVerifyError && err.name === 'LedgerVerifyError' && (err as LedgerVerifyError).height === h && why.test(err.message))
        g.store.tamper(h, () => saved as NonNullable<typeof saved>)
      }
      await check(r => { r.block = Uint8Array.from([...r.block.slice(0, -1), r.block[r.block.length - 1] ^ 1]) }, /does not decode|certificate|signature/)
      await check(r => { r.certificate = r.certificate.slice(1) }, /certificate/)
      await check(r => { r.head = new Uint8Array(32) }, /head/)
      await check(r => { r.holder = 9 }, /holder/)
      assert.equal((await verifyChain(g.store, opts)).head, ok.head, 'restored')
      await assert.rejects(verifyChain(g.store, { ...opts, genesisPeerId: ids[5] }), (err: Error) => err.name === 'LedgerVerifyError')
    } finally {
      await net.stopAll()
    }
  })
})
