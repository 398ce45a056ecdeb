/**
 * `BlobService.has` answers from the store's index (the manifest and every chunk held, nothing read
 * or hashed) and `verify` from the bytes (every chunk read, the blob's SHA-256 checked, one chunk at
 * a time): a blob with a chunk missing is never `has`; a chunk damaged or deleted on disk is found by
 * `verify`, which the disk store's read then drops, so `has` answers false from then on too; and
 * `has` reads no chunk at all (a counting store).
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { initCoreWasm } from '../../core-wasm/index.ts'
import { createBlobService, MemoryBlobStore, type BlobComponents } from '../../core/blobs/index.ts'
import { FileBlobStore } from '../../node-runtime/blobs/file-store.ts'
import { seededBytes as bytesOf } from '../_support/seeded-bytes.ts'

const dirs: string[] = []
const fresh = (): string => { const d = mkdtempSync(join(tmpdir(), 'nc-blobs-has-')); dirs.push(d); return d }
/** the service's mesh side is not used by put/has/verify */
const noMesh = {} as unknown as BlobComponents

before(async () => { await initCoreWasm() })
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }) })

/** a memory store that counts chunk reads, and can lose a chunk (as eviction or a disk would) */
class CountingStore extends MemoryBlobStore {
  reads = 0
  override getChunk (hash: string): Uint8Array | undefined { this.reads++; return super.getChunk(hash) }
  lose (hash: string): void { this.dropChunk(hash) }
}

test('has reads no chunk; a blob with a chunk missing is neither has nor verify', () => {
  const store = new CountingStore()
  const service = createBlobService(noMesh, { store })
  const m = service.put(bytesOf(300_000, 11))
  assert.ok(m.chunks.length > 10, 'several chunks')
  store.reads = 0
  assert.equal(service.has(m.id), true)
  assert.equal(store.reads, 0, 'has answers from the index')
  assert.equal(service.verify(m.id), true)
  assert.ok(store.reads >= new Set(m.chunks.map(c => c.hash)).size, 'verify reads every chunk')
  assert.equal(service.has('0'.repeat(64)), false)
  assert.equal(service.verify('0'.repeat(64)), false)
  assert.throws(() => service.has('nope'), { name: 'InvalidBlobIdError' })

  store.lose(m.chunks[5].hash)
  assert.equal(service.has(m.id), false, 'a missing chunk: not held')
  assert.equal(service.verify(m.id), false)
  assert.equal(service.get(m.id), undefined)
})

test('a chunk damaged or deleted on disk: verify is false, and has is false once verify found it', () => {
  for (const damage of ['changed', 'deleted'] as const) {
    const dir = fresh()
    const service = createBlobService(noMesh, { store: new FileBlobStore(dir, { log: () => {} }) })
    const m = service.put(bytesOf(200_000, 12))
    const victim = m.chunks[3].hash
    const file = join(dir, 'chunks', victim.slice(0, 2), victim)
    // under the running peer, after its store indexed the chunk
    if (damage === 'changed') writeFileSync(file, bytesOf(m.chunks[3].length, 98))
    else unlinkSync(file)
    assert.equal(service.has(m.id), true, `${damage}: the index still lists it (has does not read)`)
    assert.equal(service.verify(m.id), false, `${damage}: verify reads it`)
    assert.equal(service.has(m.id), false, `${damage}: the bad chunk was dropped`)
    assert.equal(service.get(m.id), undefined)
  }
})

test('an intact blob on disk verifies after a reopen', () => {
  const dir = fresh()
  const m = createBlobService(noMesh, { store: new FileBlobStore(dir) }).put(bytesOf(150_000, 13))
  const service = createBlobService(noMesh, { store: new FileBlobStore(dir) })
  assert.equal(service.has(m.id), true)
  assert.equal(service.verify(m.id), true)
})
