/**
 * The engine additions the ledger shell needs, each against a small cluster that delivers every
 * message at once: `firstSlot` (an epoch continues the slot numbering), `proposalFor` returning
 * null at view 0 plus `offer` (an idle leader proposes nothing until there is work), `endAt` (an
 * epoch ends at a slot) and `certificateOf` (the COMMITs that decided a slot).
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { sha256 } from '@noble/hashes/sha2.js'
import { createConsensusCrypto, deriveReplicaKeys } from '../../core/consensus/crypto.ts'
import { MSG_COMMIT, MSG_PROPOSE, readMessage, type Vote } from '../../core/consensus/codec.ts'
import { Replica, type Action } from '../../core/consensus/replica.ts'
import { checkCertificate } from '../../core/consensus/validate.ts'

const n = 4
const f = 1
const crypto = createConsensusCrypto()
const keys = Array.from({ length: n }, (_, i) => deriveReplicaKeys(sha256(new TextEncoder().encode(`additions ${i}`))))
const identities = keys.map(k => ({ signPublic: k.signPublic, vrfPublic: k.vrfPublic }))

/** n PBFT replicas (quorum 3 of 4), a FIFO network that delivers everything, and a decision log. */
function run (opts: { firstSlot?: number, proposalFor?: (id: number, slot: number, view: number) => Uint8Array | null }) {
  const decided = new Map<number, Map<number, string>>()
  const queue: Array<{ to: number, bytes: Uint8Array }> = []
  const replicas = Array.from({ length: n }, (_, id) => new Replica(
    { id, n, f, protocol: 'pbft', sampleSize: n - 1, quorum: 3, slotLimit: (opts.firstSlot ?? 0) + 2, ...(opts.firstSlot != null ? { firstSlot: opts.firstSlot } : {}) },
    { keys: keys[id], identities, crypto, proposalFor: (slot, view) => (opts.proposalFor ?? ((i, s, v) => sha256(new TextEncoder().encode(`${i} ${s} ${v}`))))(id, slot, view) }
  ))
  const sent: number[] = []
  const apply = (id: number, actions: Action[]): void => {
    for (const a of actions) {
      if (a.type === 'send') { sent.push(a.kind); for (const to of a.to) queue.push({ to, bytes: a.bytes }) }
      if (a.type === 'decide') {
        let m = decided.get(a.slot)
        if (m == null) { m = new Map(); decided.set(a.slot, m) }
        m.set(id, Buffer.from(a.digest).toString('hex'))
      }
    }
  }
  const flush = (): void => {
    for (let i = 0; i < 100_000 && queue.length > 0; i++) {
      const m = queue.shift() as { to: number, bytes: Uint8Array }
      apply(m.to, replicas[m.to].receive(m.bytes, 0))
    }
  }
  replicas.forEach((r, id) => { apply(id, r.start(0)) })
  flush()
  return { replicas, decided, apply, flush, sent }
}

describe('engine additions for the ledger', () => {
  test('firstSlot: the instance starts at that global slot; leaders rotate with the global slot', () => {
    const c = run({ firstSlot: 10 })
    for (const r of c.replicas) assert.equal(r.currentSlot, 12, 'decided slots 10 and 11')
    assert.equal(c.decided.has(9), false)
    assert.equal(new Set(c.decided.get(10)?.values()).size, 1, 'one value for slot 10')
    // slot 10, view 0 is led by 10 mod 4 = 2: its value was decided
    assert.equal([...(c.decided.get(10)?.values() ?? [])][0], Buffer.from(sha256(sha256(new TextEncoder().encode('2 10 0')))).toString('hex'), 'the digest of the value')
  })

  test('proposalFor may return null at view 0: nothing is proposed until offer()', () => {
    let work = false
    const c = run({ proposalFor: (id, slot, view) => work || view > 0 ? sha256(new TextEncoder().encode(`${id} ${slot} ${view}`)) : null })
    assert.equal(c.sent.filter(k => k === MSG_PROPOSE).length, 0, 'an idle leader proposes nothing')
    assert.equal(c.decided.size, 0)
    // offer() on a replica that does not lead slot 0 is a no-op
    assert.equal(c.replicas[1].offer(0).filter(a => a.type === 'send').length, 0)
    work = true
    const out = c.replicas[0].offer(0)
    assert.ok(out.some(a => a.type === 'send' && a.kind === MSG_PROPOSE), 'the leader proposes on offer')
    work = false // slot 1's leader has nothing: the ledger stays at slot 1
    c.apply(0, out)
    c.flush()
    assert.equal(new Set(c.decided.get(0)?.values()).size, 1)
    assert.equal(c.decided.get(0)?.size, n)
    assert.equal(c.decided.has(1), false)
    assert.equal(c.replicas[0].offer(0).filter(a => a.type === 'send').length, 0, 'offer twice: nothing more (replica 0 does not lead slot 1)')
  })

  test('endAt: nothing beyond the slot is decided and no timer is asked for', () => {
    const c = run({ proposalFor: () => null })
    for (const r of c.replicas) r.endAt(0)
    for (const r of c.replicas) assert.equal(r.limit, 1)
    c.replicas[0].endAt(5)
    assert.equal(c.replicas[0].limit, 1, 'endAt only lowers the limit')
    const proposeFor = (id: number): void => {
      c.apply(id, c.replicas[id].offer(0))
      c.flush()
    }
    // give replicas something to propose now
    const r0 = c.replicas[0] as unknown as { components: { proposalFor: (s: number, v: number) => Uint8Array | null } }
    r0.components.proposalFor = (slot, view) => sha256(new TextEncoder().encode(`v ${slot} ${view}`))
    proposeFor(0)
    assert.equal(c.decided.get(0)?.size, n, 'slot 0 decided everywhere')
    for (const r of c.replicas) {
      assert.equal(r.currentSlot, 1)
      assert.equal(r.tick(1_000_000).length, 0, 'a replica past its limit neither times out nor asks for a timer')
      assert.equal(r.offer(0).length, 0)
    }
    // a message for slot 1 is dropped as future
    const before = c.replicas[2].stats.rejected.future
    const stray = c.replicas[1]
    const r1 = stray as unknown as { components: { proposalFor: (s: number, v: number) => Uint8Array | null } }
    r1.components.proposalFor = () => new Uint8Array([1])
    assert.equal(stray.offer(0).length, 0, 'the leader of slot 1 does not propose beyond the limit')
    assert.equal(c.replicas[2].stats.rejected.future, before)
  })

  test('certificateOf: q COMMITs addressed to the holder that check as a certificate', () => {
    const c = run({})
    const cert = c.replicas[3].certificateOf(0)
    assert.ok(cert != null)
    assert.equal(cert.view, 0)
    assert.equal(cert.holder, 3)
    assert.ok(cert.commits.length >= 3)
    const votes = cert.commits.map(b => readMessage(b) as Vote)
    const ctx = { n, f, protocol: 'pbft' as const, sampleSize: n - 1, quorum: 3, identities, crypto }
    const h = checkCertificate(ctx, votes, MSG_COMMIT, cert.holder)
    assert.notEqual(typeof h, 'string')
    assert.deepEqual(typeof h === 'string' ? null : h.digest, sha256(cert.value))
    assert.equal(c.replicas[3].certificateOf(999), undefined)
  })
})
