/**
 * routing.ts, where a replica's own microblock goes: the first copy to every replica of the epoch,
 * a re-send (not committed within resendMs) only to the leaders that would propose it next — the
 * next slot's views 0 and 1 and the slot after (leader = (slot + view) mod n) — never to itself.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { LedgerRouter } from '../../core/ledger/routing.ts'
import type { Chain } from '../../core/ledger/chain.ts'
import type { Microblock } from '../../core/ledger/codec.ts'
import { realClock } from '../../core/ledger/live-replica.ts'

function harness (n: number, self: number, height: number): { router: LedgerRouter, sent: string[], ids: string[] } {
  const ids = Array.from({ length: n }, (_, i) => `p${i}`)
  const chain = { height, current: { n, replicas: ids.map(peerId => ({ peerId })) }, isReplica: (p: string) => ids.includes(p) } as unknown as Chain
  const sent: string[] = []
  const router = new LedgerRouter({
    self: ids[self],
    genesisPeerId: ids[0],
    transport: { self: ids[self], send: to => { sent.push(to) }, publish: () => {}, request: async () => new Uint8Array(0), connectedPeers: () => ids.filter((_, i) => i !== self), rttMs: () => 1, protect: () => {}, disconnect: () => {} },
    clock: realClock,
    chain: () => chain,
    prevEpoch: () => undefined,
    poolOwn: () => true,
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
