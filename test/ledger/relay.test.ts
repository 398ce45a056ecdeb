/**
 * A follower's microblocks reach each replica once (routing.ts): 7 replicas and a follower over the
 * in-memory network (seeded delays; the real LedgerNode). The follower sends each new microblock to
 * one replica, which relays it to the 6 others, so the replicas together receive exactly what the
 * follower sent plus 6 relayed copies per microblock (before: two first copies, both relayed, so
 * nearly every replica got each one twice). And delivery survives a faulty relay: when the replica
 * the follower chose receives but nothing it sends arrives, and the next two it would try lose
 * the follower's frames, the follower's re-sends reach a replica that relays, and the entry commits.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { FRAME_MICROBLOCK, readFrame, readMicroblock } from '../../core/ledger/codec.ts'
import { LedgerRouter } from '../../core/ledger/routing.ts'
import { realClock } from '../../core/ledger/live-replica.ts'
import { waitFor } from '../_support/wait.ts'
import { MemNet, ready, seededKey, type MemPeer } from './_memnet.ts'

const net = new MemNet(15)
const replicas: MemPeer[] = []
let follower: MemPeer
const note = (i: number): { kind: string, data: Uint8Array } => ({ kind: 'note', data: new TextEncoder().encode(JSON.stringify({ i })) })
/** microblock frames authored by the follower that each replica received (the replicas' own background entries aside) */
const fromFollower = new Map<string, number>()
const microblockFrames = (ps: MemPeer[]): number => ps.reduce((a, p) => a + (fromFollower.get(p.id) ?? 0), 0)
function countFollowerMicroblocks (p: MemPeer): void {
  const onFrame = p.node.onFrame.bind(p.node)
  p.node.onFrame = (from, bytes, accountable) => {
    try {
      const f = readFrame(bytes)
      if (f.type === FRAME_MICROBLOCK && readMicroblock(f.microblock).author === follower.id) fromFollower.set(p.id, (fromFollower.get(p.id) ?? 0) + 1)
    } catch { /* not a frame this count is about: the node itself rejects it */ }
    onFrame(from, bytes, accountable)
  }
}

before(async () => {
  await ready()
  const key = await seededKey('relay genesis')
  const gid = peerIdFromPrivateKey(key).toString()
  const init = { genesisPeerId: gid, syncIntervalMs: 500, resendMs: 500 }
  replicas.push(await net.add('relay genesis', init, { key }))
  for (let i = 1; i < 7; i++) replicas.push(await net.add(`relay peer ${i}`, init))
  follower = await net.add('relay follower', { ...init, join: false })
  for (const p of replicas) countFollowerMicroblocks(p)
  await waitFor(() => replicas.every(p => p.node.status().replicas.length === 7 && p.node.status().replica) && follower.node.status().height === replicas[0].node.status().height,
    { timeout: 90_000, message: () => `7 replicas (${replicas.map(p => p.node.status().replicas.length).join(',')}) and the follower synced` })
})

after(async () => { await net.stopAll() })

test('each of a follower\'s microblocks reaches each replica once', { timeout: 120_000 }, async () => {
  assert.equal(follower.node.status().replica, false)
  // no re-sends here (a loaded machine can take longer than resendMs to commit; re-sends are the
  // next test's): the count below is then exact
  follower.node.init.resendMs = 120_000
  const frames0 = microblockFrames(replicas)
  const sent0 = follower.frames.sent
  const k = 12
  try {
    // one at a time: each entry is its own microblock
    for (let i = 0; i < k; i++) {
      const c = await follower.node.submit(note(i), { timeoutMs: 60_000 })
      assert.equal(c.author, follower.id)
    }
  } finally {
    follower.node.init.resendMs = 500
  }
  // the follower sends only microblocks: one first copy each
  assert.equal(follower.frames.sent - sent0, k)
  // relayed to the 6 other replicas once each (two first copies, both relayed, gave up to 14 k)
  await waitFor(() => microblockFrames(replicas) - frames0 >= 7 * k, { timeout: 10_000, message: () => `the relayed copies to arrive (${microblockFrames(replicas) - frames0} of ${7 * k})` })
  assert.equal(microblockFrames(replicas) - frames0, 7 * k, 'every replica got each microblock once')
})

test('a faulty relay: the follower\'s re-sends reach a replica that relays, and the entry commits', { timeout: 120_000 }, async () => {
  const chain = follower.node.chain
  assert.ok(chain != null)
  // the order in which the follower tries replicas (routing.ts's rule, from its own chain)
  const order = new LedgerRouter({
    self: follower.id,
    genesisPeerId: replicas[0].id,
    transport: { self: follower.id, send: () => {}, publish: () => {}, request: async () => new Uint8Array(0), connectedPeers: () => replicas.map(p => p.id), rttMs: () => 1, protect: () => {}, disconnect: () => {} },
    clock: realClock,
    chain: () => chain,
    prevEpoch: () => undefined,
    poolOwn: () => false,
    proposeOwn: () => {},
    count: () => {},
    reject: () => {}
  }).followerTargets(chain, new Set(), 7)
  assert.equal(order.length, 7)
  const height = replicas[0].node.status().height
  // the first choice receives but is mute (nothing it sends arrives: not its relay, not its votes);
  // the first re-send's two replicas lose the follower's frames
  const mute = order[0]
  for (const p of [...replicas.map(r => r.id), follower.id]) if (p !== mute) net.blackhole.add(`${mute}>${p}`)
  net.blackhole.add(`${follower.id}>${order[1]}`)
  net.blackhole.add(`${follower.id}>${order[2]}`)
  try {
    const sent0 = follower.frames.sent
    const c = await follower.node.submit(note(1000), { timeoutMs: 90_000 })
    assert.ok(c.slot > height)
    assert.ok(follower.frames.sent - sent0 >= 5, `the first copy and at least two re-sends of 2 (${follower.frames.sent - sent0} frames)`)
    const honest = replicas.filter(p => p.id !== mute)
    await waitFor(() => honest.every(p => p.node.status().height >= c.slot), { timeout: 30_000, message: 'the other replicas to commit it' })
    assert.equal(new Set(honest.map(p => p.node.status().head)).size, 1)
  } finally {
    net.blackhole.clear()
  }
})
