/**
 * `LedgerNode.synced` (core/ledger/sync-pull.ts): true once the peer caught up after it started.
 * Over the in-memory network, seeded: the genesis peer is synced at once (it created the chain); a
 * follower that starts while nobody answers its sync pulls stays unsynced however many pulls it
 * tries, and turns synced once a pull brings it to what the answering peer holds; restarted on its
 * stored chain (replayed, so it holds jobs and notes from before) it is unsynced again until a pull
 * answers. The jobs layer holds blob eviction on it (core/jobs/retention.ts, test/blobs/eviction.test.ts).
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { waitFor } from '../_support/wait.ts'
import { MemNet, ready, seededKey } from './_memnet.ts'

const net = new MemNet(41)
const note = (i: number): { kind: string, data: Uint8Array } => ({ kind: 'note', data: new TextEncoder().encode(JSON.stringify({ synced: i })) })

before(async () => { await ready() })
after(async () => { await net.stopAll() })

test('synced: the genesis peer at once; a follower only once a pull answered, again after a restart on its stored chain', { timeout: 120_000 }, async () => {
  const key = await seededKey('synced genesis')
  const init = { genesisPeerId: peerIdFromPrivateKey(key).toString(), removeAfterMs: 600_000, syncIntervalMs: 200 }
  const genesis = await net.add('synced genesis', init, { key })
  assert.equal(genesis.node.synced, true, 'it created the chain: nothing to catch up with')
  for (let i = 0; i < 3; i++) await genesis.node.submit(note(i), { timeoutMs: 30_000 })
  const head = genesis.node.status().height
  assert.ok(head >= 0)

  net.syncMuted.add(genesis.id) // its sync answers time out: nobody answers the follower
  const f = await net.add('synced follower', { ...init, join: false })
  assert.equal(f.node.synced, false)
  await waitFor(() => (f.node.status().frames?.syncPulls ?? 0) >= 3, { timeout: 60_000, message: () => `the follower tried 3 pulls (${f.node.status().frames?.syncPulls})` })
  assert.equal(f.node.synced, false, 'unanswered pulls are not catching up')
  assert.equal(f.node.status().height, -1)

  net.syncMuted.delete(genesis.id)
  await waitFor(() => f.node.synced, { timeout: 60_000, message: () => `the follower synced (height ${f.node.status().height} of ${head})` })
  assert.equal(f.node.status().height, head, 'synced means it holds what the answering peer held')

  // restarted on its stored chain while nobody answers: the replayed chain is not "caught up"
  await net.crash(f.id)
  await waitFor(() => net.inFlight === 0, { timeout: 10_000, message: 'frames to the crashed follower settled' })
  net.syncMuted.add(genesis.id)
  const again = await net.add('synced follower', { ...init, join: false }, { key: f.key, store: f.store })
  assert.equal(again.node.status().height, head, 'replayed what it stored')
  assert.equal(again.node.synced, false)
  await genesis.node.submit(note(3), { timeoutMs: 30_000 }) // the head moves on (gossip may bring it: not a pull)
  await waitFor(() => (again.node.status().frames?.syncPulls ?? 0) >= 3, { timeout: 60_000, message: 'the restarted follower tried 3 pulls' })
  assert.equal(again.node.synced, false)
  net.syncMuted.delete(genesis.id)
  await waitFor(() => again.node.synced, { timeout: 60_000, message: () => `the restarted follower synced (height ${again.node.status().height}; cut ${JSON.stringify([...net.cut])}; rejected ${JSON.stringify(again.node.status().rejected)}; pulls ${again.node.status().frames?.syncPulls})` })
  assert.equal(again.node.status().height, genesis.node.status().height)
})
