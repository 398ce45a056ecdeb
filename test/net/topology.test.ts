/** The pure parts of the mesh: topology view, dial policy and the gossip codec (round trip + garbage). */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { TopologyView, unlistedBy } from '../../core/net/topology.ts'
import { chooseDials } from '../../core/net/dial-policy.ts'
import { encodeMessage, MSG_BROADCAST, MSG_LEAVE, MSG_TOPOLOGY, readMeshMessage, type MeshMessage, type TopologyMessage } from '../../core/net/mesh-codec.ts'
import { MalformedMessageError } from '../../core/net/index.ts'

const topo = (seq: number, neighbours: string[] = []): TopologyMessage => ({ type: MSG_TOPOLOGY, role: 'peer', seq, neighbours: neighbours.map(peerId => ({ peerId, transport: 'webrtc' as const })) })

test('view: announce, ignore stale seq, leave, expire after ttl', () => {
  const v = new TopologyView('self', 1000)
  assert.equal(v.announce('a', topo(10, ['b']), 0), true)
  assert.equal(v.announce('a', topo(9, ['c']), 10), false, 'older seq ignored')
  assert.deepEqual(v.get('a')?.neighbours.map(n => n.peerId), ['b'])
  assert.equal(v.announce('self', topo(11), 0), false, 'own announcements ignored')
  v.announce('b', topo(5), 500)
  assert.deepEqual(v.expire(1200), ['a'])
  assert.deepEqual(v.ids(), ['b'])
  assert.equal(v.leave('b', 1200), true)
  assert.deepEqual(v.snapshot().peers, [])
})

test('view: a departed peer is not brought back by a late copy of an old announcement', () => {
  const v = new TopologyView('self', 60_000, 10_000)
  v.announce('a', topo(10), 0)
  // a goodbye: a replayed or late-delivered announcement (seq ≤ 10) stays refused for a whole TTL
  assert.equal(v.leave('a', 100), true)
  assert.equal(v.announce('a', topo(10), 5000), false)
  assert.equal(v.announce('a', topo(7), 30_000), false)
  assert.equal(v.has('a'), false)
  // a reload keeps its id and announces anew: back at once, no quarantine after a goodbye
  assert.equal(v.announce('a', topo(11), 5000), true)
  assert.equal(v.isDeparted('a'), false)
})

test('view: a peer dropped for its closed bootstrap link comes back only when vouched for, or after the quarantine', () => {
  const v = new TopologyView('self', 60_000, 10_000)
  v.announce('a', topo(10), 0)
  assert.equal(v.leave('a', 1000, true), true)
  // its last announcement, published just before it died, arrives late through gossip: refused
  assert.equal(v.announce('a', topo(11), 3000), false)
  assert.equal(v.has('a'), false)
  // a live peer that only lost its bootstrap link: our link to it, or a bootstrap listing it, vouches
  assert.equal(v.announce('a', topo(12), 4000, true), true)
  assert.equal(v.has('a'), true)
  // without anyone vouching it is back with its first announcement after the quarantine
  v.leave('a', 20_000, true)
  assert.equal(v.announce('a', topo(13), 29_999), false)
  assert.equal(v.announce('a', topo(14), 30_001), true)
  // tombstones go after a TTL (bounded memory); expiry by silence leaves one too
  v.leave('a', 40_000)
  assert.equal(v.isDeparted('a'), true)
  v.expire(100_001)
  assert.equal(v.isDeparted('a'), false)
  v.announce('b', topo(3), 100_001)
  assert.deepEqual(v.expire(160_002), ['b'])
  assert.equal(v.announce('b', topo(3), 160_003), false, 'a late copy after expiry is refused too')
  assert.equal(v.announce('b', topo(4), 160_003), true)
})

test('view: listedBy reads the bootstraps\' last neighbour lists', () => {
  const v = new TopologyView('self', 60_000)
  v.announce('boot', topo(1, ['a', 'b']), 0)
  v.announce('c', topo(1, ['d']), 0)
  assert.equal(v.listedBy(['boot'], 'a'), true)
  assert.equal(v.listedBy(['boot'], 'd'), false, 'only the given bootstraps count')
  assert.equal(v.listedBy([], 'a'), false)
})

test('view: unlistedAmong is the candidates no bootstrap lists; none before a bootstrap was heard', () => {
  const v = new TopologyView('self', 60_000)
  v.announce('a', topo(1, ['b']), 0)
  assert.deepEqual(v.unlistedAmong(['a', 'b', 'c']), [], 'no bootstrap heard: nothing to go by')
  v.announce('boot', { ...topo(1, ['a', 'self']), role: 'bootstrap' }, 0)
  assert.deepEqual(v.unlistedAmong(['a', 'b', 'c', 'self', 'boot', 'b']), ['b', 'c'], 'never self nor a bootstrap, each once')
  // a second bootstrap listing b: listed by any bootstrap is enough
  v.announce('boot2', { ...topo(1, ['b']), role: 'bootstrap' }, 0)
  assert.deepEqual(v.unlistedAmong(['a', 'b', 'c']), ['c'])
  // the bootstrap's next list drops a: its link closed
  v.announce('boot', { ...topo(2, ['self']), role: 'bootstrap' }, 0)
  assert.deepEqual(v.unlistedAmong(['a', 'b', 'c']), ['a', 'c'])
})

test('dial policy: smaller id dials first, larger waits, budget and retry respected', () => {
  const base = { now: 10_000, maxPeers: 2, maxParallel: 2, connected: new Set<string>(), dialing: new Set<string>(), lastFailure: new Map<string, number>(), otherSideDelayMs: 3000, retryMs: 3000 }
  const candidates = [{ peerId: 'b', firstSeen: 9000, degree: 0 }, { peerId: 'd', firstSeen: 9000, degree: 0 }, { peerId: 'e', firstSeen: 9000, degree: 0 }]
  // a peer without links dials anyone at once
  assert.equal(chooseDials({ ...base, self: 'c', candidates }).length, 2)
  // with a link, 'c' may dial d and e at once (smaller id) but must wait for 'b' to dial it
  assert.deepEqual(chooseDials({ ...base, maxPeers: 4, connected: new Set(['x']), self: 'c', candidates }).sort(), ['d', 'e'])
  assert.deepEqual(chooseDials({ ...base, self: 'c', candidates, now: 12_500 }).length, 2)
  assert.deepEqual(chooseDials({ ...base, connected: new Set(['x']), self: 'c', candidates: [candidates[0]] }), [], 'waits for the smaller id')
  assert.ok(chooseDials({ ...base, connected: new Set(['x']), self: 'c', candidates: [candidates[0]], now: 12_500 }).includes('b'), 'takes over after the delay')
  assert.deepEqual(chooseDials({ ...base, self: 'c', candidates, connected: new Set(['x', 'y']) }), [], 'no budget')
  assert.deepEqual(chooseDials({ ...base, self: 'a', candidates, lastFailure: new Map([['b', 9500], ['d', 9500]]) }), ['e'], 'recent failures wait')
  const full = chooseDials({ ...base, maxPeers: 1, self: 'a', candidates: [{ peerId: 'b', firstSeen: 0, degree: 1 }, { peerId: 'd', firstSeen: 0, degree: 0 }] })
  assert.deepEqual(full, ['d'], 'peers with room come first')
  assert.equal(chooseDials({ ...base, maxPeers: 8, maxParallel: 2, self: 'a', candidates, dialing: new Set(['z']) }).length, 1, 'at most maxParallel in flight')
})

test('mesh messages round trip', () => {
  const msgs: MeshMessage[] = [topo(1700000000000, ['x', 'y']), { type: MSG_LEAVE } as const, { type: MSG_BROADCAST, text: 'héllo' } as const,
    { type: MSG_TOPOLOGY, role: 'browser', seq: 1, neighbours: [{ peerId: 'p', transport: 'relayed', rttMs: 12 }] } as const]
  for (const m of msgs) assert.deepEqual(readMeshMessage(encodeMessage(m)), m)
})

test('garbage mesh messages are MalformedMessageError, never anything else', () => {
  for (const bytes of [new Uint8Array(0), Uint8Array.of(9), Uint8Array.of(1, 7), Uint8Array.of(1, 0, 1, 0xff, 0xff, 0xff, 0xff, 0x7f), Uint8Array.of(2, 0), Uint8Array.of(3, 200, 1)]) {
    assert.throws(() => readMeshMessage(bytes), MalformedMessageError)
  }
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), bytes => {
    try { readMeshMessage(bytes) } catch (e) { assert.ok(e instanceof MalformedMessageError, String(e)) }
  }), { seed: 42, numRuns: 1000 })
})

test('unlistedBy: the peers a neighbour list lost, whatever the transport', () => {
  const n = (peerId: string, transport: 'webrtc' | 'websocket' = 'websocket'): { peerId: string, transport: 'webrtc' | 'websocket' } => ({ peerId, transport })
  assert.deepEqual(unlistedBy([n('a'), n('b'), n('c')], [n('c'), n('a', 'webrtc'), n('d')]), ['b'])
  assert.deepEqual(unlistedBy([], [n('a')]), [])
  assert.deepEqual(unlistedBy([n('a')], []), ['a'])
})
