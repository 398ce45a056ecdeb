/**
 * LinkVouches (core/net/link-vouch.ts) over a real TopologyView: a quarantined peer comes back on
 * a bootstrap's list or on a link of ours; one back on a link's word alone leaves again when that
 * link closes while no bootstrap lists it (the CI case: a killed peer's late announcement let in by
 * its dying link), and stays when a bootstrap lists it.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { LinkVouches } from '../../core/net/link-vouch.ts'
import { MSG_TOPOLOGY, type TopologyMessage } from '../../core/net/mesh-codec.ts'
import { TopologyView } from '../../core/net/topology.ts'

const TTL = 60_000
const topo = (seq: number, neighbours: string[] = [], role: TopologyMessage['role'] = 'peer'): TopologyMessage =>
  ({ type: MSG_TOPOLOGY, role, seq, neighbours: neighbours.map(peerId => ({ peerId, transport: 'webrtc' })) } as TopologyMessage)

test('a peer back on a link\'s word alone is dropped again when that link closes; a bootstrap\'s word keeps it', () => {
  const view = new TopologyView('self', TTL)
  const links = new Set<string>()
  const vouches = new LinkVouches(view, new Set(['boot']), id => links.has(id))
  let now = 1000
  // both peers known, then dropped with quarantine (their bootstrap links closed)
  view.announce('boot', topo(1, ['a', 'b'], 'bootstrap'), now)
  view.announce('a', topo(1), now)
  view.announce('b', topo(1), now)
  assert.equal(view.leave('a', now, true), true)
  assert.equal(view.leave('b', now, true), true)
  view.announce('boot', topo(2, [], 'bootstrap'), now)

  // nobody vouches: a late announcement stays out
  now += 100
  assert.equal(vouches.vouch('a'), false)
  assert.equal(view.announce('a', topo(2), now, vouches.vouch('a')), false)
  // our dying link to `a` vouches for it: back in, remembered
  links.add('a')
  assert.equal(view.announce('a', topo(3), now, vouches.vouch('a')), true)
  assert.equal(view.has('a'), true)
  assert.equal(vouches.size, 1)
  // the link closes and no bootstrap lists it: out again, quarantined
  links.delete('a')
  assert.equal(vouches.linkClosed('a', now), true)
  assert.equal(view.has('a'), false)
  assert.equal(view.isDeparted('a'), true)
  assert.equal(view.announce('a', topo(4), now, vouches.vouch('a')), false, 'still quarantined')
  assert.equal(vouches.size, 0)

  // `b`: back on a link's word, then the bootstrap lists it again: the link closing keeps it
  links.add('b')
  assert.equal(view.announce('b', topo(2), now, vouches.vouch('b')), true)
  view.announce('boot', topo(3, ['b'], 'bootstrap'), now)
  links.delete('b')
  assert.equal(vouches.linkClosed('b', now), false)
  assert.equal(view.has('b'), true)
  // a closed link of a peer that was never vouched for by a link changes nothing
  assert.equal(vouches.linkClosed('b', now), false)
  assert.equal(vouches.linkClosed('stranger', now), false)
})

test('a bootstrap listing a quarantined peer vouches for it without a link, and nothing is remembered', () => {
  const view = new TopologyView('self', TTL)
  const vouches = new LinkVouches(view, new Set(['boot']), () => false)
  view.announce('c', topo(1), 0)
  view.leave('c', 0, true)
  view.announce('boot', topo(1, ['c'], 'bootstrap'), 0)
  assert.equal(vouches.vouch('c'), true)
  assert.equal(vouches.size, 0)
  assert.equal(vouches.vouch('not-departed'), false, 'only a departed peer needs a voucher')
})
