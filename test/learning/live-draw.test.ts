/**
 * The coordinator draw of live learning (core/learning/live/schedule.ts) and the learner keys it
 * uses (identity.ts): proofs check only for their key, round and seed, and a malformed proof is a
 * null, never a throw; the order is a permutation of the eligible learners that follows the seed
 * (each of 4 learners comes first about a quarter of the time over seeded seeds); seed₁ changes with
 * any entry of its block; the draw key is the identity's and not the ledger's; update signatures
 * check from the peer id alone.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { checkDraw, coordinatorAt, coordinatorOrder, firstSeed, learningIdentity, nextSeed, proveDraw, verifyPeerSignature } from '../../core/learning/live/index.ts'
import { deriveLedgerKeys } from '../../core/ledger/index.ts'
import { createRng } from '../../core/learning/index.ts'

const keys = await Promise.all([1, 2, 3, 4].map(async i => await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(i))))
const peers = keys.map(k => peerIdFromPrivateKey(k).toString())
const ids = keys.map(k => learningIdentity(k))
const TASK = 'a1b2c3d4e5f60718'

test('a draw proof checks for its key, round and seed only; garbage is null, never a throw', () => {
  const seed = new Uint8Array(32).fill(7)
  const proof = proveDraw(ids[0].vrfSecret, TASK, 3, seed)
  assert.equal(proof.length, 80)
  const out = checkDraw(ids[0].vrfPublic, TASK, 3, seed, proof)
  assert.ok(out != null && out.length === 64)
  assert.equal(checkDraw(ids[1].vrfPublic, TASK, 3, seed, proof), null, 'another learner\'s key')
  assert.equal(checkDraw(ids[0].vrfPublic, TASK, 4, seed, proof), null, 'another round')
  assert.equal(checkDraw(ids[0].vrfPublic, TASK, 3, new Uint8Array(32), proof), null, 'another seed')
  assert.equal(checkDraw(ids[0].vrfPublic, 'ffffffffffffffff', 3, seed, proof), null, 'another task')
  const rng = createRng(9)
  for (let k = 0; k < 200; k++) {
    const junk = Uint8Array.from({ length: k % 3 === 0 ? 80 : Math.floor(rng.next() * 120) }, () => Math.floor(rng.next() * 256))
    assert.equal(checkDraw(ids[0].vrfPublic, TASK, 3, seed, junk), null)
    const flipped = proof.slice(); flipped[Math.floor(rng.next() * 80)] ^= 1 << Math.floor(rng.next() * 8)
    assert.equal(checkDraw(ids[0].vrfPublic, TASK, 3, seed, flipped), null)
  }
  assert.equal(checkDraw(new Uint8Array(32).fill(255), TASK, 3, seed, proof), null, 'a public key that is not a point')
  // the same key and input give the same output: the coordinator cannot grind the next seed
  assert.deepEqual(checkDraw(ids[0].vrfPublic, TASK, 3, seed, proveDraw(ids[0].vrfSecret, TASK, 3, seed)), out)
})

test('the order is a permutation of the eligible learners that follows the seed; the first is spread evenly', () => {
  const first = new Map<string, number>()
  let seed: Uint8Array = new Uint8Array(32)
  for (let i = 0; i < 400; i++) {
    const order = coordinatorOrder(seed, peers)
    assert.deepEqual([...order].sort(), [...peers].sort())
    assert.deepEqual(coordinatorOrder(seed, [...peers].reverse()), order, 'independent of the listing order')
    first.set(order[0], (first.get(order[0]) ?? 0) + 1)
    seed = nextSeed(checkDraw(ids[i % 4].vrfPublic, TASK, i + 1, seed, proveDraw(ids[i % 4].vrfSecret, TASK, i + 1, seed)) as Uint8Array)
  }
  for (const p of peers) assert.ok((first.get(p) ?? 0) >= 60 && (first.get(p) ?? 0) <= 140, `first ${first.get(p)} of 400 times: ${p}`)
  assert.deepEqual(coordinatorOrder(seed, []), [])
  const order = coordinatorOrder(seed, peers)
  assert.equal(coordinatorAt(order, 0, 1000), order[0])
  assert.equal(coordinatorAt(order, 1500, 1000), order[1], 'one takeover per timeout')
  assert.equal(coordinatorAt(order, 4500, 1000), order[0], 'and round again')
})

test('seed₁ depends on every entry of its block', () => {
  const entries = [{ kind: 'model.join', author: peers[0], data: Uint8Array.from([1, 2]) }, { kind: 'note', author: peers[1], data: Uint8Array.from([3]) }]
  const s = firstSeed(TASK, 12, entries)
  assert.notDeepEqual(firstSeed(TASK, 13, entries), s)
  assert.notDeepEqual(firstSeed(TASK, 12, entries.slice(0, 1)), s)
  assert.notDeepEqual(firstSeed(TASK, 12, [entries[0], { ...entries[1], data: Uint8Array.from([4]) }]), s)
  assert.notDeepEqual(firstSeed(TASK, 12, [entries[0], { ...entries[1], author: peers[2] }]), s)
  assert.deepEqual(firstSeed(TASK, 12, entries.map(e => ({ ...e }))), s)
})

test('the draw key comes from the identity, is stable, and is not the ledger\'s VRF key; signatures check from the peer id', async () => {
  assert.deepEqual(learningIdentity(keys[0]).vrfPublic, ids[0].vrfPublic)
  assert.notDeepEqual(ids[0].vrfPublic, ids[1].vrfPublic)
  assert.notDeepEqual(ids[0].vrfPublic, deriveLedgerKeys(keys[0]).vrfPublic)
  const msg = new TextEncoder().encode('an update')
  const sig = await ids[0].sign(msg)
  assert.equal(await verifyPeerSignature(peers[0], msg, sig), true)
  assert.equal(await verifyPeerSignature(peers[1], msg, sig), false, 'another peer')
  assert.equal(await verifyPeerSignature(peers[0], new TextEncoder().encode('an updatf'), sig), false, 'altered bytes')
  assert.equal(await verifyPeerSignature('not-a-peer-id', msg, sig), false)
  assert.equal(await verifyPeerSignature(peers[0], msg, sig.subarray(0, 10)), false, 'a short signature')
})

test('DrawState: seed₁ waits for slot J whole, later joiners are not drawn until eligible, a bad draw does not count', async () => {
  const { DrawState } = await import('../../core/learning/live/draw-state.ts')
  const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
  const d = new DrawState(TASK, 2)
  const entry = (slot: number, author: string, kind = 'model.join'): { slot: number, kind: string, author: string, data: Uint8Array } => ({ slot, kind, author, data: new TextEncoder().encode(`${kind}:${author}`) })
  for (const [slot, who] of [[3, 0], [5, 1]] as const) { const e = entry(slot, peers[who]); d.read(e); d.join(peers[who], slot, hex(ids[who].vrfPublic), 10) }
  assert.equal(d.ready, false, 'slot 5 may hold more entries: not sealed yet')
  d.read(entry(5, peers[3], 'note'))
  d.read(entry(6, peers[2])); d.join(peers[2], 6, hex(ids[2].vrfPublic), 10)
  assert.equal(d.ready, true, 'a later slot seals J = 5')
  const want = firstSeed(TASK, 5, [entry(5, peers[1]), entry(5, peers[3], 'note')])
  assert.deepEqual(d.nextRoundSeed, want, 'seed₁ covers every entry of slot J')
  assert.deepEqual([...d.order()].sort(), [peers[0], peers[1]].sort(), 'the third learner joined after J')
  const seed1 = d.nextRoundSeed as Uint8Array
  assert.equal(d.commit(1, 7, peers[2], hex(proveDraw(ids[2].vrfSecret, TASK, 1, seed1))), false, 'not eligible for round 1')
  assert.equal(d.commit(1, 7, peers[0], hex(proveDraw(ids[0].vrfSecret, TASK, 2, seed1))), false, 'a proof for another round')
  assert.equal(d.commit(1, 7, peers[0], hex(proveDraw(ids[0].vrfSecret, TASK, 1, seed1))), true)
  assert.notDeepEqual(d.nextRoundSeed, seed1)
  assert.equal(d.eligible(2).length, 2, 'round 2 still draws among those joined by J')
  assert.equal(d.commit(2, 9, peers[1], hex(proveDraw(ids[1].vrfSecret, TASK, 2, d.nextRoundSeed as Uint8Array))), true)
  assert.equal(d.eligible(3).length, 3, 'round 3 draws among those joined by round 1\'s slot (7 ≥ 6)')
})
