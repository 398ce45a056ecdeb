/**
 * Validation of `/bootstrap.json` (app/bootstrap.ts): good answers parse, every bad one is a typed
 * error; malformed peer hints are dropped and counted, never fatal.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fetchBootstrap, MAX_HINTS, parseBootstrap } from '../../app/bootstrap.ts'

const ID = '12D3KooWMc8dvqVKv6a6Do2YkX8vVnFXhU8zurcvApxxBCnetx5y'
const ADDR = `/ip4/127.0.0.1/tcp/4001/ws/p2p/${ID}`

test('a good answer parses', () => {
  const info = parseBootstrap({ peerId: ID, multiaddrs: [ADDR] })
  assert.equal(info.peerId, ID)
  assert.equal(info.multiaddrs[0].toString(), ADDR)
})

test('peer hints: well-formed ones are kept, malformed ones dropped and counted, never fatal', () => {
  const PEER = '12D3KooWDWjt7WDpp2bnxtxQe8NhoXGV8hKUFzGYWCnQs5VtQ2jY'
  const good = { peerId: PEER, multiaddrs: [`${ADDR}/p2p-circuit/webrtc/p2p/${PEER}`] }
  assert.deepEqual(parseBootstrap({ peerId: ID, multiaddrs: [ADDR] }).peers, [], 'no "peers": none')
  const info = parseBootstrap({
    peerId: ID,
    multiaddrs: [ADDR],
    peers: [
      good, null, 'x', { peerId: PEER }, { peerId: 'nope', multiaddrs: good.multiaddrs },
      { peerId: PEER, multiaddrs: [`${ADDR}/p2p-circuit/webrtc/p2p/${ID}`] }, // ends in another id
      { peerId: PEER, multiaddrs: [`/ip4/127.0.0.1/tcp/1/ws/p2p/${PEER}`] }, // not WebRTC
      { peerId: PEER, multiaddrs: ['/garbage'] }, { peerId: PEER, multiaddrs: Array(9).fill(good.multiaddrs[0]) }
    ]
  })
  assert.deepEqual(info.peers, [good])
  assert.equal(info.droppedPeers, 8)
  const many = parseBootstrap({ peerId: ID, multiaddrs: [ADDR], peers: Array(40).fill(good) })
  assert.equal(many.peers.length, MAX_HINTS, 'at most MAX_HINTS are kept')
  assert.equal(many.droppedPeers, 40 - MAX_HINTS)
  assert.throws(() => parseBootstrap({ peerId: ID, multiaddrs: [ADDR], peers: 'all of them' }), { name: 'BootstrapFormatError' })
})

test('each bad answer is a BootstrapFormatError', () => {
  const bad: unknown[] = [
    null, 42, 'x', {}, { peerId: 5, multiaddrs: [ADDR] }, { peerId: 'nope', multiaddrs: [ADDR] },
    { peerId: ID }, { peerId: ID, multiaddrs: [] }, { peerId: ID, multiaddrs: [7] },
    { peerId: ID, multiaddrs: ['/not/a/multiaddr'] }, { peerId: ID, multiaddrs: ['/ip4/127.0.0.1/tcp/1/ws'] }
  ]
  for (const body of bad) {
    assert.throws(() => parseBootstrap(body), { name: 'BootstrapFormatError' }, JSON.stringify(body))
  }
})

test('fetch failures and non-JSON answers are typed', async () => {
  const refuse = (async () => { throw new TypeError('connection refused') }) as unknown as typeof fetch
  await assert.rejects(fetchBootstrap('http://127.0.0.1:1/', refuse), { name: 'BootstrapFetchError' })
  const status = (async () => new Response('no', { status: 503 })) as unknown as typeof fetch
  await assert.rejects(fetchBootstrap('http://127.0.0.1:1/', status), { name: 'BootstrapFetchError' })
  const html = (async () => new Response('<html>')) as unknown as typeof fetch
  await assert.rejects(fetchBootstrap('http://127.0.0.1:1/', html), { name: 'BootstrapFormatError' })
  const ok = (async (url: URL) => {
    assert.equal(url.href, 'http://127.0.0.1:1/bootstrap.json')
    return Response.json({ peerId: ID, multiaddrs: [ADDR] })
  }) as unknown as typeof fetch
  assert.equal((await fetchBootstrap('http://127.0.0.1:1/app/index.html', ok)).peerId, ID)
})
