/**
 * LiveReplica (core/ledger/live-replica.ts) labels a refused value by the message's slot: a
 * PROPOSE whose value the owner refuses is `badValue` for the slot in progress (or a later one),
 * but `stale` for a slot this replica is already past — a late peer that synced hears the old
 * slots' messages, whose microblocks are already in its chain ("stale microblock"); an honest
 * mesh then showed badValue counts (the n = 20 run's late peers, 4–8 each). Either way the
 * message goes no further: the engine never sees it. Real keys and signatures (test fixtures).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createConsensusCrypto } from '../../core/consensus/crypto.ts'
import { leaderOf } from '../../core/consensus/index.ts'
import { LiveReplica, type Clock } from '../../core/ledger/live-replica.ts'
import { cluster } from '../consensus/_fixtures.ts'

test('a refused value is stale for a slot already passed, badValue for the current one; neither reaches the engine', async () => {
  const c = cluster({ n: 4, f: 1, protocol: 'pbft', sampleSize: 3, quorum: 3, seed: 7 })
  const replicas = c.keys.map((k, i) => ({ signPublic: k.signPublic, vrfPublic: k.vrfPublic, peerId: `peer-${i}`, since: 0 }))
  const epoch = { epoch: 1, start: 0, replicas, n: 4, f: 1, protocol: 'pbft' as const, sampleSize: 3, quorum: 3 }
  const rejected: string[] = []
  let sent = 0
  let refuse = true
  const clock: Clock = { now: () => 0, setTimeout: () => 0, clearTimeout: () => {} }
  const FIRST = 10
  const live = new LiveReplica(epoch, 3, FIRST, {
    clock,
    crypto: createConsensusCrypto(),
    keys: c.keys[3],
    proposalFor: () => null,
    checkValue: async () => refuse ? 'stale microblock' : null,
    send: () => { sent++ },
    decided: () => {},
    busy: () => false,
    tickMs: () => 50,
    reject: reason => { rejected.push(reason) }
  })
  live.start()
  assert.equal(live.currentSlot, FIRST)
  const propose = (slot: number): Uint8Array => c.propose(leaderOf(4, slot, 0), slot, 0, c.value(`block ${slot}`))
  await live.receive(propose(FIRST - 3))
  assert.deepEqual(rejected, ['stale'], 'a slot this replica is past')
  await live.receive(propose(FIRST))
  assert.deepEqual(rejected, ['stale', 'badValue'], 'the slot in progress')
  assert.equal(sent, 0, 'the engine saw neither refused proposal')
  // had it seen one, it would have voted (a PREPARE to the others), as it does for an accepted value
  refuse = false
  await live.receive(propose(FIRST))
  assert.ok(sent > 0, 'an accepted proposal reaches the engine, which votes')
  assert.deepEqual(rejected, ['stale', 'badValue'])
  live.stop()
})
