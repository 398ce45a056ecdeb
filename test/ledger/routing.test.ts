/**
 * routing.ts, where a replica's own microblock goes: the first copy to every replica of the epoch,
 * a re-send (not committed within resendMs) only to the leaders that would propose it next — the
 * next slot's views 0 and 1 and the slot after (leader = (slot + view) mod n) — never to itself.
 * A follower's: the first copy to one replica (the next slot's leader when linked, else a linked
 * one), each re-send to 2 not tried yet; only a replica that got a microblock straight from a
 * non-replica relays it (`relaysMicroblock`), so each replica gets it once.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { LedgerRouter, relaysMicroblock } from '../../core/ledger/routing.ts'
import type { Chain } from '../../core/ledger/chain.ts'
import type { Microblock } from '../../core/ledger/codec.ts'
import { realClock } from '../../core/ledger/live-replica.ts'

function harness (n: number, self: number, height: number, opts: { follower?: boolean, linked?: (id: string) => boolean, fanout?: number } = {}): { router: LedgerRouter, sent: string[], ids: string[] } {
  const ids = Array.from({ length: n }, (_, i) => `p${i}`)
  // a follower is not in the replica set: it is the extra peer `f`
  const me = opts.follower === true ? 'f' : ids[self]
  const linked = opts.linked ?? (() => true)
  const chain = { height, current: { n, replicas: ids.map(peerId => ({ peerId })) }, isReplica: (p: string) => ids.includes(p) } as unknown as Chain
  const sent: string[] = []
  const router = new LedgerRouter({
    self: me,
    genesisPeerId: ids[0],
    // a frame to a peer without a link goes to a relay as FORWARD: recorded as `via>to`
    transport: { self: me, send: to => { sent.push(to) }, publish: () => {}, request: async () => new Uint8Array(0), connectedPeers: () => ids.filter(p => p !== me && linked(p)), rttMs: () => 1, protect: () => {}, disconnect: () => {} },
    clock: realClock,
    chain: () => chain,
    prevEpoch: () => undefined,
    poolOwn: () => opts.follower !== true,
    ...(opts.fanout != null ? { followerFanout: opts.fanout } : {}),
    proposeOwn: () => {},
    count: () => {},
    reject: () => {}
  })
  return { router, sent, ids }
}

const mb = { author: 'p3', seq: 0, entries: [], bytes: new Uint8Array(8) } as unknown as Microblock

test('the first copy goes to every other replica', () => {
  const { router, sent, ids } = harness(16, 3, 40)
  router.dispatch(mb, new Set(), false)
  assert.deepEqual(sent.sort(), ids.filter(p => p !== 'p3').sort())
})

test('a re-send goes to the next slots\' leaders only (not to itself)', () => {
  const a = harness(16, 3, 40) // next slot 41: (41, 42, 43) mod 16
  a.router.dispatch(mb, new Set(), true)
  assert.deepEqual(a.sent, ['p9', 'p10', 'p11'])
  const b = harness(16, 10, 40) // we lead one of them: 2 frames
  b.router.dispatch(mb, new Set(), true)
  assert.deepEqual(b.sent, ['p9', 'p11'])
  const c = harness(2, 0, 5) // fewer replicas than leaders asked for: each once
  c.router.dispatch(mb, new Set(), true)
  assert.deepEqual(c.sent, ['p1'])
})

test('a follower\'s first copy goes to one replica: the next slot\'s leader when it has a link to it', () => {
  const a = harness(7, 0, 40, { follower: true }) // next slot 41: leader p6 (41 mod 7)
  a.router.dispatch(mb, new Set(), false)
  assert.deepEqual(a.sent, ['p6'])
  // no link to the next slots' leaders (p6, p0, p1): the first replica it has a link to
  const b = harness(7, 0, 40, { follower: true, linked: p => !['p6', 'p0', 'p1'].includes(p) })
  b.router.dispatch(mb, new Set(), false)
  assert.deepEqual(b.sent, ['p2'])
  // followerFanout 2 (the rule before): two first copies, both of which relay
  const c = harness(7, 0, 40, { follower: true, fanout: 2 })
  c.router.dispatch(mb, new Set(), false)
  assert.deepEqual(c.sent, ['p6', 'p0'])
})

test('a follower\'s re-sends go to 2 replicas not tried yet, then start over', () => {
  const { router, sent } = harness(5, 0, 9, { follower: true }) // next slot 10: leaders p0, p1, p2
  const sentTo = new Set<string>()
  router.dispatch(mb, sentTo, false)
  assert.deepEqual(sent.splice(0), ['p0'])
  router.dispatch(mb, sentTo, true)
  assert.deepEqual(sent.splice(0), ['p1', 'p2'])
  router.dispatch(mb, sentTo, true)
  assert.deepEqual(sent.splice(0), ['p3', 'p4'])
  assert.equal(sentTo.size, 5)
  // every replica tried: the next re-send starts over (the first ones may have come back)
  router.dispatch(mb, sentTo, true)
  assert.deepEqual(sent.splice(0), ['p0', 'p1'])
})

test('only a replica that got a microblock straight from a non-replica relays it', () => {
  const replicas = new Set(['p0', 'p1', 'p2'])
  const chain = { isReplica: (p: string) => replicas.has(p) }
  assert.equal(relaysMicroblock('follower', chain), true, 'a follower\'s copy (first or re-sent) is relayed')
  assert.equal(relaysMicroblock('p1', chain), false, 'a replica\'s own microblock, or another replica\'s relay, is not')
})
