/**
 * One test per message rule of the replica, fed exact signed wire bytes: acceptance and voting,
 * bad signature, bad VRF proof, not-in-sample, wrong leader, wrong view, duplicates, vote and
 * leader equivocation (kept as evidence), malformed bytes, and the decision-adoption rules.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ed25519 } from '@noble/curves/ed25519.js'
import {
  MSG_COMMIT, MSG_DECISION, MSG_PREPARE, MSG_VIEW_CHANGE, readMessage, seal, writeDecisionBody, writeDecisionRequestBody, writeViewChangeBody, type ViewChange
} from '../../core/consensus/codec.ts'
import { selectFromViewChanges } from '../../core/consensus/validate.ts'
import { ConsensusConfigError } from '../../core/consensus/errors.ts'
import { cluster, decisions, sends } from './_fixtures.ts'

// n = 7, f = 2, each vote goes to 3 of the 6 others, 3 matching votes (own included) make a quorum
const c = cluster({ n: 7, f: 2, protocol: 'probft', sampleSize: 3, quorum: 3 })
const x = c.value('x')
const y = c.value('y')
const hx = c.header(0, 0, 0, x) // replica 0 leads slot 0, view 0
const hy = c.header(0, 0, 0, y)

function started (id: number): ReturnType<typeof c.make> {
  const r = c.make(id)
  r.start(0)
  return r
}

/** A replica in `sender`'s PREPARE sample for slot 0 view 0 (other than `not`). */
function inSample (sender: number, not = -1): number {
  return c.sample(sender, MSG_PREPARE, 0, 0).find(i => i !== 0 && i !== not) as number
}
function notInSample (sender: number): number {
  const s = c.sample(sender, MSG_PREPARE, 0, 0)
  return [1, 2, 3, 4, 5, 6].find(i => i !== sender && !s.includes(i)) as number
}

describe('ProBFT rules', () => {
  test('a valid proposal is accepted and a PREPARE goes to exactly the VRF sample', () => {
    const r = started(1)
    const out = sends(r.receive(c.propose(0, 0, 0, x), 1), MSG_PREPARE)
    assert.equal(out.length, 1)
    assert.deepEqual(out[0].to, c.sample(1, MSG_PREPARE, 0, 0))
    assert.equal(out[0].to.length, 3)
  })

  test('the leader proposes to everyone at start', () => {
    const out = sends(c.make(0).start(0), 2)
    assert.deepEqual(out[0].to, [1, 2, 3, 4, 5, 6])
  })

  test('bad signature on the proposal header: rejected and counted', () => {
    const r = started(1)
    const bad = c.propose(0, 0, 0, x)
    bad[bad.length - 40] ^= 1 // inside the header's signature
    assert.equal(sends(r.receive(bad, 1)).length, 0)
    assert.equal(r.stats.rejected.badSignature + r.stats.rejected.malformed, 1)
  })

  test('a proposal signed by someone who is not the leader: wrongLeader', () => {
    const r = started(1)
    r.receive(c.propose(3, 0, 0, x), 1)
    assert.equal(r.stats.rejected.wrongLeader, 1)
  })

  test('a value that does not match the digest: badValue', () => {
    const r = started(1)
    const p = c.propose(0, 0, 0, x)
    p[p.length - 1] ^= 1
    r.receive(p, 1)
    assert.equal(r.stats.rejected.badValue, 1)
  })

  test('bad VRF proof (random bytes, or a proof for the wrong phase): badVrf', () => {
    const target = inSample(2)
    const r = started(target)
    r.receive(c.vote(MSG_PREPARE, 2, hx, new Uint8Array(80).fill(7)), 1)
    r.receive(c.vote(MSG_PREPARE, 2, hx, c.proof(2, MSG_COMMIT, 0, 0)), 1)
    assert.equal(r.stats.rejected.badVrf, 2)
  })

  test('a valid proof whose sample does not contain the receiver: notInSample', () => {
    const r = started(notInSample(2))
    r.receive(c.vote(MSG_PREPARE, 2, hx), 1)
    assert.equal(r.stats.rejected.notInSample, 1)
  })

  test('a vote with a bad signature: badSignature', () => {
    const r = started(inSample(2))
    const v = c.vote(MSG_PREPARE, 2, hx)
    v[v.length - 1] ^= 1
    r.receive(v, 1)
    assert.equal(r.stats.rejected.badSignature, 1)
  })

  test('wrong view: a view-0 proposal for a later view is refused; stale votes too', () => {
    const r = started(1)
    r.receive(c.propose(1, 0, 1, x), 1) // leader of (0, 1) is 1, but view 1 needs NEW-VIEW
    assert.equal(r.stats.rejected.wrongView, 1)
  })

  test('duplicate votes are counted once', () => {
    const target = inSample(2)
    const r = started(target)
    const v = c.vote(MSG_PREPARE, 2, hx)
    r.receive(v, 1)
    r.receive(v, 2)
    assert.equal(r.stats.rejected.duplicate, 1)
  })

  test('vote equivocation: second vote rejected, both kept as evidence', () => {
    const target = inSample(2)
    const r = started(target)
    r.receive(c.vote(MSG_PREPARE, 2, hx), 1)
    r.receive(c.vote(MSG_PREPARE, 2, hy), 2)
    assert.equal(r.stats.rejected.equivocation, 1)
    const ev = r.stats.evidence.find(e => e.kind === 'vote')
    assert.ok(ev != null && ev.offender === 2)
  })

  test('leader equivocation: a vote carrying another leader-signed header poisons the view and starts a view change', () => {
    const target = inSample(2)
    const r = started(target)
    r.receive(c.propose(0, 0, 0, x), 1)
    const out = r.receive(c.vote(MSG_PREPARE, 2, hy), 2)
    const ev = r.stats.evidence.find(e => e.kind === 'leader')
    assert.ok(ev != null && ev.offender === 0)
    assert.equal(sends(out, MSG_VIEW_CHANGE).length, 1)
    assert.deepEqual(sends(out, MSG_VIEW_CHANGE)[0].to, [0, 1, 2, 3, 4, 5, 6].filter(i => i !== target), 'it saw a proposal: to everyone')
  })

  test('a silent leader: the VIEW-CHANGE goes to the new leader alone, then to everyone if no NEW-VIEW comes', () => {
    const r = started(3) // replica 0 leads view 0 and stays silent; replica 1 leads view 1
    const vcs = (from: number, to: number): number[][] => {
      const out: number[][] = []
      for (let now = from; now <= to; now++) out.push(...sends(r.tick(now), MSG_VIEW_CHANGE).map(a => a.to))
      return out
    }
    assert.deepEqual(vcs(1, 24), [[1]], 'at the view timer (24 ticks): one message, to the leader of view 1')
    // catch-up rounds (8, 8, 16 ticks apart): re-sent to the leader twice, then once to everyone
    assert.deepEqual(vcs(25, 24 + 8 + 8 + 16), [[1], [1], [0, 1, 2, 4, 5, 6]])
  })

  test('malformed bytes are counted, never thrown', () => {
    const r = started(1)
    assert.doesNotThrow(() => r.receive(Uint8Array.of(3, 0xff), 1))
    assert.doesNotThrow(() => r.receive(Uint8Array.of(77), 1))
    assert.equal(r.stats.rejected.malformed, 2)
  })

  test('messages for slots far ahead are dropped as future', () => {
    const r = started(1)
    r.receive(c.propose(100 % 7, 100, 0, x), 1)
    assert.equal(r.stats.rejected.future, 1)
  })

  test('good case: all replicas decide the same value in three steps', () => {
    const rs = Array.from({ length: 7 }, (_, i) => c.make(i))
    const queue: Array<{ to: number, bytes: Uint8Array, at: number }> = []
    const decided = new Map<number, { value: Uint8Array, at: number }>()
    const apply = (id: number, actions: ReturnType<typeof rs[0]['start']>, now: number): void => {
      for (const a of actions) {
        if (a.type === 'send') for (const to of a.to) queue.push({ to, bytes: a.bytes, at: now + 1 })
        if (a.type === 'decide' && a.slot === 0) decided.set(id, { value: a.value, at: now })
      }
    }
    rs.forEach((r, i) => apply(i, r.start(0), 0))
    for (let now = 1; now <= 3; now++) {
      const due = queue.filter(m => m.at === now)
      for (const m of due) apply(m.to, rs[m.to].receive(m.bytes, now), now)
    }
    // with s = 3 of 6 a replica may miss a quorum; the ones that decide do so at step 3, all alike
    assert.ok(decided.size >= 1, 'someone decides in the good case')
    const values = new Set([...decided.values()].map(d => Buffer.from(d.value).toString('hex')))
    assert.equal(values.size, 1)
    for (const d of decided.values()) assert.equal(d.at, 3)
  })

  test('decision adoption: a matching prepared replica takes one DECISION; an unprepared one needs f + 1', () => {
    // build a commit certificate addressed to replica `holder`
    const holder = 3
    const commitSenders = [0, 1, 2, 4, 5, 6].filter(s => c.sample(s, MSG_COMMIT, 0, 0).includes(holder))
    assert.ok(commitSenders.length >= 2, 'fixture: enough commit senders sample the holder')
    const cert = [c.vote(MSG_COMMIT, holder, hx), ...commitSenders.slice(0, 2).map(s => c.vote(MSG_COMMIT, s, hx))]
    const signed = (sender: number): Uint8Array => {
      const body = writeDecisionBody(sender, 0, holder, cert, x)
      return seal(body, ed25519.sign(body, c.keys[sender].signSecret))
    }
    const r = started(5)
    r.receive(signed(holder), 1)
    assert.equal(decisions(r.receive(signed(4), 2)).length, 0, 'two vouching replicas are not f + 1 = 3')
    const out = r.receive(signed(6), 3)
    assert.equal(decisions(out).length, 1)
    assert.equal(r.stats.adoptedDecisions, 1)
    // a forged certificate (one commit's signature broken) is refused outright
    const r2 = started(5)
    const broken = cert.map(v => v.slice())
    broken[1][broken[1].length - 1] ^= 1
    const body = writeDecisionBody(4, 0, holder, broken, x)
    r2.receive(seal(body, ed25519.sign(body, c.keys[4].signSecret)), 1)
    assert.equal(r2.stats.rejected.badCertificate, 1)
  })

  test('a DECISION-REQUEST that arrives before the decision is answered when the replica decides', () => {
    const holder = 3
    const commitSenders = [0, 1, 2, 4, 5, 6].filter(s => c.sample(s, MSG_COMMIT, 0, 0).includes(holder))
    const cert = [c.vote(MSG_COMMIT, holder, hx), ...commitSenders.slice(0, 2).map(s => c.vote(MSG_COMMIT, s, hx))]
    const signed = (sender: number, body: Uint8Array): Uint8Array => seal(body, ed25519.sign(body, c.keys[sender].signSecret))
    const r = started(5)
    assert.equal(sends(r.receive(signed(1, writeDecisionRequestBody(1, 0)), 1), MSG_DECISION).length, 0, 'nothing to answer yet')
    r.receive(signed(holder, writeDecisionBody(holder, 0, holder, cert, x)), 2)
    r.receive(signed(4, writeDecisionBody(4, 0, holder, cert, x)), 3)
    const out = r.receive(signed(6, writeDecisionBody(6, 0, holder, cert, x)), 4)
    assert.equal(decisions(out).length, 1)
    assert.deepEqual(sends(out, MSG_DECISION).map(a => a.to), [[1]], 'the early requester gets the decision')
  })

  test('view change selection: a decision beats prepared certificates of the same view; a higher view beats both', () => {
    const vc = (sender: number, votes: Uint8Array[], value: Uint8Array, newView = 1): ViewChange =>
      readMessage(seal(writeViewChangeBody(sender, 0, newView, votes, value), new Uint8Array(64))) as ViewChange
    const decidedX = vc(1, [1, 2, 3].map(s => c.vote(MSG_COMMIT, s, hx)), x)
    const preparedY = [4, 5].map(h => vc(h, [4, 5, 6].map(s => c.vote(MSG_PREPARE, s, hy)), y))
    // two prepared certificates for y against one decision for x, all of view 0: x
    assert.deepEqual(selectFromViewChanges([...preparedY, decidedX])?.value, x)
    // without the decision, the more widely held prepared value
    assert.deepEqual(selectFromViewChanges([...preparedY, vc(1, [1, 2, 3].map(s => c.vote(MSG_PREPARE, s, hx)), x)])?.value, y)
    // a prepared certificate of a later view (here view 1, led by replica 1) beats a decision of view 0
    const hz = c.header(1, 0, 1, c.value('z'))
    const preparedZ = vc(2, [2, 3, 4].map(s => c.vote(MSG_PREPARE, s, hz)), c.value('z'), 2)
    assert.deepEqual(selectFromViewChanges([decidedX, preparedZ])?.value, c.value('z'))
    assert.equal(selectFromViewChanges([vc(6, [], new Uint8Array(0))]), null)
  })

  test('config errors are typed', () => {
    assert.throws(() => c.make(9), (e: Error) => e.name === ConsensusConfigError.name)
  })
})

