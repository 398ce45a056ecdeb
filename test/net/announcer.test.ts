/**
 * Announcer: topology announcements are coalesced and rate-limited, discovery re-announces at once
 * only when our own WebRTC addresses changed. Fake timers and a recording `publish` stand in for
 * libp2p (unit test of the announcer itself; the live mesh is covered by mesh.test.ts).
 */
import assert from 'node:assert/strict'
import { mock, test } from 'node:test'
import { Announcer, MAX_DISCOVERY_GAP_MS } from '../../core/net/announcer.ts'
import { readMeshMessage, MSG_TOPOLOGY, type Neighbour } from '../../core/net/mesh-codec.ts'

interface Rig {
  a: Announcer
  published: Uint8Array[]
  discovered: number[]
  /** What the announcer reads: our addresses, discovery subscribers, our neighbours. */
  state: { addrs: string[], reach: number, neighbours: Neighbour[] }
}

/** Runs `body` against a fresh announcer with fake timers and a fake clock starting at `now`. */
function withClock (now: number, body: (rig: Rig) => void, discoveryIntervalMs = 2000): void {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now })
  const published: Uint8Array[] = []
  const discovered: number[] = []
  const state: Rig['state'] = { addrs: [], reach: 1, neighbours: [{ peerId: 'a', transport: 'webrtc', rttMs: 5 }] }
  const log = Object.assign(() => {}, { enabled: false, trace: () => {}, error: () => {}, newScope: () => log }) as never
  const a = new Announcer({
    config: { role: 'peer', topologyIntervalMs: 2000, discoveryIntervalMs },
    topic: 't',
    publish: async (_topic, data) => { published.push(data) },
    neighbours: () => state.neighbours,
    multiaddrs: () => state.addrs,
    discover: () => { discovered.push(Date.now()) },
    discoveryReach: () => state.reach,
    isStarted: () => true,
    log
  })
  try {
    body({ a, published, discovered, state })
  } finally {
    a.reset()
    mock.timers.reset()
  }
}

test('topology changes in a burst cost one announcement, then at most one per quarter interval', () => {
  withClock(10_000, s => {
    const { a, published } = s
    for (let i = 0; i < 5; i++) a.topologySoon()
    mock.timers.tick(149)
    assert.equal(published.length, 0, 'not before 150 ms')
    mock.timers.tick(1)
    assert.equal(published.length, 1)
    const m = readMeshMessage(published[0])
    assert.equal(m.type, MSG_TOPOLOGY)
    s.state.neighbours = [...s.state.neighbours, { peerId: 'b', transport: 'webrtc' }]
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
  })
})

test('discovery re-announces at once only when our WebRTC addresses changed; otherwise rate-limited', () => {
  withClock(50_000, s => {
    s.a.addressesChanged()
    mock.timers.tick(0)
    assert.equal(s.discovered.length, 0, 'no WebRTC address yet: nothing to announce')
    s.state.addrs = ['/ip4/127.0.0.1/tcp/1/ws/p2p/x/p2p-circuit/webrtc/p2p/y', '/ip4/127.0.0.1/tcp/1/ws/p2p/x/p2p-circuit/p2p/y']
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
  })
})

test('an address announcement that reached nobody is repeated once a subscriber is known, and only then', () => {
  withClock(90_000, s => {
    s.a.subscribersChanged()
    mock.timers.tick(0)
    assert.equal(s.discovered.length, 0, 'nothing announced yet: nothing to repeat')
    s.state.reach = 0
    s.state.addrs = ['/ip4/127.0.0.1/tcp/1/ws/p2p/x/p2p-circuit/webrtc/p2p/y']
    s.a.addressesChanged()
    mock.timers.tick(0)
    assert.equal(s.discovered.length, 1, 'announced the moment the address appeared, to nobody')
    s.a.subscribersChanged()
    mock.timers.tick(0)
    assert.equal(s.discovered.length, 1, 'still nobody to hear it')
    s.state.reach = 1
    s.a.subscribersChanged()
    mock.timers.tick(0)
    assert.equal(s.discovered.length, 2, 'repeated as soon as the bootstrap\'s subscription is known')
    s.a.subscribersChanged()
    s.state.reach = 2
    s.a.subscribersChanged()
    mock.timers.tick(0)
    assert.equal(s.discovered.length, 2, 'an announcement that reached someone is not repeated on every new subscriber')
  })
})

test('only a change others would see is announced: not a new round trip, not a relayed signalling link', () => {
  withClock(200_000, s => {
    s.a.topologySoon()
    mock.timers.tick(150)
    assert.equal(s.published.length, 1, 'the first announcement always goes out')
    mock.timers.tick(1000)
    s.state.neighbours = [{ peerId: 'a', transport: 'webrtc', rttMs: 9 }, { peerId: 'r', transport: 'relayed' }]
    s.a.topologySoon()
    mock.timers.tick(1000)
    assert.equal(s.published.length, 1, 'a changed rtt and a relayed link are no news')
    s.state.neighbours = [{ peerId: 'a', transport: 'webrtc' }, { peerId: 'r', transport: 'webrtc' }]
    s.a.topologySoon()
    // (tick exactly to the timer: mocked Date reads the end of a tick inside its callbacks)
    mock.timers.tick(150)
    assert.equal(s.published.length, 2, 'the relayed link became a direct one: news')
    const m = readMeshMessage(s.published[1])
    assert.ok(m.type === MSG_TOPOLOGY && m.neighbours.length === 2)
    s.state.neighbours = [...s.state.neighbours, { peerId: 'q', transport: 'relayed' }]
    mock.timers.tick(1000)
    s.a.topologyIfQuiet()
    const keepAlive = readMeshMessage(s.published[2])
    assert.ok(keepAlive.type === MSG_TOPOLOGY && keepAlive.neighbours.every(n => n.transport !== 'relayed'), 'relayed links are never announced')
  })
})

test('with a long discovery interval a newcomer still hears our address within MAX_DISCOVERY_GAP_MS', () => {
  withClock(50_000, s => {
    s.state.addrs = ['/ip4/127.0.0.1/tcp/1/ws/p2p/x/p2p-circuit/webrtc/p2p/y']
    s.a.addressesChanged()
    mock.timers.tick(0)
    assert.equal(s.discovered.length, 1)
    s.a.discoverySoon()
    mock.timers.tick(MAX_DISCOVERY_GAP_MS - 1)
    assert.equal(s.discovered.length, 1, 'rate-limited')
    mock.timers.tick(1)
    assert.equal(s.discovered.length, 2, 'not half of the 10 s interval')
  }, 10_000)
})
