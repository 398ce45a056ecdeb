/**
 * meshDiagnostics / formatDiagnostics: the snapshot a degree wait prints when it times out
 * (test/net/membership.test.ts). Plain objects stand in for libp2p connections, as in
 * link-health.test.ts; the live node's `diagnostics()` feeds it the dialer's state.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { LinkHealth } from '../../core/net/link-health.ts'
import { formatDiagnostics, meshDiagnostics } from '../../core/net/mesh-diagnostics.ts'
import type { MeshStats } from '../../core/net/index.ts'

const RELAY = '/ip4/127.0.0.1/tcp/4001/ws/p2p/12D3KooWHXR8HYW3w36jSJPdoA9NxsA22GgctbCP4XBLKGwzzNFN'
const A = '12D3KooWDWjt7WDpp2bnxtxQe8NhoXGV8hKUFzGYWCnQs5VtQ2jY'
const B = '12D3KooWHXR8HYW3w36jSJPdoA9NxsA22GgctbCP4XBLKGwzzNFN'
const SELF = '12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK'

function conn (peer: string, kind: 'webrtc' | 'websocket', direction: 'inbound' | 'outbound', opened: number, rtt?: number): Parameters<typeof meshDiagnostics>[0]['connections'][number] {
  return {
    remotePeer: peerIdFromString(peer),
    remoteAddr: multiaddr(kind === 'websocket' ? RELAY : `${RELAY}/p2p-circuit/webrtc/p2p/${peer}`),
    limits: undefined,
    status: 'open',
    direction,
    timeline: { open: opened },
    rtt
  }
}

const STATS: MeshStats = { badMessages: 0, rpcErrors: 0, dialFailures: 3, dialSuccesses: 1, deadLinks: 0, stillbornLinks: 0, duplicateLinksRefused: 1, duplicateLinksClosed: 0, overCapClosed: 0, lostDialsCancelled: 0, recycledLinks: 0, pings: 0, pingFailures: 0, silentLinksClosed: 0, gossipStreamsRepaired: 0, identifyRetries: 0, identifyRecovered: 0, versionRefused: 0 }

test('the snapshot: degree counts distinct direct peers; links show direction, proof and age; dials and failures by kind', () => {
  const d = meshDiagnostics({
    self: SELF,
    maxPeers: 2,
    connections: [conn(A, 'webrtc', 'outbound', 1_000, 4), conn(A, 'webrtc', 'inbound', 9_000), conn(B, 'websocket', 'outbound', 0, 2)],
    health: new LinkHealth(),
    dialsInFlight: new Map([[B, 'webrtc:read-ice-candidates at 40 ms']]),
    failureCounts: new Map([['DialStalledError @ webrtc:read-ice-candidates', 2], ['AbortError @ start', 1]]),
    candidates: new Map([[A, 'linked'], [B, 'dialling:webrtc:read-ice-candidates at 40 ms']]),
    stats: STATS,
    now: 10_000
  })
  assert.equal(d.degree, 1, 'two direct links to one peer are degree 1; a WebSocket link does not count')
  assert.deepEqual(d.links.map(l => [l.transport, l.direction, l.proven, l.ageMs]), [['webrtc', 'outbound', true, 9_000], ['webrtc', 'inbound', false, 1_000], ['websocket', 'outbound', true, 10_000]])
  assert.deepEqual(d.dialFailures, { 'DialStalledError @ webrtc:read-ice-candidates': 2, 'AbortError @ start': 1 })
  const text = formatDiagnostics(d)
  assert.match(text, new RegExp(`^${SELF.slice(-6)}: degree 1/2$`, 'm'))
  assert.match(text, new RegExp(`${A.slice(-6)} webrtc in UNPROVEN 1000ms`))
  assert.match(text, new RegExp(`dialling: ${B.slice(-6)}: webrtc:read-ice-candidates at 40 ms`))
  assert.match(text, /failed dials: 2× DialStalledError @ webrtc:read-ice-candidates; 1× AbortError @ start/)
  assert.match(text, /"dialFailures":3/)
})

test('an idle node with no links says so', () => {
  const text = formatDiagnostics(meshDiagnostics({ self: SELF, maxPeers: 2, connections: [], health: new LinkHealth(), dialsInFlight: new Map(), failureCounts: new Map(), candidates: new Map(), stats: STATS, now: 0 }))
  assert.match(text, /degree 0\/2\n {2}links: none\n {2}dialling: none\n {2}candidates: none\n {2}failed dials: none/)
})
