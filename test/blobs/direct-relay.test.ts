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
import { isDirectWebRTC, type MeshNode } from '../../core/net/index.ts'
import { BLOBS_PROTOCOL, createBlobService, type BlobComponents } from '../../core/blobs/index.ts'
import { connectionTransport } from '../../core/net/transport.ts'
import { directPeers, startRelayMesh, type RelayMesh } from '../_support/relay-mesh.ts'
import { waitFor } from '../_support/wait.ts'
import { seededBytes as bytesOf } from '../_support/seeded-bytes.ts'

let mesh: RelayMesh
let peers: MeshNode[] = []

before(async () => {
  mesh = await startRelayMesh(4, 1)
  peers = mesh.peers
})

after(async () => { await mesh?.stop() })

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
    const dialsBefore = { ...fetcher.stats }
    const { bytes, stats } = await sink.fetch(m.id, [providerId]).catch((err: unknown) => {
      // what the dial did, for a failure that says only "timed out" (once in CI, not reproduced)
      const links = fetcher.links().filter(l => l.peerId === providerId).map(l => `${l.transport}${l.limited ? '(limited)' : ''}`)
      const d = fetcher.stats
      throw new Error(`fetch failed: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}; fetcher's links to the provider now [${links.join(', ')}], dials during the fetch: ${d.dialSuccesses - dialsBefore.dialSuccesses} ok, ${d.dialFailures - dialsBefore.dialFailures} failed; requests the provider saw: ${JSON.stringify(seenOn)}`, { cause: err })
    })
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
