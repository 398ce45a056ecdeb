/**
 * The duplicate-link rule (core/net/duplicate-links.ts): both sides of a pair reach the same
 * verdict on their own, so exactly one of two simultaneous dials survives: the smaller id's. The
 * live behaviour (two fresh peers dialling each other at once) is in simultaneous-dial.test.ts.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { duplicateLinkReason, DuplicateLinkGuard, type DirectLinkFacts, type DuplicateLinkInput } from '../../core/net/duplicate-links.ts'
import type { Connection } from '@libp2p/interface'

const SMALL = '12D3KooWDWjt7WDpp2bnxtxQe8NhoXGV8hKUFzGYWCnQs5VtQ2jY'
const LARGE = '12D3KooWHXR8HYW3w36jSJPdoA9NxsA22GgctbCP4XBLKGwzzNFN'
const RELAY = `/ip4/127.0.0.1/tcp/4001/ws/p2p/${LARGE}`

function verdict (self: string, direction: 'inbound' | 'outbound', dialing: boolean, links: DirectLinkFacts[] = []): string | undefined {
  const input: DuplicateLinkInput = { self, remote: self === SMALL ? LARGE : SMALL, direction, dialing, links }
  const v = duplicateLinkReason(input)
  return v == null ? undefined : `${v.kind}: ${v.reason}`
}

test('ids compare as the rule assumes', () => { assert.ok(SMALL < LARGE) })

test('a first link is accepted in either direction, by either side', () => {
  for (const self of [SMALL, LARGE]) {
    for (const direction of ['inbound', 'outbound'] as const) assert.equal(verdict(self, direction, false), undefined, `${self === SMALL ? 'smaller' : 'larger'} ${direction}`)
  }
})

test('simultaneous dials: the smaller id refuses the larger\'s inbound link while its own dial is in flight or open', () => {
  assert.match(verdict(SMALL, 'inbound', true) ?? '', /smaller id's dial wins/)
  assert.match(verdict(SMALL, 'inbound', false, [{ direction: 'outbound', proven: false }]) ?? '', /smaller id's dial wins/)
  // the larger id never refuses the smaller's inbound link for its own dial: that one must survive
  assert.equal(verdict(LARGE, 'inbound', true), undefined)
  assert.equal(verdict(LARGE, 'inbound', false, [{ direction: 'outbound', proven: false }]), undefined)
})

test('simultaneous dials: the larger id refuses its own outbound link once the smaller\'s inbound one is open; the smaller never does', () => {
  assert.match(verdict(LARGE, 'outbound', false, [{ direction: 'inbound', proven: false }]) ?? '', /smaller id's dial wins/)
  assert.equal(verdict(SMALL, 'outbound', false, [{ direction: 'inbound', proven: false }]), undefined)
})

test('for every interleaving of two simultaneous dials, the smaller id\'s link is the one both sides keep', () => {
  // state seen at each side when each upgrade completes: own dial in flight or not, other links open or not
  for (const smallerSeesOwnOpen of [false, true]) {
    for (const largerSeesOtherOpen of [false, true]) {
      // the smaller's dial: inbound at the larger (which may have its own dial in flight), outbound at the smaller
      const atLarger = verdict(LARGE, 'inbound', true, largerSeesOtherOpen ? [{ direction: 'outbound', proven: false }] : [])
      const atSmaller = verdict(SMALL, 'outbound', false, [])
      assert.equal(atLarger ?? atSmaller, undefined, 'the smaller id\'s dial is accepted on both sides')
      // the larger's dial: refused by the smaller, whatever it has seen of its own link so far
      const refusedBySmaller = verdict(SMALL, 'inbound', !smallerSeesOwnOpen, smallerSeesOwnOpen ? [{ direction: 'outbound', proven: false }] : [])
      assert.notEqual(refusedBySmaller, undefined)
    }
  }
})

test('a proven open direct link refuses any new one, either side, either direction', () => {
  for (const self of [SMALL, LARGE]) {
    for (const direction of ['inbound', 'outbound'] as const) {
      for (const existing of ['inbound', 'outbound'] as const) {
        assert.match(verdict(self, direction, false, [{ direction: existing, proven: true }]) ?? '', /proven/)
      }
    }
  }
})

test('an unproven inbound link does not stop the smaller id from accepting a new inbound one (it may be dead)', () => {
  assert.equal(verdict(SMALL, 'inbound', false, [{ direction: 'inbound', proven: false }]), undefined)
})

test('the guard judges only direct WebRTC upgrades, reports refusals, and is inert until bound', async () => {
  const guard = new DuplicateLinkGuard()
  const peer = peerIdFromString(LARGE)
  const webrtcIn = multiaddr(`/webrtc/p2p/${LARGE}`)
  const relayed = multiaddr(`${RELAY}/p2p-circuit/p2p/${LARGE}`)
  assert.equal(await guard.refuse(peer, webrtcIn, 'inbound'), false, 'unbound')
  const refused: string[] = []
  let dialing = true
  guard.bind({ self: SMALL, dialing: () => dialing, connections: () => [], proven: () => false, refused: (id, dir) => { refused.push(`${id}:${dir}`) } })
  assert.equal(await guard.refuse(peer, webrtcIn, 'inbound'), true, 'our dial is in flight')
  assert.equal(await guard.refuse(peer, relayed, 'inbound'), false, 'a relayed signalling link is not a direct link')
  assert.equal(await guard.refuse(peer, multiaddr(RELAY), 'inbound'), false, 'nor is a WebSocket')
  dialing = false
  assert.equal(await guard.refuse(peer, webrtcIn, 'inbound'), false, 'no dial, no link')
  guard.bind({ self: SMALL, dialing: () => false, connections: () => [conn('outbound')], proven: () => false })
  assert.equal(await guard.refuse(peer, webrtcIn, 'inbound'), true, 'our outbound link is open')
  guard.bind({ self: SMALL, dialing: () => false, connections: () => [conn('outbound', 'closed')], proven: () => false })
  assert.equal(await guard.refuse(peer, webrtcIn, 'inbound'), false, 'a closed link does not count')
  assert.deepEqual(refused, [`${LARGE}:inbound`])
  const gater = guard.gaterMethods()
  assert.equal(typeof gater.denyInboundUpgradedConnection, 'function')
  assert.equal(typeof gater.denyOutboundUpgradedConnection, 'function')
})

test('a proven link refuses a new one only while it still answers; a stale one (a reloaded tab) is closed and the new link accepted', async () => {
  const guard = new DuplicateLinkGuard()
  const peer = peerIdFromString(SMALL)
  const old = conn('inbound')
  const links = [old]
  let answers = true
  const asked: Connection[] = []
  guard.bind({
    self: LARGE,
    dialing: () => false,
    connections: () => links,
    proven: c => c === old,
    answers: async c => {
      asked.push(c)
      if (!answers) links.splice(links.indexOf(c), 1) // the node closes a link that stopped answering
      return answers
    }
  })
  assert.equal(await guard.refuse(peer, multiaddr(`/webrtc/p2p/${SMALL}`), 'inbound'), true, 'a live proven link refuses the new one')
  answers = false
  assert.equal(await guard.refuse(peer, multiaddr(`/webrtc/p2p/${SMALL}`), 'inbound'), false, 'a stale one does not')
  assert.deepEqual(asked, [old, old])
})

function conn (direction: 'inbound' | 'outbound', status = 'open'): Connection {
  const addr = direction === 'outbound' ? `${RELAY}/p2p-circuit/webrtc/p2p/${LARGE}` : `/webrtc/p2p/${SMALL}`
  return { status, direction, remoteAddr: multiaddr(addr), limits: undefined } as unknown as Connection
}
