/**
 * An xxHash64 chunk-name collision: a chunk name the store already holds with other bytes. Chunk
 * names are not collision-resistant, so a blob stored after one whose chunk merely shares a name
 * must still be readable: `putBlob` replaces the held chunk and forgets the blobs that listed the old
 * bytes (they could no longer be assembled). The real hash stays; the collision is a crafted store
 * entry (the old bytes planted under the new chunk's name, listed by a crafted manifest), which is
 * what a real collision leaves in a store. Through `put`, through `fetch` (the local chunk fails the
 * assembly, every chunk is fetched again and stored), and a store that already holds a blob with a
 * bad chunk (as one written before this check could): `get` is undefined, not a throw, and a fetch
 * repairs it.
 */
import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { initCoreWasm } from '../../core-wasm/index.ts'
import { chunkBlob, MemoryBlobStore, type BlobManifest, type BlobService } from '../../core/blobs/index.ts'
import { blobNet as services } from '../_support/blob-net.ts'
import { seededBytes } from '../_support/seeded-bytes.ts'

before(async () => { await initCoreWasm() })

/** a memory store into which a test can plant a chunk under any name, and a manifest listing it */
class PlantingStore extends MemoryBlobStore {
  plant (hash: string, bytes: Uint8Array): void {
    this.writeChunk(hash, bytes)
    this.index.addChunk(hash, bytes.length)
  }

  plantManifest (manifest: BlobManifest): void {
    this.manifests.set(manifest.id, manifest)
    this.index.addBlob(manifest.id, manifest.chunks.map(c => c.hash))
  }
}

/** a provider 'p' and a fetcher 'f' over a planting store, started */
async function fetchPair (): Promise<{ provider: BlobService, store: PlantingStore, fetcher: BlobService }> {
  const net = services()
  const provider = net.of('p', new PlantingStore())
  const store = new PlantingStore()
  const fetcher = net.of('f', store)
  await provider.start(); await fetcher.start()
  return { provider, store, fetcher }
}

const OTHER_ID = 'e'.repeat(64)

/** Plants blob `y`'s chunk `i` name with other bytes (`length` of them), listed by a crafted blob OTHER_ID. */
function plantCollision (store: PlantingStore, y: Uint8Array, i: number, length?: number): string {
  const { manifest } = chunkBlob(y)
  const victim = manifest.chunks[i]
  const other = seededBytes(length ?? victim.length, 99)
  store.plant(victim.hash, other)
  store.plantManifest({ id: OTHER_ID, size: other.length, chunks: [{ hash: victim.hash, length: other.length }] })
  return victim.hash
}

test('put: a chunk held under the same name with other bytes is replaced; the blob listing the old bytes is forgotten', () => {
  for (const length of [undefined, 3000]) {
    const store = new PlantingStore()
    const blobs = services().of('a', store)
    const y = seededBytes(200_000, 7)
    const hash = plantCollision(store, y, 4, length)
    assert.equal(blobs.has(OTHER_ID), true, 'the crafted blob is held before')
    const m = blobs.put(y)
    assert.equal(blobs.has(m.id), true)
    assert.deepEqual(blobs.get(m.id), y, 'the stored blob reads back (it did not before: its chunk had the other bytes)')
    assert.equal(blobs.verify(m.id), true)
    assert.equal(blobs.has(OTHER_ID), false, 'the blob whose chunk was replaced is no longer claimed')
    assert.deepEqual(store.collisions, { chunks: 1, blobs: 1 })
    assert.equal(store.getChunk(hash)?.length, m.chunks[4].length)
    const held = new Map(m.chunks.map(c => [c.hash, c.length]))
    assert.equal(store.bytes, [...held.values()].reduce((a, b) => a + b, 0), 'byte count: the old chunk\'s length left, the new one counted')
  }
})

test('put of a blob sharing chunks with a held one (no collision): nothing replaced, both readable', () => {
  const store = new PlantingStore()
  const blobs = services().of('a', store)
  const x = seededBytes(200_000, 8)
  const y = x.slice(); y.fill(1, 100_000, 101_000)
  const mx = blobs.put(x)
  const my = blobs.put(y)
  assert.deepEqual(store.collisions, { chunks: 0, blobs: 0 })
  assert.deepEqual(blobs.get(mx.id), x)
  assert.deepEqual(blobs.get(my.id), y)
})

test('fetch: a local chunk that only shares its name is fetched again, and the stored blob reads back', async () => {
  const { provider, store, fetcher } = await fetchPair()
  const y = seededBytes(300_000, 9)
  const m = provider.put(y)
  plantCollision(store, y, 6)
  const { bytes, stats } = await fetcher.fetch(m.id, ['p'])
  assert.deepEqual(bytes, y)
  assert.equal(stats.chunksFetched, 2 * stats.chunks - 1, 'the others first, then (assembly failed) every chunk again')
  assert.equal(fetcher.has(m.id), true)
  assert.deepEqual(fetcher.get(m.id), y, 'stored readable (before: has but not get)')
  assert.equal(fetcher.verify(m.id), true)
  assert.equal(fetcher.has(OTHER_ID), false)
  assert.deepEqual(store.collisions, { chunks: 1, blobs: 1 })
  await provider.stop(); await fetcher.stop()
})

test('a held blob with a bad chunk (as a store before this check kept one): get is undefined, and a fetch repairs it', async () => {
  const { provider, store, fetcher } = await fetchPair()
  const y = seededBytes(250_000, 10)
  const m = provider.put(y)
  const { chunks } = chunkBlob(y)
  for (const [hash, bytes] of chunks) store.plant(hash, bytes)
  store.plant(m.chunks[2].hash, seededBytes(m.chunks[2].length, 98))
  store.plantManifest(m)
  assert.equal(fetcher.has(m.id), true, 'the index claims it')
  assert.equal(fetcher.get(m.id), undefined, 'get: undefined, not a throw')
  assert.equal(fetcher.verify(m.id), false)
  const { bytes } = await fetcher.fetch(m.id, ['p'])
  assert.deepEqual(bytes, y)
  assert.deepEqual(fetcher.get(m.id), y, 'repaired in place')
  assert.equal(fetcher.verify(m.id), true)
  assert.deepEqual(store.collisions, { chunks: 1, blobs: 0 }, 'the blob being stored is not forgotten')
  await provider.stop(); await fetcher.stop()
})
