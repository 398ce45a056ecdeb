/**
 * Announcer: topology announcements are coalesced and rate-limited, discovery re-announces at once
 * only when our own WebRTC addresses changed. Fake timers and a recording `publish` stand in for
 * libp2p (unit test of the announcer itself; the live mesh is covered by mesh.test.ts).
 */
import assert from 'node:assert/strict'
import { mock, test } from 'node:test'
import { Announcer } from '../../core/net/announcer.ts'
import { readMeshMessage, MSG_TOPOLOGY } from '../../core/net/mesh-codec.ts'

function setup (addrs: string[] = []): { a: Announcer, published: Uint8Array[], discovered: number[], addrs: string[], reach: number } {
  const published: Uint8Array[] = []
  const discovered: number[] = []
  const state = { addrs, reach: 1 }
  const log = Object.assign(() => {}, { enabled: false, trace: () => {}, error: () => {}, newScope: () => log }) as never
  const a = new Announcer({
    config: { role: 'peer', topologyIntervalMs: 2000, discoveryIntervalMs: 2000 },
    topic: 't',
    publish: async (_topic, data) => { published.push(data) },
    neighbours: () => [{ peerId: '12D3KooWDWjt7WDpp2bnxtxQe8NhoXGV8hKUFzGYWCnQs5VtQ2jY', transport: 'webrtc' }],
    multiaddrs: () => state.addrs,
    discover: () => { discovered.push(Date.now()) },
    discoveryReach: () => state.reach,
    isStarted: () => true,
    log
  })
  return { a, published, discovered, get addrs () { return state.addrs }, set addrs (v) { state.addrs = v }, get reach () { return state.reach }, set reach (v) { state.reach = v } }
}

test('topology changes in a burst cost one announcement, then at most one per quarter interval', () => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 10_000 })
  try {
    const { a, published } = setup()
    for (let i = 0; i < 5; i++) a.topologySoon()
    mock.timers.tick(149)
    assert.equal(published.length, 0, 'not before 150 ms')
    mock.timers.tick(1)
    assert.equal(published.length, 1)
    const m = readMeshMessage(published[0])
    assert.equal(m.type, MSG_TOPOLOGY)
    a.topologySoon()
    mock.timers.tick(499)
    assert.equal(published.length, 1, 'a quarter interval (500 ms) after the last one')
    mock.timers.tick(1)
    assert.equal(published.length, 2)
    a.topologyIfQuiet()
    assert.equal(published.length, 2, 'the keep-alive is skipped right after a change')
    mock.timers.tick(999)
    a.topologyIfQuiet()
    assert.equal(published.length, 2, 'still within half an interval')
    mock.timers.tick(1)
    a.topologyIfQuiet()
    assert.equal(published.length, 3)
    a.reset()
  } finally { mock.timers.reset() }
})

test('discovery re-announces at once only when our WebRTC addresses changed; otherwise rate-limited', () => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 50_000 })
  try {
    const s = setup()
    s.a.addressesChanged()
    mock.timers.tick(0)
    assert.equal(s.discovered.length, 0, 'no WebRTC address yet: nothing to announce')
    s.addrs = ['/ip4/127.0.0.1/tcp/1/ws/p2p/x/p2p-circuit/webrtc/p2p/y', '/ip4/127.0.0.1/tcp/1/ws/p2p/x/p2p-circuit/p2p/y']
    s.a.addressesChanged()
    mock.timers.tick(0)
    assert.equal(s.discovered.length, 1)
    s.a.addressesChanged()
    mock.timers.tick(0)
    assert.equal(s.discovered.length, 1, 'same addresses: no second announcement')
    s.a.discoverySoon()
    s.a.discoverySoon()
    mock.timers.tick(999)
    assert.equal(s.discovered.length, 1, 'newcomers wait for half a discovery interval')
    mock.timers.tick(1)
    assert.equal(s.discovered.length, 2)
    s.a.reset()
  } finally { mock.timers.reset() }
})

test('an address announcement that reached nobody is repeated once a subscriber is known, and only then', () => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 90_000 })
  try {
    const s = setup()
    s.a.subscribersChanged()
    mock.timers.tick(0)
    assert.equal(s.discovered.length, 0, 'nothing announced yet: nothing to repeat')
    s.reach = 0
    s.addrs = ['/ip4/127.0.0.1/tcp/1/ws/p2p/x/p2p-circuit/webrtc/p2p/y']
    s.a.addressesChanged()
    mock.timers.tick(0)
    assert.equal(s.discovered.length, 1, 'announced the moment the address appeared, to nobody')
    s.a.subscribersChanged()
    mock.timers.tick(0)
    assert.equal(s.discovered.length, 1, 'still nobody to hear it')
    s.reach = 1
    s.a.subscribersChanged()
    mock.timers.tick(0)
    assert.equal(s.discovered.length, 2, 'repeated as soon as the bootstrap\'s subscription is known')
    s.a.subscribersChanged()
    s.reach = 2
    s.a.subscribersChanged()
    mock.timers.tick(0)
    assert.equal(s.discovered.length, 2, 'an announcement that reached someone is not repeated on every new subscriber')
    s.a.reset()
  } finally { mock.timers.reset() }
})
