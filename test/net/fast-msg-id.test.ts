/** Gossipsub's fast message id: the same key as the StrictSign message id (sender + seqno), and only that. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { fastMsgId } from '../../core/net/fast-msg-id.ts'

const bytes = fc.uint8Array({ maxLength: 40 })

test('fast message id: equal exactly when sender and seqno are equal', () => {
  fc.assert(fc.property(bytes, bytes, bytes, bytes, (fromA, seqA, fromB, seqB) => {
    const same = Buffer.from(fromA).equals(Buffer.from(fromB)) && Buffer.from(seqA).equals(Buffer.from(seqB))
    assert.equal(fastMsgId({ from: fromA, seqno: seqA }) === fastMsgId({ from: fromB, seqno: seqB }), same)
  }), { seed: 7, numRuns: 2000 })
})

test('fast message id: ignores data, topic, signature and key (a copy is a copy)', () => {
  const from = Uint8Array.of(0, 36, 8, 1)
  const seqno = Uint8Array.of(0, 0, 1, 2)
  const a = { from, seqno, topic: 't', data: Uint8Array.of(1), signature: Uint8Array.of(9) }
  const b = { from, seqno, topic: 'u', data: Uint8Array.of(2), key: Uint8Array.of(3) }
  assert.equal(fastMsgId(a), fastMsgId(b))
  assert.equal(fastMsgId({ from, seqno }), '00240801/00000102')
  assert.notEqual(fastMsgId({ from }), fastMsgId({ seqno: from }), 'a missing field is not confused with the other')
})
