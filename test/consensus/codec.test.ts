/**
 * The consensus codec: decode(encode(x)) == x for every message type (fast-check), a shared list
 * of junk fed to readMessage (truncations, bit flips, over-long varints, unknown types, random
 * bytes), each answered with a typed MessageDecodeError and never anything else.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import {
  MSG_COMMIT, MSG_PREPARE, readMessage, seal, writeDecisionBody, writeDecisionRequestBody, writeHeaderBody, writeNewViewBody,
  writePropose, writeViewChangeBody, writeVoteBody, type ViewChange, type Vote
} from '../../core/consensus/codec.ts'
import { MessageDecodeError, NonCanonicalEncodingError, UnknownMessageTypeError } from '../../core/consensus/errors.ts'

const u32 = fc.integer({ min: 0, max: 0xffffffff })
const bytes = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n })
const header = fc.record({ leader: u32, slot: u32, view: u32, digest: bytes(32), sig: bytes(64) })
  .map(h => ({ ...h, bytes: seal(writeHeaderBody(h.leader, h.slot, h.view, h.digest), h.sig) }))
const value = fc.uint8Array({ maxLength: 200 })
const vote = fc.record({ type: fc.constantFrom(MSG_PREPARE, MSG_COMMIT), sender: u32, header, proof: fc.oneof(bytes(0), bytes(80)), sig: bytes(64) })
  .map(v => ({ ...v, bytes: seal(writeVoteBody(v.type, v.sender, v.header.bytes, v.proof), v.sig) }))
const viewChange = fc.record({ sender: u32, slot: u32, newView: u32, prepares: fc.array(vote.filter(v => v.type === MSG_PREPARE), { maxLength: 3 }), value, sig: bytes(64) })
  .map(v => ({ ...v, bytes: seal(writeViewChangeBody(v.sender, v.slot, v.newView, v.prepares.map(p => p.bytes), v.value), v.sig) }))

test('round trip: header, propose, prepare/commit', () => {
  fc.assert(fc.property(header, value, vote, (h, val, v) => {
    const m = readMessage(h.bytes)
    assert.ok(m.type === 1)
    assert.deepEqual([m.leader, m.slot, m.view, m.digest, m.sig], [h.leader, h.slot, h.view, h.digest, h.sig])
    const p = readMessage(writePropose(h.bytes, val))
    assert.ok(p.type === 2)
    assert.deepEqual([p.header.bytes, p.value], [h.bytes, val])
    const w = readMessage(v.bytes) as Vote
    assert.deepEqual([w.type, w.sender, w.header.bytes, w.vrfProof, w.sig], [v.type, v.sender, v.header.bytes, v.proof, v.sig])
  }), { numRuns: 200 })
})

test('round trip: view change, new view, decision, decision request', () => {
  fc.assert(fc.property(viewChange, header, value, fc.array(vote.filter(v => v.type === MSG_COMMIT), { maxLength: 3 }), u32, bytes(64), (vc, h, val, commits, x, sig) => {
    const m = readMessage(vc.bytes)
    assert.ok(m.type === 5)
    assert.deepEqual([m.sender, m.slot, m.newView, m.prepared.map(p => p.bytes), m.value], [vc.sender, vc.slot, vc.newView, vc.prepares.map(p => p.bytes), vc.value])
    const nv = readMessage(seal(writeNewViewBody(x, h.bytes, val, [vc.bytes]), sig))
    assert.ok(nv.type === 6)
    assert.deepEqual([nv.sender, nv.header.bytes, nv.value, nv.viewChanges.map(v => v.bytes)], [x, h.bytes, val, [vc.bytes]])
    const d = readMessage(seal(writeDecisionBody(x, h.slot, h.leader, commits.map(c => c.bytes), val), sig))
    assert.ok(d.type === 7)
    assert.deepEqual([d.sender, d.slot, d.holder, d.commits.map(c => c.bytes), d.value], [x, h.slot, h.leader, commits.map(c => c.bytes), val])
    const r = readMessage(seal(writeDecisionRequestBody(x, h.slot), sig))
    assert.ok(r.type === 8)
    assert.deepEqual([r.sender, r.slot], [x, h.slot])
  }), { numRuns: 100 })
})

/** Junk derived from valid messages plus fixed cases: every one must be a typed decode error. */
function junk (valid: Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [
    new Uint8Array(0), Uint8Array.of(0), Uint8Array.of(99), Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f),
    Uint8Array.of(3, 0x80, 0x80, 0x80, 0x80, 0x10), // sender varint out of range
    Uint8Array.of(2, 0xff, 0xff, 0xff, 0x0f, 1) // header length far beyond the buffer
  ]
  for (const v of valid) {
    for (let cut = 0; cut < v.length; cut += Math.max(1, v.length >> 4)) out.push(v.subarray(0, cut))
    out.push(new Uint8Array([...v, 0])) // trailing byte
  }
  return out
}

test('junk inputs: a MessageDecodeError every time, nothing else', () => {
  const samples = fc.sample(fc.oneof(vote.map(v => v.bytes), viewChange.map(v => v.bytes)), { numRuns: 20, seed: 42 })
  for (const j of junk(samples)) {
    assert.throws(() => readMessage(j), (e: Error) => e instanceof MessageDecodeError, `junk ${Buffer.from(j).toString('hex').slice(0, 40)}`)
  }
})

test('random bytes never throw anything but a decode error, and what decodes re-encodes identically', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), b => {
    try {
      const m = readMessage(b)
      assert.deepEqual(m.bytes, b)
    } catch (e) {
      assert.ok(e instanceof MessageDecodeError, String(e))
    }
  }), { numRuns: 2000 })
})

test('unknown type and over-long varints are typed errors', () => {
  assert.throws(() => readMessage(Uint8Array.of(42, 1, 2)), (e: Error) => e.name === UnknownMessageTypeError.name && (e as UnknownMessageTypeError).messageType === 42)
  // a header whose slot is encoded as 0x80 0x00 (a second, non-canonical encoding of 0)
  const canonical = seal(writeHeaderBody(1, 0, 0, new Uint8Array(32)), new Uint8Array(64))
  const overlong = new Uint8Array([canonical[0], canonical[1], 0x80, 0x00, ...canonical.subarray(3)])
  assert.throws(() => readMessage(overlong), (e: Error) => e.name === NonCanonicalEncodingError.name)
})

test('nesting is depth-limited and a nested message must have the right type', () => {
  const h = seal(writeHeaderBody(0, 0, 0, new Uint8Array(32)), new Uint8Array(64))
  // a vote whose "header" field holds a propose: rejected
  const bad = seal(writeVoteBody(MSG_PREPARE, 0, writePropose(h, new Uint8Array(0)), new Uint8Array(0)), new Uint8Array(64))
  assert.throws(() => readMessage(bad), (e: Error) => e instanceof MessageDecodeError)
  // a view change's certificate holds votes (prepares, or commits of a decided sender); a header there: rejected
  const commit = seal(writeVoteBody(MSG_COMMIT, 0, h, new Uint8Array(0)), new Uint8Array(64))
  assert.equal((readMessage(seal(writeViewChangeBody(0, 0, 1, [commit], new Uint8Array(0)), new Uint8Array(64))) as ViewChange).prepared[0].type, MSG_COMMIT)
  assert.throws(() => readMessage(seal(writeViewChangeBody(0, 0, 1, [h], new Uint8Array(0)), new Uint8Array(64))), (e: Error) => e instanceof MessageDecodeError)
})
