/**
 * The cool-off rule alone (core/ledger/admission.ts): how long a peer's join waits after its k-th
 * removal (0, 16, 32, … at most 1,024 slots), and the count starting over for a peer that had been
 * a replica for 1,024 slots when removed. The chain's use of it: chain.test.ts ("admission", "cool-off").
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Admission, COOL_OFF_MAX_SLOTS, COOL_OFF_RESET_SLOTS, coolOffSlots } from '../../core/ledger/admission.ts'

const member = (since: number): { peerId: string, since: number, signPublic: Uint8Array, vrfPublic: Uint8Array } => ({ peerId: 'p', since, signPublic: new Uint8Array(32), vrfPublic: new Uint8Array(32) })

test('coolOffSlots: free the first time, then 16 doubling, bounded', () => {
  assert.deepEqual([1, 2, 3, 4, 5].map(coolOffSlots), [0, 16, 32, 64, 128])
  assert.equal(coolOffSlots(8), COOL_OFF_MAX_SLOTS)
  assert.equal(coolOffSlots(1_000_000), COOL_OFF_MAX_SLOTS, 'no overflow, still the cap')
})

test('Admission: removals counted per peer; a long stay as a replica starts the count over', () => {
  const a = new Admission()
  assert.equal(a.joinAllowedAt('p'), 0)
  a.noteRemoved(member(10), 40)
  assert.equal(a.joinAllowedAt('p'), 41, 'first removal: the next slot')
  a.noteRemoved(member(41), 60)
  assert.equal(a.removals('p'), 2)
  assert.equal(a.joinAllowedAt('p'), 61 + 16)
  a.noteRemoved(member(77), 100)
  assert.equal(a.joinAllowedAt('p'), 101 + 32)
  // it then stayed COOL_OFF_RESET_SLOTS slots before its next removal: counted as a first one again
  a.noteRemoved(member(133), 133 + COOL_OFF_RESET_SLOTS)
  assert.equal(a.removals('p'), 1)
  assert.equal(a.joinAllowedAt('p'), 134 + COOL_OFF_RESET_SLOTS)
  assert.equal(a.joinAllowedAt('q'), 0, 'others are not affected')
})
