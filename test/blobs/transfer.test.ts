/**
 * Blobs between live libp2p peers (real WebSocket connections on 127.0.0.1): two providers A and B
 * (bootstrap-role nodes) and a fetcher P linked to both. A blob crosses intact and LZ4-framed; an
 * edited version sends only the chunks P lacks; a hostile provider's corrupted chunks are caught by
 * their hash and fetched again from the honest one (or fail as BlobCorruptError when none is
 * honest); an over-cap blob is refused after its manifest, before any chunk moves; garbage
 * requests get typed errors and leave the provider serving.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { createMeshNode, type MeshNode, type MeshNodeInit } from '../../core/net/index.ts'
import { BLOBS_PROTOCOL, createBlobService, MemoryBlobStore, type BlobService } from '../../core/blobs/index.ts'
import { waitFor } from '../_support/wait.ts'
import { releaseWebRTC } from '../../node-runtime/mesh/webrtc-release.ts'

const FAST: MeshNodeInit = { discoveryIntervalMs: 1000, topologyIntervalMs: 1000, peerTtlMs: 6000, dialTimeoutMs: 5000, pingIntervalMs: 2000 }
const nodes: MeshNode[] = []
let a: MeshNode, b: MeshNode, p: MeshNode
let blobsA: BlobService, blobsB: BlobService, blobsP: BlobService

/** A hostile provider's store: honest manifests, every chunk with one byte flipped. */
class CorruptingStore extends MemoryBlobStore {
  override getChunk (hash: string): Uint8Array | undefined {
    const c = super.getChunk(hash)
    if (c == null) return c
    const bad = c.slice()
    bad[bad.length >> 1] ^= 0x5a
    return bad
  }
}

/** Seeded pseudo-random text-like bytes (compressible, but not trivially). */
function sample (size: number, seed: number): Uint8Array {
  const words = ['mesh', 'task', 'chunk', 'ledger', 'replica', 'quorum', 'wasm', 'lease', 'epoch', 'token']
  let x = seed >>> 0
  const parts: string[] = []
  let n = 0
  while (n < size) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0
    const w = `${words[x % words.length]}${(x >>> 8) % 1000} `
    parts.push(w)
    n += w.length
  }
  return new TextEncoder().encode(parts.join('')).slice(0, size)
}

async function provider (): Promise<MeshNode> {
  const n = await createMeshNode({ ...FAST, role: 'bootstrap', listen: ['/ip4/127.0.0.1/tcp/0/ws'] })
  nodes.push(n)
  await n.start()
  return n
}

before(async () => {
  a = await provider()
  b = await provider()
  p = await createMeshNode({ ...FAST, bootstrap: [a.getMultiaddrs()[0], b.getMultiaddrs()[0]] })
  nodes.push(p)
  await p.start()
  blobsA = createBlobService(a)
  blobsB = createBlobService(b, { store: new CorruptingStore() })
  blobsP = createBlobService(p)
  await Promise.all([blobsA.start(), blobsB.start(), blobsP.start()])
  const linked = (n: MeshNode): boolean => p.libp2p.getConnections(n.peerId).some(c => c.status === 'open' && c.limits == null)
  await waitFor(() => linked(a) && linked(b), { timeout: 60_000, message: 'P linked to both providers' })
})

after(async () => {
  await Promise.all([blobsA, blobsB, blobsP].map(async s => { await s?.stop() }))
  await Promise.all(nodes.map(async n => { await n.stop() }))
  releaseWebRTC()
})

const A = (): string => a.peerId.toString()
const B = (): string => b.peerId.toString()

test('a blob crosses intact, LZ4-framed, and a second fetch is local', async () => {
  const data = sample(700_000, 1)
  const m = blobsA.put(data)
  assert.equal(m.size, data.length)
  const { bytes, stats } = await blobsP.fetch(m.id, [A()])
  assert.deepEqual(Buffer.from(bytes), Buffer.from(data))
  assert.equal(stats.chunksLocal, 0)
  assert.equal(stats.chunksFetched, stats.chunks)
  assert.ok(stats.chunks > 20, `FastCDC made ${stats.chunks} chunks`)
  assert.ok(stats.bytesOnWire < data.length * 0.8, `LZ4 on the wire: ${stats.bytesOnWire} bytes for ${data.length}`)
  const again = await blobsP.fetch(m.id, [A()])
  assert.equal(again.stats.requests, 0)
  assert.equal(blobsP.has(m.id), true)
})

test('an edited blob sends only the chunks the fetcher lacks', async () => {
  const v1 = sample(600_000, 2)
  const v2 = v1.slice()
  v2.set(new TextEncoder().encode('EDITED-IN-THE-MIDDLE'), 300_000)
  await blobsP.fetch(blobsA.put(v1).id, [A()])
  const m2 = blobsA.put(v2)
  const { bytes, stats } = await blobsP.fetch(m2.id, [A()])
  assert.deepEqual(Buffer.from(bytes), Buffer.from(v2))
  assert.ok(stats.chunksFetched <= 3, `only the edited region's chunks: fetched ${stats.chunksFetched} of ${stats.chunks}`)
  assert.equal(stats.chunksLocal + stats.chunksFetched, stats.chunks)
  assert.ok(stats.bytesOnWire < 60_000, `${stats.bytesOnWire} bytes on the wire`)
})

test('corrupted chunks from a hostile provider are refetched from an honest one', async () => {
  const data = sample(200_000, 3)
  blobsB.put(data)
  const m = blobsA.put(data)
  const { bytes, stats } = await blobsP.fetch(m.id, [B(), A()])
  assert.deepEqual(Buffer.from(bytes), Buffer.from(data))
  assert.ok(stats.corruptChunks > 0, 'the hostile provider\'s chunks were detected')
})

test('with only a hostile provider the fetch fails as BlobCorruptError and stores nothing', async () => {
  const data = sample(100_000, 4)
  const m = blobsB.put(data)
  await assert.rejects(blobsP.fetch(m.id, [B()]), { name: 'BlobCorruptError' })
  assert.equal(blobsP.has(m.id), false)
})

test('an over-cap blob is refused from its manifest, before any chunk moves; put refuses it too', async () => {
  const small = createBlobService(p, { maxBlobBytes: 256 * 1024, store: new MemoryBlobStore() })
  const m = blobsA.put(sample(400_000, 5))
  const before = blobsA.served.chunks
  await assert.rejects(small.fetch(m.id, [A()]), { name: 'BlobTooLargeError' })
  assert.equal(blobsA.served.chunks, before, 'no chunk was served')
  assert.throws(() => small.put(new Uint8Array(300_000)), { name: 'BlobTooLargeError' })
})

test('unknown and invalid ids are typed errors', async () => {
  await assert.rejects(blobsP.fetch('0'.repeat(64), [A(), B()]), { name: 'BlobNotFoundError' })
  await assert.rejects(blobsP.fetch('../etc/passwd', [A()]), { name: 'InvalidBlobIdError' })
})

test('garbage requests get an error response and the provider keeps serving', async () => {
  const before = blobsA.served.malformed
  for (const junk of [new Uint8Array(0), Uint8Array.of(9), Uint8Array.of(2, 200, 1), Uint8Array.of(1, 1, 2, 3)]) {
    await assert.rejects(p.request(A(), BLOBS_PROTOCOL, junk), (e: Error) => e.name === 'RemoteError' && /MalformedBlobMessageError/.test(e.message))
  }
  assert.equal(blobsA.served.malformed, before + 4)
  const m = blobsA.put(sample(10_000, 6))
  assert.equal((await blobsP.fetch(m.id, [A()])).bytes.length, 10_000)
})
