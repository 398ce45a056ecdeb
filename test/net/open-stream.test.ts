/**
 * openStreamTo: a link libp2p still reports open but that cannot open a stream (its WebRTC peer
 * connection destroyed) is aborted and the next link, then a fresh dial, is tried; the caller's
 * deadline and the peer's "unsupported protocol" end the attempt at once; a dialled link that is
 * just as dead is aborted and dialled again, at most MAX_LINKS links in all. Plain objects stand in
 * for libp2p connections (the fields read here); the live path runs in test/state/replication.test.ts.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Connection, Libp2p, Stream } from '@libp2p/interface'
import { LinkHealth } from '../../core/net/link-health.ts'
import { MAX_LINKS, openStreamTo } from '../../core/net/open-stream.ts'

const RELAY = '/ip4/127.0.0.1/tcp/4001/ws/p2p/12D3KooWHXR8HYW3w36jSJPdoA9NxsA22GgctbCP4XBLKGwzzNFN'
const PEER = '12D3KooWDWjt7WDpp2bnxtxQe8NhoXGV8hKUFzGYWCnQs5VtQ2jY'
const peer = peerIdFromString(PEER)

interface FakeConn { id: string, aborted?: Error, opens: number }

function conn (id: string, kind: 'webrtc' | 'websocket', rtt: number | undefined, open: (() => Stream) | Error): Connection & FakeConn {
  const c: FakeConn & Record<string, unknown> = {
    id,
    opens: 0,
    remoteAddr: multiaddr(kind === 'websocket' ? RELAY : `${RELAY}/p2p-circuit/webrtc/p2p/${PEER}`),
    limits: undefined,
    status: 'open',
    direction: 'outbound',
    timeline: { open: 0 },
    rtt,
    async newStream () { c.opens++; if (open instanceof Error) throw open; return open() },
    abort (err: Error) { c.aborted = err; c.status = 'closed' }
  }
  return c as unknown as Connection & FakeConn
}

/** A libp2p stand-in: its open links, and a dial that hands back the next of `dialled` (a link whose newStream gives `dial()`'s stream by default). */
function node (conns: Array<Connection & FakeConn>, dial: () => Stream = () => ({ id: 'dialled' }) as unknown as Stream, dialled: Array<Connection & FakeConn> = []): Pick<Libp2p, 'getConnections' | 'dial'> & { dials: number } {
  const n = {
    dials: 0,
    getConnections: () => conns.filter(c => c.status === 'open'),
    dial: async () => { n.dials++; return dialled.shift() ?? conn(`dialled-${n.dials}`, 'webrtc', undefined, dial) }
  }
  return n as unknown as Pick<Libp2p, 'getConnections' | 'dial'> & { dials: number }
}

const destroyed = (): Error => new Error('createDataChannel() called on destroyed peer connection')
const named = (name: string): Error => Object.assign(new Error(name), { name })

test('a link that cannot open streams is aborted and the next best link carries the stream', async () => {
  const best = conn('direct', 'webrtc', 5, destroyed())
  const next = conn('ws', 'websocket', 9, () => ({ id: 'on-ws' }) as unknown as Stream)
  const n = node([best, next])
  const s = await openStreamTo(n, new LinkHealth(), peer, '/p/1', { signal: AbortSignal.timeout(1000) })
  assert.equal(s.id, 'on-ws')
  assert.match(best.aborted?.message ?? '', /destroyed peer connection/)
  assert.equal(next.aborted, undefined)
  assert.equal(n.dials, 0)
})

test('when every link is dead the peer is dialled afresh', async () => {
  const a = conn('a', 'webrtc', 5, destroyed())
  const b = conn('b', 'webrtc', undefined, named('MuxerClosedError'))
  const n = node([a, b])
  const s = await openStreamTo(n, new LinkHealth(), peer, '/p/1', { signal: AbortSignal.timeout(1000) })
  assert.equal(s.id, 'dialled')
  assert.equal(n.dials, 1)
  assert.ok(a.aborted != null && b.aborted != null)
})

test('the peer refusing the protocol, or the caller\'s deadline, ends the attempt and leaves the link alone', async () => {
  for (const err of [named('UnsupportedProtocolError'), named('AbortError'), named('TimeoutError')]) {
    const a = conn('a', 'webrtc', 5, err)
    const n = node([a, conn('b', 'websocket', 1, () => ({ id: 'other' }) as unknown as Stream)])
    await assert.rejects(openStreamTo(n, new LinkHealth(), peer, '/p/1', { signal: AbortSignal.timeout(1000) }), { name: err.name })
    assert.equal(a.aborted, undefined)
    assert.equal(n.dials, 0)
  }
  const aborted = new AbortController()
  const a = conn('a', 'webrtc', 5, destroyed())
  aborted.abort()
  await assert.rejects(openStreamTo(node([a]), new LinkHealth(), peer, '/p/1', { signal: aborted.signal }), /destroyed/)
  assert.equal(a.aborted, undefined)
})

test('a relayed link with limits is never used: the peer is dialled', async () => {
  const relayed = Object.assign(conn('r', 'websocket', 1, () => ({ id: 'relayed' }) as unknown as Stream), { limits: { bytes: 1n << 17n } })
  const n = node([relayed])
  assert.equal((await openStreamTo(n, new LinkHealth(), peer, '/p/1', { signal: AbortSignal.timeout(1000) })).id, 'dialled')
})

test('a dialled link that cannot open streams either (a duplicate the guard closed) is aborted and the peer dialled again', async () => {
  const a = conn('a', 'webrtc', 5, destroyed())
  const duplicate = conn('dup', 'webrtc', undefined, destroyed())
  const n = node([a], undefined, [duplicate])
  const s = await openStreamTo(n, new LinkHealth(), peer, '/p/1', { signal: AbortSignal.timeout(1000) })
  assert.equal(s.id, 'dialled')
  assert.equal(n.dials, 2)
  assert.ok(a.aborted != null && duplicate.aborted != null)
})

test('links that keep dying end the attempt after MAX_LINKS, with the last link\'s error', async () => {
  const dialled = Array.from({ length: 10 }, (_, i) => conn(`d${i}`, 'webrtc', undefined, destroyed()))
  const n = node([], undefined, dialled)
  await assert.rejects(openStreamTo(n, new LinkHealth(), peer, '/p/1', { signal: AbortSignal.timeout(1000) }), /destroyed peer connection/)
  assert.equal(n.dials, MAX_LINKS)
  // and a dial that hands back a link already found dead (libp2p still lists it open) ends it at once
  const stale = conn('stale', 'webrtc', 5, destroyed())
  const m = node([stale], undefined, [stale])
  await assert.rejects(openStreamTo(m, new LinkHealth(), peer, '/p/1', { signal: AbortSignal.timeout(1000) }), /destroyed peer connection/)
  assert.equal(m.dials, 1)
  assert.equal(stale.opens, 2)
})
