/**
 * The counters of issue 21: `streamStats` (connections per transport, open streams per protocol,
 * streams and inbound data channels per WebRTC link) over plain objects standing in for libp2p
 * connections, and `DataChannelTracker` over EventTarget stand-ins for RTCPeerConnection and
 * RTCDataChannel: inbound channels counted, and a closed one stripped of the handlers that kept
 * its libp2p stream alive. The live numbers are checked in mesh.test.ts.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import { streamStats, NEGOTIATING, type StatsConnection } from '../../core/net/stream-stats.ts'
import { DataChannelTracker, peerConnectionOf, setChannelReleaser } from '../../core/net/datachannel-tracker.ts'

const RELAY = '/ip4/127.0.0.1/tcp/4001/ws/p2p/12D3KooWHXR8HYW3w36jSJPdoA9NxsA22GgctbCP4XBLKGwzzNFN'
const PEER = '12D3KooWDWjt7WDpp2bnxtxQe8NhoXGV8hKUFzGYWCnQs5VtQ2jY'

function conn (kind: 'webrtc' | 'relayed' | 'websocket', protocols: Array<string | undefined>, status = 'open'): StatsConnection {
  return {
    remoteAddr: multiaddr(kind === 'websocket' ? RELAY : kind === 'relayed' ? `${RELAY}/p2p-circuit/p2p/${PEER}` : `${RELAY}/p2p-circuit/webrtc/p2p/${PEER}`),
    limits: kind === 'relayed' ? { bytes: 1n << 17n, seconds: 120 } : undefined,
    status,
    remotePeer: { toString: () => PEER },
    streams: protocols.map(protocol => ({ protocol, status: 'open' }))
  } as unknown as StatsConnection
}

test('streamStats counts open connections per transport and open streams per protocol', () => {
  const rtc = conn('webrtc', ['/meshsub/1.2.0', '/novacron/keepalive/1.0.0', undefined])
  const s = streamStats([rtc, conn('websocket', ['/meshsub/1.2.0']), conn('relayed', []), conn('webrtc', ['/x'], 'closed')], c => c === rtc ? { open: 2, closed: 7, held: 7 } : undefined)
  assert.deepEqual(s.connections, { webrtc: 1, relayed: 1, websocket: 1 })
  assert.deepEqual(s.streams, { '/meshsub/1.2.0': 2, '/novacron/keepalive/1.0.0': 1, [NEGOTIATING]: 1 })
  assert.deepEqual(s.webrtc, [{ peerId: PEER, streams: 3, inboundChannels: { open: 2, closed: 7, held: 7 } }])
})

test('streamStats leaves out streams that are closing, and inbound channels it cannot know', () => {
  const c = conn('webrtc', ['/a', '/b'])
  ;(c.streams as Array<{ status: string }>)[1].status = 'closing'
  assert.deepEqual(streamStats([c]).webrtc, [{ peerId: PEER, streams: 1 }])
  assert.deepEqual(streamStats([c]).streams, { '/a': 1 })
})

class FakeChannel extends EventTarget {
  readyState = 'open'
  onmessage: unknown = () => {}
  onclose: unknown = () => {}
  onerror: unknown = () => {}
  onopen: unknown = () => {}
  onbufferedamountlow: unknown = () => {}
  close (): void { this.readyState = 'closed'; this.dispatchEvent(new Event('close')) }
}

function fakeWebRTCConnection (): { conn: object, open: () => FakeChannel } {
  const pc = new EventTarget()
  return {
    conn: { muxer: { peerConnection: pc } },
    open: () => {
      const channel = new FakeChannel()
      pc.dispatchEvent(Object.assign(new Event('datachannel'), { channel }))
      return channel
    }
  }
}

test('the tracker counts the channels the remote opens and strips a closed one of its handlers', () => {
  const t = new DataChannelTracker()
  const { conn, open } = fakeWebRTCConnection()
  t.watch(conn)
  t.watch(conn) // a second watch does not double-count
  const channels = [open(), open(), open()]
  assert.deepEqual(t.inbound(conn), { open: 3, closed: 0, held: 0 })
  channels[0].close()
  channels[1].close()
  assert.deepEqual(t.inbound(conn), { open: 1, closed: 2, held: 2 })
  for (const c of channels.slice(0, 2)) {
    assert.deepEqual([c.onmessage, c.onclose, c.onerror, c.onopen, c.onbufferedamountlow], [null, null, null, null, null])
  }
  assert.equal(typeof channels[2].onmessage, 'function', 'an open channel keeps its handlers')
})

test('a closed channel the platform releaser frees is not counted as held; a throwing releaser counts as not freed', () => {
  const freed: object[] = []
  setChannelReleaser((pc, channel) => {
    if (freed.length === 1) throw new Error('boom')
    freed.push(channel)
    return true
  })
  try {
    const t = new DataChannelTracker()
    const { conn, open } = fakeWebRTCConnection()
    t.watch(conn)
    const [a, b] = [open(), open()]
    a.close()
    assert.deepEqual(freed, [a])
    b.close()
    assert.deepEqual(t.inbound(conn), { open: 0, closed: 2, held: 1 })
  } finally {
    setChannelReleaser(undefined)
  }
})

test('connections without a WebRTC muxer are not watched', () => {
  const t = new DataChannelTracker()
  const yamux = { muxer: { protocol: '/yamux/1.0.0' } }
  assert.equal(peerConnectionOf(yamux), undefined)
  t.watch(yamux)
  assert.equal(t.inbound(yamux), undefined)
  const stop = t.watch(fakeWebRTCConnection().conn)
  stop()
})
