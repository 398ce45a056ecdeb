/**
 * node-runtime/blobs/file-store.ts, the Node peer's blob store on disk: a blob put through the blob
 * service comes back whole from a store reopened on the same directory (a restart), with the same
 * byte count; a chunk file whose bytes were changed on disk, or a manifest file that no longer
 * decodes, is dropped and reported absent (never served); a temporary file a crash left is removed
 * at open; the byte cap holds when what it could evict is pinned (`BlobStoreFullError`); hashes that are not hex never reach a path.
 */
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { initCoreWasm } from '../../core-wasm/index.ts'
import { createBlobService, PINNED, type BlobComponents } from '../../core/blobs/index.ts'
import { FileBlobStore } from '../../node-runtime/blobs/file-store.ts'
import { seededBytes as bytesOf } from '../_support/seeded-bytes.ts'

const dirs: string[] = []
const fresh = (): string => { const d = mkdtempSync(join(tmpdir(), 'nc-blobs-')); dirs.push(d); return d }
/** the service's mesh side is not used by put/get */
const noMesh = {} as unknown as BlobComponents

before(async () => { await initCoreWasm() })
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }) })

test('a blob survives reopening the store (a restart)', () => {
  const dir = fresh()
  const blob = bytesOf(200_000, 1)
  const first = createBlobService(noMesh, { store: new FileBlobStore(dir) })
  const m = first.put(blob)
  assert.ok(m.chunks.length > 3, 'several chunks')
  const held = first.store.bytes
  const reopened = new FileBlobStore(dir)
  assert.equal(reopened.bytes, held)
  const second = createBlobService(noMesh, { store: reopened })
  assert.equal(second.has(m.id), true)
  assert.deepEqual(second.get(m.id), blob)
  // put again: nothing new is written
  second.put(blob)
  assert.equal(reopened.bytes, held)
})

test('a chunk changed on disk, or a manifest that no longer decodes, is dropped and never served', () => {
  const dir = fresh()
  const service = createBlobService(noMesh, { store: new FileBlobStore(dir) })
  const m = service.put(bytesOf(50_000, 2))
  const victim = m.chunks[0].hash
  const file = join(dir, 'chunks', victim.slice(0, 2), victim)
  writeFileSync(file, bytesOf(m.chunks[0].length, 99))
  const store = new FileBlobStore(dir, { log: () => {} })
  assert.equal(store.hasChunk(victim), true, 'indexed by name at open')
  assert.equal(store.getChunk(victim), undefined, 'its bytes do not match its hash')
  assert.equal(store.hasChunk(victim), false)
  assert.equal(existsSync(file), false, 'the bad file is deleted')
  assert.equal(createBlobService(noMesh, { store }).get(m.id), undefined, 'the blob is incomplete, not wrong')

  writeFileSync(join(dir, 'manifests', m.id), new Uint8Array([1, 2, 3]))
  const logged: string[] = []
  const again = new FileBlobStore(dir, { log: msg => { logged.push(msg) } })
  assert.equal(again.getManifest(m.id), undefined)
  assert.match(logged.join('\n'), /dropping manifest/)
  assert.equal(existsSync(join(dir, 'manifests', m.id)), false)
})

test('leftover temporary files are removed at open; the cap holds; non-hex names never reach a path', () => {
  const dir = fresh()
  const store = new FileBlobStore(dir, { maxBytes: 100_000 })
  const service = createBlobService(noMesh, { store })
  const m = service.put(bytesOf(60_000, 3))
  const sub = join(dir, 'chunks', m.chunks[0].hash.slice(0, 2))
  writeFileSync(join(sub, `${m.chunks[0].hash}.4242.tmp`), new Uint8Array(10))
  writeFileSync(join(dir, 'manifests', `${m.id}.4242.tmp`), new Uint8Array(10))
  const reopened = new FileBlobStore(dir, { maxBytes: 100_000 })
  assert.ok(readdirSync(sub).every(n => !n.endsWith('.tmp')))
  assert.ok(readdirSync(join(dir, 'manifests')).every(n => !n.endsWith('.tmp')))
  // the first blob is pinned: the second does not fit, and nothing is evicted or written
  const pinned = new FileBlobStore(dir, { maxBytes: 100_000, retention: () => id => id === m.id ? PINNED : 0 })
  assert.throws(() => createBlobService(noMesh, { store: pinned }).put(bytesOf(60_000, 4)), { name: 'BlobStoreFullError' })
  assert.equal(pinned.bytes, reopened.bytes)
  assert.equal(reopened.getChunk('../../../etc/hostname'), undefined)
  assert.equal(reopened.getManifest('../x'), undefined)
  const evil = { id: 'a'.repeat(64), size: 1, chunks: [{ hash: '../../evil', length: 1 }] }
  assert.throws(() => { reopened.putBlob(evil, new Map([['../../evil', new Uint8Array(1)]])) }, RangeError)
})
