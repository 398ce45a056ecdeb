/**
 * The authenticated replica without a network: entries apply in their author's seq order, gaps
 * (seq or Yjs dependencies) wait outside the doc and apply when filled, forged and equivocating
 * entries are counted and dropped; the pending buffer's caps and expiry; per-peer budgets.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import * as Y from 'yjs'
import { boundClientId } from '../../core/state/author.ts'
import { encodeEntry, entrySigningBytes } from '../../core/state/codec.ts'
import { PeerBudgets } from '../../core/state/peer-budget.ts'
import { DEFAULT_PENDING_LIMITS } from '../../core/state/pending.ts'
import { MAX_CHECKED_BYTES, newReplicaStats, SignedReplica, type ReplicaStats } from '../../core/state/replica.ts'

async function author (): Promise<{ key: PrivateKey, id: string }> {
  const key = await generateKeyPair('Ed25519')
  return { key, id: peerIdFromPrivateKey(key).toString() }
}

function replica (id: string, key: PrivateKey, limits = DEFAULT_PENDING_LIMITS): { r: SignedReplica, stats: ReplicaStats } {
  const stats = newReplicaStats()
  const r = SignedReplica.for({ doc: new Y.Doc(), signer: { peerId: id, sign: d => key.sign(d) }, session: 1, acceptAuthor: () => true, pendingLimits: limits, stats, log: () => {} })
  return { r, stats }
}

/** Three entries by one author: set x, set y, delete x (the last one only deletes). */
async function threeEntries (): Promise<{ entries: Uint8Array[], a: { key: PrivateKey, id: string } }> {
  const a = await author()
  const { r } = replica(a.id, a.key)
  const out: Uint8Array[] = []
  const doc = r.doc
  for (const edit of [() => { doc.getMap('m').set('x', 1) }, () => { doc.getMap('m').set('y', 2) }, () => { doc.getMap('m').delete('x') }]) {
    edit()
    const e = await r.signQueued()
    assert.ok(e != null)
    out.push(e)
  }
  return { entries: out, a }
}

describe('signed replica', () => {
  test('the gossip validator remembers checked entries within its byte bound when they are never received', async () => {
    const a = await author()
    const { r: writer } = replica(a.id, a.key)
    const entries: Uint8Array[] = []
    for (let i = 0; i < 40; i++) {
      writer.doc.getMap('m').set(`k${i}`, 'x'.repeat(200_000)) // ~200 KB entries: 40 of them are ~8 MB
      const e = await writer.signQueued()
      assert.ok(e != null)
      entries.push(e)
    }
    const b = await author()
    const { r } = replica(b.id, b.key)
    for (const e of entries) assert.equal(await r.check([e]), 'accept') // checked, then dropped: never received
    const held = r.checkedHeld
    assert.ok(held.bytes <= MAX_CHECKED_BYTES && held.entries < 40 && held.entries > 0, `${held.entries} entries, ${held.bytes} bytes held`)
    // the newest are the ones kept, and receiving one takes it out of the memo
    const res = await r.receive('peer', entries.slice(0, 40), 0)
    assert.equal(res.applied, 40)
    assert.deepEqual(r.checkedHeld, { entries: 0, bytes: 0 })
  })

  test('entries out of order wait outside the doc and apply when their predecessors arrive', async () => {
    const { entries } = await threeEntries()
    const b = await author()
    const { r, stats } = replica(b.id, b.key)
    const res = await r.receive('peer', [entries[2], entries[1]], 0)
    assert.deepEqual([res.applied, res.parked], [0, 2])
    assert.equal(r.doc.store.pendingStructs, null)
    assert.equal(r.doc.store.pendingDs, null)
    assert.deepEqual(r.doc.getMap('m').toJSON(), {})
    assert.equal(stats.pendingEntries, 2)
    const res2 = await r.receive('peer', [entries[0]], 0)
    assert.equal(res2.applied, 3)
    assert.deepEqual(r.doc.getMap('m').toJSON(), { y: 2 })
    assert.deepEqual([stats.pendingEntries, stats.pendingBytes, stats.pendingApplied, r.log.size], [0, 0, 2, 3])
  })

  test('an entry whose Yjs dependency (another author\'s item) is missing waits for it', async () => {
    const { entries, a } = await threeEntries()
    // C overwrites A's x: C's item has A's item as its origin and deletes it, so it depends on it
    const c = await author()
    const cr = replica(c.id, c.key).r
    await cr.receive('a', [entries[0]], 0)
    cr.doc.getMap('m').set('x', 'from c')
    const ce = await cr.signQueued()
    assert.ok(ce != null)
    const { r, stats } = replica((await author()).id, a.key)
    const res = await r.receive('c', [ce], 0)
    assert.deepEqual([res.applied, res.parked], [0, 1])
    assert.equal(r.doc.store.pendingDs, null)
    await r.receive('a', [entries[0]], 0)
    assert.equal(r.doc.getMap('m').get('x'), 'from c')
    assert.equal(stats.pendingEntries, 0)
  })

  test('forged, refused and equivocating entries are dropped and counted', async () => {
    const { entries, a } = await threeEntries()
    const evil = await author()
    const { r, stats } = replica((await author()).id, evil.key)
    await r.receive('x', [entries[0]], 0)
    // the same update claimed by the evil peer (structs not under its bound id)
    const update = Y.encodeStateAsUpdate(r.doc)
    const asEvil = encodeEntry(evil.id, 1, 0, update, await evil.key.sign(entrySigningBytes(evil.id, 1, 0, update)))
    // A's id as author, evil's signature
    const asA = encodeEntry(a.id, 1, 1, new Uint8Array([0, 0]), await evil.key.sign(entrySigningBytes(a.id, 1, 1, new Uint8Array([0, 0]))))
    // A's seq 0 again with other bytes (a different signature over other content)
    const other = new Y.Doc(); other.clientID = boundClientId(a.id, 1); other.getMap('m').set('x', 'other')
    const u2 = Y.encodeStateAsUpdate(other)
    const twin = encodeEntry(a.id, 1, 0, u2, await a.key.sign(entrySigningBytes(a.id, 1, 0, u2)))
    const res = await r.receive('x', [asEvil, asA, twin, new Uint8Array([1, 2, 3])], 0)
    assert.equal(res.applied, 0)
    assert.deepEqual([stats.rejectedClient, stats.rejectedSignature, stats.equivocations, stats.badEntries], [1, 1, 1, 1])
    assert.ok(res.offences >= 16)
    assert.deepEqual(r.doc.getMap('m').toJSON(), { x: 1 })
    const refusing = SignedReplica.for({ doc: new Y.Doc(), signer: { peerId: evil.id, sign: d => evil.key.sign(d) }, session: 2, acceptAuthor: id => id !== a.id, pendingLimits: DEFAULT_PENDING_LIMITS, stats: newReplicaStats(), log: () => {} })
    await refusing.receive('x', [entries[0]], 0)
    assert.equal(refusing.log.size, 0)
  })

  test('pending caps per sender and in total, and expiry', async () => {
    const { entries } = await threeEntries()
    const b = await author()
    const limits = { maxBytesPerPeer: 10_000, maxEntriesPerPeer: 1, maxBytes: 10_000, maxEntries: 2, ttlMs: 1000 }
    const { r, stats } = replica(b.id, b.key, limits)
    await r.receive('p1', [entries[1], entries[2]], 0) // second is over p1's count
    assert.deepEqual([stats.pendingEntries, stats.pendingDropped], [1, 1])
    await r.receive('p2', [entries[2]], 0)
    assert.equal(stats.pendingEntries, 2)
    assert.equal(r.expire(999), 0)
    assert.equal(r.expire(1000), 2)
    assert.deepEqual([stats.pendingEntries, stats.pendingBytes, stats.pendingExpired], [0, 0, 2])
  })

  test('peer budgets: messages and bytes per window, offences cross the threshold once', () => {
    const b = new PeerBudgets({ windowMs: 1000, maxMessages: 2, maxBytes: 100, maxOffences: 3 })
    assert.equal(b.charge('p', 10, 0), true)
    assert.equal(b.charge('p', 10, 1), true)
    assert.equal(b.charge('p', 10, 2), false)
    assert.equal(b.charge('q', 101, 2), false)
    assert.equal(b.charge('p', 10, 1000), true) // a new window
    assert.equal(b.offend('p', 3, 1000), false)
    assert.equal(b.offend('p', 1, 1001), true)
    assert.equal(b.offend('p', 1, 1002), false)
  })
})
