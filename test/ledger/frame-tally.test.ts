/**
 * frame-tally.ts: every kind of ledger frame is named from its first bytes, as the codec writes it,
 * and a frame identical to one already received from the same peer is a repeat (from another peer
 * it is not).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { FRAME_CONSENSUS, FRAME_FORWARD, FRAME_FORWARDED, FRAME_MICROBLOCK, FRAME_PROBE, FRAME_PROBE_ACK, writeFrame } from '../../core/ledger/codec.ts'
import { MSG_COMMIT, MSG_DECISION_REQUEST, MSG_PREPARE, MSG_PROPOSE, MSG_VIEW_CHANGE } from '../../core/consensus/codec.ts'
import { FrameTally, frameKind } from '../../core/ledger/frame-tally.ts'

const consensus = (type: number, epoch = 3, len = 40): Uint8Array => writeFrame({ type: FRAME_CONSENSUS, epoch, message: Uint8Array.from({ length: len }, (_, i) => i === 0 ? type : i) })

test('kinds from the first bytes of frames the codec writes (multi-byte epochs and lengths included)', () => {
  assert.equal(frameKind(consensus(MSG_PROPOSE)), 'propose')
  assert.equal(frameKind(consensus(MSG_PREPARE, 300, 500)), 'prepare')
  assert.equal(frameKind(consensus(MSG_COMMIT, 70_000, 20_000)), 'commit')
  assert.equal(frameKind(consensus(MSG_VIEW_CHANGE)), 'viewChange')
  assert.equal(frameKind(consensus(MSG_DECISION_REQUEST)), 'decisionRequest')
  assert.equal(frameKind(writeFrame({ type: FRAME_MICROBLOCK, microblock: new Uint8Array(9) })), 'microblock')
  assert.equal(frameKind(writeFrame({ type: FRAME_PROBE, nonce: 7 })), 'probe')
  assert.equal(frameKind(writeFrame({ type: FRAME_PROBE_ACK, nonce: 7 })), 'probeAck')
  assert.equal(frameKind(writeFrame({ type: FRAME_FORWARD, peer: 'p', frame: consensus(MSG_COMMIT) })), 'forward')
  assert.equal(frameKind(writeFrame({ type: FRAME_FORWARDED, peer: 'p', frame: consensus(MSG_COMMIT) })), 'forwarded')
  assert.equal(frameKind(new Uint8Array(0)), 'other')
  assert.equal(frameKind(Uint8Array.of(FRAME_CONSENSUS, 0x80)), 'other', 'a truncated frame does not throw')
})

test('repeats: the same frame again from the same peer', () => {
  const t = new FrameTally()
  const a = consensus(MSG_PREPARE)
  t.note('x', a)
  t.note('y', a)
  t.note('x', a)
  t.note('x', consensus(MSG_COMMIT))
  assert.deepEqual(t.counts.byKind, { prepare: 3, commit: 1 })
  assert.deepEqual(t.counts.repeats, { prepare: 1 })
})
