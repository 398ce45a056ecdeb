/**
 * The ledger's cache of microblocks already checked (core/ledger/verified-keys.ts) holds at most its
 * bound, dropping the oldest first: a long-lived peer's cache stops growing.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MAX_VERIFIED_KEYS, VerifiedKeys } from '../../core/ledger/verified-keys.ts'

test('the cache keeps at most its bound, oldest out first; a key added again keeps its place', () => {
  const keys = new VerifiedKeys(3)
  for (const k of ['a', 'b', 'c']) keys.add(k)
  keys.add('a') // already there: nothing changes
  assert.equal(keys.size, 3)
  keys.add('d')
  assert.equal(keys.size, 3)
  assert.equal(keys.has('a'), false, 'the oldest went')
  assert.ok(keys.has('b') && keys.has('c') && keys.has('d'))
})

test('a peer that verifies microblocks for its whole life holds at most MAX_VERIFIED_KEYS of them', () => {
  const keys = new VerifiedKeys()
  for (let i = 0; i < MAX_VERIFIED_KEYS * 2 + 17; i++) keys.add(`mb-${i}`)
  assert.equal(keys.size, MAX_VERIFIED_KEYS)
  assert.ok(keys.has(`mb-${MAX_VERIFIED_KEYS * 2 + 16}`))
  assert.equal(keys.has('mb-0'), false)
})
