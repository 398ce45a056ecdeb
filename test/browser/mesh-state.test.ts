/**
 * The page's pure view model (app/mesh-state.ts): connection snapshots, status transitions,
 * rtt, topology gossip merged into one graph, and the broadcast cap.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { initialState, MAX_BROADCASTS, MAX_REFUSED, meshGraph, reduce, type MeshViewState } from '../../app/mesh-state.ts'

const SELF = 'self'
const BOOT = 'boot'

function connected (state: MeshViewState, at: number, conns: Array<[string, 'webrtc' | 'relayed' | 'websocket']>): MeshViewState {
  return reduce(state, { type: 'connections', at, connections: conns.map(([peerId, transport]) => ({ peerId, transport })) })
}

test('status goes starting -> connecting -> connected -> bootstrap-lost -> connected', () => {
  let s = initialState(SELF, BOOT)
  assert.equal(s.status.kind, 'starting')
  s = reduce(s, { type: 'started' })
  assert.equal(s.status.kind, 'connecting')
  s = connected(s, 1, [[BOOT, 'websocket']])
  assert.equal(s.status.kind, 'connected')
  s = connected(s, 2, [['a', 'webrtc']])
  assert.equal(s.status.kind, 'bootstrap-lost')
  s = connected(s, 3, [['a', 'webrtc'], [BOOT, 'websocket']])
  assert.equal(s.status.kind, 'connected')
  s = reduce(s, { type: 'failed', error: 'boom' })
  assert.deepEqual(s.status, { kind: 'failed', error: 'boom' })
})

test('a peer with several connections shows its best transport; rtt and first-seen time survive snapshots', () => {
  let s = reduce(initialState(SELF, BOOT), { type: 'started' })
  s = connected(s, 10, [['a', 'relayed'], ['a', 'webrtc'], ['b', 'relayed'], [SELF, 'webrtc']])
  assert.equal(s.peers.get('a')?.transport, 'webrtc')
  assert.equal(s.peers.get('b')?.transport, 'relayed')
  assert.equal(s.peers.has(SELF), false)
  s = reduce(s, { type: 'rtt', peerId: 'a', rttMs: 4.5 })
  s = reduce(s, { type: 'rtt', peerId: 'a', rttMs: Number.NaN })
  s = reduce(s, { type: 'rtt', peerId: 'zzz', rttMs: 1 })
  s = connected(s, 20, [['a', 'webrtc'], ['b', 'webrtc']])
  assert.equal(s.peers.get('a')?.rttMs, 4.5)
  assert.equal(s.peers.get('a')?.connectedAt, 10)
  assert.equal(s.peers.get('b')?.transport, 'webrtc')
  assert.equal(s.peers.has('zzz'), false)
  s = connected(s, 30, [['b', 'webrtc']])
  assert.equal(s.peers.has('a'), false)
  // nothing changed: the very same state object comes back (the view skips the render)
  assert.equal(connected(s, 40, [['b', 'webrtc']]), s)
  const r = reduce(s, { type: 'rtt', peerId: 'b', rttMs: 7 })
  assert.notEqual(r, s)
  assert.equal(reduce(r, { type: 'rtt', peerId: 'b', rttMs: 7 }), r)
})

test('the graph merges own links (authoritative) with gossip, deduplicated, roles from gossip, no unannounced ids', () => {
  let s = reduce(initialState(SELF, BOOT), { type: 'started' })
  s = connected(s, 1, [[BOOT, 'websocket'], ['a', 'webrtc']])
  s = reduce(s, {
    type: 'topology',
    entries: new Map([
      ['a', { role: 'browser' as const, neighbours: [{ peerId: SELF, transport: 'relayed' as const }, { peerId: 'n1', transport: 'webrtc' as const }, { peerId: 'n1', transport: 'webrtc' as const }] }],
      ['n1', { role: 'node' as const, neighbours: [{ peerId: 'a', transport: 'webrtc' as const }, { peerId: BOOT, transport: 'websocket' as const }, { peerId: 'invented', transport: 'webrtc' as const }] }],
      [SELF, { role: 'browser' as const, neighbours: [{ peerId: 'ghost' }] }]
    ])
  })
  assert.equal(s.peers.get('a')?.role, 'browser')
  const g = meshGraph(s)
  assert.deepEqual(g.nodes.map(n => n.id), [SELF, 'a', BOOT, 'n1'])
  assert.deepEqual(g.nodes.map(n => n.role), ['browser', 'browser', 'bootstrap', 'node'])
  const edges = g.edges.map(e => `${e.a}-${e.b}:${e.transport ?? '?'}`).sort()
  assert.deepEqual(edges, ['a-n1:webrtc', 'a-self:webrtc', 'boot-n1:websocket', 'boot-self:websocket'])
})

test('broadcasts are kept in order and capped', () => {
  let s = initialState(SELF, BOOT)
  for (let i = 0; i < MAX_BROADCASTS + 5; i++) s = reduce(s, { type: 'broadcast', entry: { from: 'a', text: `m${i}`, at: i, own: false } })
  assert.equal(s.broadcasts.length, MAX_BROADCASTS)
  assert.equal(s.broadcasts[0].text, 'm5')
  assert.equal(s.broadcasts.at(-1)?.text, `m${MAX_BROADCASTS + 4}`)
})

test('peers refused for their wire version are listed once each, the latest reason kept, capped', () => {
  let s = initialState(SELF, BOOT)
  s = reduce(s, { type: 'refused', note: { peerId: 'a', message: 'peer a runs NovaCron wire 1' } })
  s = reduce(s, { type: 'refused', note: { peerId: 'b', message: 'peer b runs NovaCron wire 3' } })
  s = reduce(s, { type: 'refused', note: { peerId: 'a', message: 'peer a runs NovaCron wire 4' } })
  assert.deepEqual(s.refused.map(r => `${r.peerId}: ${r.message}`), ['b: peer b runs NovaCron wire 3', 'a: peer a runs NovaCron wire 4'])
  for (let i = 0; i < MAX_REFUSED + 3; i++) s = reduce(s, { type: 'refused', note: { peerId: `p${i}`, message: `m${i}` } })
  assert.equal(s.refused.length, MAX_REFUSED)
  assert.equal(s.refused.at(-1)?.peerId, `p${MAX_REFUSED + 2}`)
})
