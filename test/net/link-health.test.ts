/**
 * LinkHealth: which direct links count as dead, and which connection a request takes. Plain
 * objects stand in for libp2p connections (only the fields the classifier reads); the live
 * behaviour is covered by test/net/mesh.test.ts.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import { LinkHealth, type LinkLike } from '../../core/net/link-health.ts'

const RELAY = '/ip4/127.0.0.1/tcp/4001/ws/p2p/12D3KooWHXR8HYW3w36jSJPdoA9NxsA22GgctbCP4XBLKGwzzNFN'
const PEER = '12D3KooWDWjt7WDpp2bnxtxQe8NhoXGV8hKUFzGYWCnQs5VtQ2jY'

function link (kind: 'webrtc' | 'relayed' | 'websocket', opened: number, extra: Partial<LinkLike> = {}): LinkLike & { name: string } {
  const addr = kind === 'websocket' ? RELAY : `${RELAY}/p2p-circuit/webrtc/p2p/${PEER}`
  return {
    name: `${kind}@${opened}`,
    remoteAddr: multiaddr(kind === 'relayed' ? `${RELAY}/p2p-circuit/p2p/${PEER}` : addr),
    limits: kind === 'relayed' ? { bytes: 1n << 17n, seconds: 120 } : undefined,
    status: 'open',
    direction: 'outbound',
    timeline: { open: opened },
    rtt: undefined,
    ...extra
  }
}

test('a direct link that never carried data is dead once the grace period is over, not before', () => {
  const h = new LinkHealth()
  const young = link('webrtc', 9_000)
  const old = link('webrtc', 1_000)
  assert.deepEqual(h.dead([young, old], 10_000, 5_000), [old])
  assert.deepEqual(h.dead([young, old], 20_000, 5_000), [young, old])
})

test('identify or an answered ping proves a link; proven links are never dead', () => {
  const h = new LinkHealth()
  const identified = link('webrtc', 0)
  const pinged = link('webrtc', 0, { rtt: 3 })
  const silent = link('webrtc', 0)
  h.markIdentified(identified)
  assert.equal(h.proven(identified), true)
  assert.equal(h.proven(pinged), true)
  assert.equal(h.proven(silent), false)
  assert.deepEqual(h.dead([identified, pinged, silent], 60_000, 5_000), [silent])
})

test('only open direct WebRTC links are judged: relayed, websocket and closed ones are left alone', () => {
  const h = new LinkHealth()
  const conns = [link('relayed', 0), link('websocket', 0), link('webrtc', 0, { status: 'closing' }), link('webrtc', 0, { status: 'closed' })]
  assert.deepEqual(h.dead(conns, 60_000, 5_000), [])
})

test('a request takes a proven direct link over an unproven one, then any unlimited link', () => {
  const h = new LinkHealth()
  const zombie = link('webrtc', 0)
  const live = link('webrtc', 5, { rtt: 40 })
  const faster = link('webrtc', 6, { rtt: 2 })
  const ws = link('websocket', 0, { rtt: 1 })
  const relayed = link('relayed', 0, { rtt: 1 })
  h.markIdentified(ws)
  assert.equal(h.pick([zombie, live, ws, relayed]), live)
  assert.equal(h.pick([zombie, live, faster, ws]), faster, 'the lower round trip among proven direct links')
  assert.equal(h.pick([ws, zombie, relayed]), zombie, 'an unproven direct link may just be new: it beats the bootstrap hop')
  assert.equal(h.pick([ws, relayed]), ws)
  assert.equal(h.pick([relayed]), undefined, 'a limited link cannot carry requests: the caller dials')
  assert.equal(h.pick([link('webrtc', 0, { status: 'closed', rtt: 1 })]), undefined)
})

test('redundant: unproven direct links to a peer that has a proven one, once their first ping had its time', () => {
  const h = new LinkHealth()
  const proven = link('webrtc', 0, { rtt: 4 })
  const stale = link('webrtc', 1_000)
  const fresh = link('webrtc', 9_000)
  assert.deepEqual(h.redundant([proven, stale, fresh], 10_000, 5_000), [stale], 'a fresh one may still be proven: spared')
  assert.deepEqual(h.redundant([stale, fresh], 60_000, 5_000), [], 'no proven link: nothing is redundant (dead() handles those)')
  const alsoProven = link('webrtc', 1_000)
  h.markIdentified(alsoProven)
  assert.deepEqual(h.redundant([proven, alsoProven], 60_000, 5_000), [], 'a proven link is never closed as a duplicate (gossipsub may use it)')
  assert.deepEqual(h.redundant([proven, link('relayed', 0), link('websocket', 0)], 60_000, 5_000), [], 'only direct WebRTC links count')
})
