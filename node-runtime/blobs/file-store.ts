/**
 * A Node peer's blob store on disk (core/blobs's `BlobStore` interface), under
 * `<data-dir>/blobs/`: so job modules, inputs and the results this peer computed or fetched survive
 * a restart, and the peer goes on serving them (`/novacron/blobs/1.0.0`).
 *
 * - `chunks/<2 hex>/<16 hex>`: one file per chunk, named by its xxHash64, the raw bytes;
 * - `manifests/<64 hex>`: one file per blob, its manifest in the wire codec's own encoding
 *   (`encodeResponse({ type: 'manifest' })`, so reading one back goes through the fuzzed decoder).
 *
 * The interface is synchronous (the service's request handler and `put` are), so this store uses
 * synchronous file calls: chunks are at most 64 KiB, and the index (chunk sizes, every manifest,
 * the LRU order: core/blobs/eviction.ts) is read from the directory at open, so `hasChunk`, the byte
 * count and eviction plans cost no I/O. The LRU order survives a restart through the manifest
 * files' modification times (a use touches the file). Writes go to a
 * temporary file renamed into place, so a crash leaves no half-written chunk under its real name;
 * leftovers are removed at open. Nothing read from disk is trusted blindly: a chunk whose bytes no
 * longer hash to its name (or a manifest that does not decode to its name) is deleted and reported
 * as absent — the fetcher then gets it from another peer. Bounded by `maxBytes` of chunk data
 * and evicted like every store (core/blobs/store.ts): least recently used unpinned blobs first.
 */
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { xxh64Hex } from '../../core-wasm/index.ts'
import { decodeResponse, encodeResponse } from '../../core/blobs/codec.ts'
import type { BlobManifest } from '../../core/blobs/manifest.ts'
import { IndexedBlobStore, type BlobStoreInit } from '../../core/blobs/store.ts'

const CHUNK_RE = /^[0-9a-f]{16}$/
const ID_RE = /^[0-9a-f]{64}$/

export interface FileBlobStoreInit extends BlobStoreInit {
  /** cap on chunk bytes held @default 1 GiB */
  maxBytes?: number
  /** where dropped corrupt files are reported @default nowhere */
  log?: (message: string) => void
}

export class FileBlobStore extends IndexedBlobStore {
  private readonly chunkDir: string
  private readonly manifestDir: string
  private readonly log: (message: string) => void

  /** Opens (creating) `<dir>/chunks` and `<dir>/manifests` and indexes what is already there. */
  constructor (readonly dir: string, init: FileBlobStoreInit = {}) {
    super(init, 1024 * 1024 * 1024)
    this.log = init.log ?? (() => {})
    this.chunkDir = join(dir, 'chunks')
    this.manifestDir = join(dir, 'manifests')
    mkdirSync(this.chunkDir, { recursive: true })
    mkdirSync(this.manifestDir, { recursive: true })
    for (const sub of readdirSync(this.chunkDir)) {
      const subDir = join(this.chunkDir, sub)
      if (!/^[0-9a-f]{2}$/.test(sub) || !statSync(subDir).isDirectory()) continue
      for (const name of readdirSync(subDir)) {
        const file = join(subDir, name)
        if (!CHUNK_RE.test(name) || !name.startsWith(sub)) { rmSync(file, { force: true, recursive: true }); continue } // a temporary file a crash left
        this.index.addChunk(name, statSync(file).size)
      }
    }
    // every manifest, oldest use first, so the index's LRU order is the files' modification order
    const found: Array<{ manifest: BlobManifest, mtime: number }> = []
    for (const name of readdirSync(this.manifestDir)) {
      const file = join(this.manifestDir, name)
      if (!ID_RE.test(name)) { rmSync(file, { force: true, recursive: true }); continue }
      const manifest = this.readManifest(name)
      if (manifest != null) found.push({ manifest, mtime: statSync(file).mtimeMs })
    }
    found.sort((a, b) => a.mtime - b.mtime)
    for (const { manifest } of found) {
      this.manifests.set(manifest.id, manifest)
      this.index.addBlob(manifest.id, manifest.chunks.map(c => c.hash))
    }
  }

  /** The manifest file `id` decoded and checked against its name; a bad one is deleted. */
  private readManifest (id: string): BlobManifest | undefined {
    const file = join(this.manifestDir, id)
    try {
      const res = decodeResponse(new Uint8Array(readFileSync(file)))
      if (res.type !== 'manifest' || res.manifest.id !== id) throw new Error('it decodes to another blob')
      return res.manifest
    } catch (err) {
      this.log(`blob store: dropping manifest ${id}: ${err instanceof Error ? err.message : String(err)}`)
      rmSync(file, { force: true })
      return undefined
    }
  }

  override getChunk (hash: string): Uint8Array | undefined {
    if (!CHUNK_RE.test(hash)) return undefined
    return super.getChunk(hash)
  }

  override getManifest (id: string): BlobManifest | undefined {
    if (!ID_RE.test(id)) return undefined
    return super.getManifest(id)
  }

  protected readChunk (hash: string): Uint8Array | undefined {
    let bytes: Uint8Array
    try {
      bytes = new Uint8Array(readFileSync(this.chunkFile(hash)))
    } catch (err) {
      this.drop(hash, `unreadable: ${err instanceof Error ? err.message : String(err)}`)
      return undefined
    }
    if (xxh64Hex(bytes) !== hash) { this.drop(hash, 'its bytes no longer match its hash'); return undefined }
    return bytes
  }

  protected writeChunk (hash: string, bytes: Uint8Array): void {
    if (!CHUNK_RE.test(hash)) throw new RangeError(`a chunk hash is 16 lowercase hex characters, got ${JSON.stringify(hash.slice(0, 40))}`)
    mkdirSync(join(this.chunkDir, hash.slice(0, 2)), { recursive: true })
    this.writeAtomically(this.chunkFile(hash), bytes)
  }

  protected deleteChunk (hash: string): void { rmSync(this.chunkFile(hash), { force: true }) }

  protected writeManifest (manifest: BlobManifest): void {
    if (!ID_RE.test(manifest.id)) throw new RangeError('a manifest id is 64 lowercase hex characters')
    this.writeAtomically(join(this.manifestDir, manifest.id), encodeResponse({ type: 'manifest', manifest }))
  }

  protected deleteManifest (id: string): void { rmSync(join(this.manifestDir, id), { force: true }) }

  protected override touched (id: string): void {
    const now = new Date()
    try { utimesSync(join(this.manifestDir, id), now, now) } catch (err) { this.log(`blob store: cannot touch manifest ${id}: ${err instanceof Error ? err.message : String(err)}`) }
  }

  private chunkFile (hash: string): string { return join(this.chunkDir, hash.slice(0, 2), hash) }

  private writeAtomically (file: string, bytes: Uint8Array): void {
    const tmp = `${file}.${process.pid}.tmp`
    writeFileSync(tmp, bytes)
    renameSync(tmp, file)
  }

  private drop (hash: string, why: string): void {
    this.log(`blob store: dropping chunk ${hash}: ${why}`)
    this.dropChunk(hash)
  }
}
