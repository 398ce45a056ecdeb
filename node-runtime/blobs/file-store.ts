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
 * synchronous file calls: chunks are at most 64 KiB, and an index of chunk sizes is kept in memory
 * (read from the directory at open) so `hasChunk` and the byte count cost no I/O. Writes go to a
 * temporary file renamed into place, so a crash leaves no half-written chunk under its real name;
 * leftovers are removed at open. Nothing read from disk is trusted blindly: a chunk whose bytes no
 * longer hash to its name (or a manifest that does not decode to its name) is deleted and reported
 * as absent — the fetcher then gets it from another peer. Bounded by `maxBytes` of chunk data
 * (`BlobStoreFullError`, as the memory store).
 */
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { xxh64Hex } from '../../core-wasm/index.ts'
import { decodeResponse, encodeResponse } from '../../core/blobs/codec.ts'
import { BlobStoreFullError } from '../../core/blobs/errors.ts'
import type { BlobManifest } from '../../core/blobs/manifest.ts'
import { chunksListed, type BlobStore } from '../../core/blobs/store.ts'

const CHUNK_RE = /^[0-9a-f]{16}$/
const ID_RE = /^[0-9a-f]{64}$/

export interface FileBlobStoreInit {
  /** cap on chunk bytes held @default 1 GiB */
  maxBytes?: number
  /** where dropped corrupt files are reported @default nowhere */
  log?: (message: string) => void
}

export class FileBlobStore implements BlobStore {
  private readonly chunkDir: string
  private readonly manifestDir: string
  /** chunk hash → length, for every chunk file on disk */
  private readonly sizes = new Map<string, number>()
  private readonly manifests = new Map<string, BlobManifest>()
  private held = 0
  private readonly maxBytes: number
  private readonly log: (message: string) => void

  /** Opens (creating) `<dir>/chunks` and `<dir>/manifests` and indexes the chunks already there. */
  constructor (readonly dir: string, init: FileBlobStoreInit = {}) {
    this.maxBytes = init.maxBytes ?? 1024 * 1024 * 1024
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
        const size = statSync(file).size
        this.sizes.set(name, size)
        this.held += size
      }
    }
    for (const name of readdirSync(this.manifestDir)) if (!ID_RE.test(name)) rmSync(join(this.manifestDir, name), { force: true, recursive: true })
  }

  get bytes (): number { return this.held }
  /** chunks held */
  get chunks (): number { return this.sizes.size }

  hasChunk (hash: string): boolean { return this.sizes.has(hash) }

  getChunk (hash: string): Uint8Array | undefined {
    if (!CHUNK_RE.test(hash) || !this.sizes.has(hash)) return undefined
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

  putChunk (hash: string, bytes: Uint8Array): void {
    if (!CHUNK_RE.test(hash)) throw new RangeError(`a chunk hash is 16 lowercase hex characters, got ${JSON.stringify(hash.slice(0, 40))}`)
    if (this.sizes.has(hash)) return
    if (this.held + bytes.length > this.maxBytes) throw new BlobStoreFullError(`the blob store holds ${this.held} of ${this.maxBytes} bytes; a ${bytes.length}-byte chunk does not fit`)
    const file = this.chunkFile(hash)
    mkdirSync(join(this.chunkDir, hash.slice(0, 2)), { recursive: true })
    this.writeAtomically(file, bytes)
    this.sizes.set(hash, bytes.length)
    this.held += bytes.length
  }

  getManifest (id: string): BlobManifest | undefined {
    if (!ID_RE.test(id)) return undefined
    const cached = this.manifests.get(id)
    if (cached != null) return cached
    const file = join(this.manifestDir, id)
    let bytes: Uint8Array
    try {
      bytes = new Uint8Array(readFileSync(file))
    } catch {
      return undefined // not stored
    }
    try {
      const res = decodeResponse(bytes)
      if (res.type !== 'manifest' || res.manifest.id !== id) throw new Error('it decodes to another blob')
      this.manifests.set(id, res.manifest)
      return res.manifest
    } catch (err) {
      this.log(`blob store: dropping manifest ${id}: ${err instanceof Error ? err.message : String(err)}`)
      rmSync(file, { force: true })
      return undefined
    }
  }

  putManifest (manifest: BlobManifest): void {
    if (!ID_RE.test(manifest.id)) throw new RangeError('a manifest id is 64 lowercase hex characters')
    if (this.manifests.has(manifest.id)) return
    this.writeAtomically(join(this.manifestDir, manifest.id), encodeResponse({ type: 'manifest', manifest }))
    this.manifests.set(manifest.id, manifest)
  }

  removeBlob (id: string): number {
    const m = this.getManifest(id)
    if (m == null) return 0
    rmSync(join(this.manifestDir, id), { force: true })
    this.manifests.delete(id)
    // every other manifest on disk (read once, then cached) may share chunks with it
    const others = readdirSync(this.manifestDir).filter(n => ID_RE.test(n)).map(n => this.getManifest(n)).filter((x): x is BlobManifest => x != null)
    const kept = chunksListed(others)
    let freed = 0
    for (const { hash } of m.chunks) {
      if (kept.has(hash) || !this.sizes.has(hash)) continue
      freed += this.sizes.get(hash) ?? 0
      rmSync(this.chunkFile(hash), { force: true })
      this.held -= this.sizes.get(hash) ?? 0
      this.sizes.delete(hash)
    }
    return freed
  }

  private chunkFile (hash: string): string { return join(this.chunkDir, hash.slice(0, 2), hash) }

  private writeAtomically (file: string, bytes: Uint8Array): void {
    const tmp = `${file}.${process.pid}.tmp`
    writeFileSync(tmp, bytes)
    renameSync(tmp, file)
  }

  private drop (hash: string, why: string): void {
    this.log(`blob store: dropping chunk ${hash}: ${why}`)
    rmSync(this.chunkFile(hash), { force: true })
    this.held -= this.sizes.get(hash) ?? 0
    this.sizes.delete(hash)
  }
}
