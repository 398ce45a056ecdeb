/**
 * `RequestOptions.direct` over a real relay-only link (core/net/mesh-node.ts `request`, used by the
 * blob service for every request): a bootstrap (the circuit relay) and 4 peers in this process,
 * each aiming at 1 direct WebRTC link (`maxPeers` 1), so once they settle some pairs of peers have
 * no direct link and reach each other only through the relay. The fetcher asks a provider it has no
 * direct link to for a blob: a WebRTC link to the provider is dialled first, and every blob request
 * arrives at the provider on a stream of that direct WebRTC connection (checked at the provider
 * when its handler runs), never on the relayed one; the blob arrives whole.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { createMeshNode, isDirectWebRTC, type MeshNode, type MeshNodeInit } from '../../core/net/index.ts'
import { BLOBS_PROTOCOL, createBlobService, type BlobComponents } from '../../core/blobs/index.ts'
import { connectionTransport } from '../../core/net/transport.ts'
import { releaseWebRTC } from '../../node-runtime/mesh/webrtc-release.ts'
import { waitFor } from '../_support/wait.ts'
import { seededBytes as bytesOf } from '../_support/seeded-bytes.ts'

const FAST: MeshNodeInit = { discoveryIntervalMs: 1000, topologyIntervalMs: 1000, peerTtlMs: 6000, dialTimeoutMs: 5000, pingIntervalMs: 2000 }
const nodes: MeshNode[] = []
const peers: MeshNode[] = []

function directPeers (n: MeshNode): Set<string> {
  return new Set(n.libp2p.getConnections().filter(c => c.status === 'open' && isDirectWebRTC(c)).map(c => c.remotePeer.toString()))
}

before(async () => {
  const boot = await createMeshNode({ ...FAST, role: 'bootstrap', listen: ['/ip4/127.0.0.1/tcp/0/ws'] })
  nodes.push(boot)
  await boot.start()
  for (let i = 0; i < 4; i++) {
    const n = await createMeshNode({ ...FAST, maxPeers: 1, bootstrap: [boot.getMultiaddrs()[0]] })
    nodes.push(n)
    peers.push(n)
    await n.start()
  }
})

after(async () => {
  await Promise.all(nodes.map(async n => { await n.stop() }))
  releaseWebRTC()
})

test('a blob request to a provider reachable only through the relay dials a WebRTC link first and goes over it', { timeout: 600_000 }, async () => {
  // settled: every peer has its one direct link (so none dials further), and some pair has none
  const pair = await waitFor(() => {
    if (!peers.every(p => directPeers(p).size >= 1)) return null
    for (const f of peers) {
      for (const p of peers) {
        if (f !== p && !directPeers(f).has(p.peerId.toString()) && f.members().includes(p.peerId.toString())) return { fetcher: f, provider: p }
      }
    }
    return null
  }, { timeout: 300_000, interval: 250, message: () => `every peer linked, some pair not; links now ${peers.map(p => directPeers(p).size).join(',')}` })
  const { fetcher, provider } = pair
  const fetcherId = fetcher.peerId.toString()
  const providerId = provider.peerId.toString()

  // the provider's blob handler, observed: on which of its connections to the fetcher each request's stream is open
  const seenOn: string[] = []
  const observed: BlobComponents = {
    handle: async (protocol, handler, opts) => {
      await provider.handle(protocol, (bytes, ctx) => {
        if (ctx.peerId === fetcherId) {
          const conns = provider.libp2p.getConnections(fetcher.peerId).filter(c => c.status === 'open' && c.streams.some(s => s.protocol === BLOBS_PROTOCOL))
          seenOn.push(conns.map(c => (isDirectWebRTC(c) ? 'direct-webrtc' : connectionTransport(c))).sort().join('+') || 'none')
        }
        return handler(bytes, ctx)
      }, opts)
    },
    unhandle: async (protocol) => { await provider.unhandle(protocol) },
    request: async (peer, protocol, payload, opts) => await provider.request(peer, protocol, payload, opts)
  }
  const source = createBlobService(observed)
  const sink = createBlobService(fetcher)
  await source.start()
  await sink.start()
  try {
    const blob = bytesOf(300_000, 7)
    const m = source.put(blob)
    const before = directPeers(fetcher).has(providerId)
    const { bytes, stats } = await sink.fetch(m.id, [providerId])
    assert.equal(before, false, 'no direct link to the provider when the fetch started (only the relay)')
    assert.deepEqual(bytes, blob)
    assert.equal(stats.chunksFetched, stats.chunks)
    assert.ok(stats.requests >= 2, `a manifest and chunk requests: ${stats.requests}`)
    assert.equal(seenOn.length, stats.requests, `every request reached the provider: ${JSON.stringify(seenOn)}`)
    assert.deepEqual([...new Set(seenOn)], ['direct-webrtc'], `every request's stream was on the direct WebRTC link: ${JSON.stringify(seenOn)}`)
    assert.ok(directPeers(fetcher).has(providerId), 'the fetcher now has a direct link to the provider')
    console.log(`# ${stats.requests} requests, ${stats.bytesOnWire} bytes on the wire, on: ${[...new Set(seenOn)].join(', ')}`)
  } finally {
    await sink.stop()
    await source.stop()
  }
})
