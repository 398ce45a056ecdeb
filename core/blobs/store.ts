/**
 * Where a peer keeps blob chunks and manifests. `BlobStore` is the interface the blob service
 * uses; `IndexedBlobStore` holds what every capped store shares (the eviction index, the cap,
 * `putBlob`'s plan-then-write) over five storage hooks, and `MemoryBlobStore` is the in-process
 * one (tests, a peer without a data dir). The Node peer's store on disk
 * (node-runtime/blobs/file-store.ts) and the tab's in IndexedDB (app/jobs/idb-blob-store.ts) are the
 * same class over other hooks.
 *
 * Reads are synchronous and never interleave with an eviction, so a chunk being served or a blob
 * being assembled is never removed under the reader; a fetch that relies on local chunks across
 * awaits copies them first (service.ts), and `putBlob` never evicts a chunk of the blob it stores.
 */
import { BlobOverStoreCapError, BlobStoreFullError } from './errors.ts'
import { EvictionIndex, type BlobRetention } from './eviction.ts'
import type { BlobManifest } from './manifest.ts'

export interface BlobStore {
  hasChunk: (hash: string) => boolean
  getChunk: (hash: string) => Uint8Array | undefined
  /** the manifest of a stored blob; counts as a use (LRU) */
  getManifest: (id: string) => BlobManifest | undefined
  /**
   * Stores a blob: its manifest and those of `chunks` (hash → bytes, every chunk it lacks) that the
   * store does not hold yet, evicting least recently used blobs that are not pinned when it is
   * full. `BlobOverStoreCapError` when the blob alone is larger than the cap, `BlobStoreFullError`
   * when pinned blobs leave no room (nothing is evicted or written then). A chunk given here whose
   * name is held with other bytes (an xxHash64 collision: names are not collision-resistant) replaces
   * the held one, and the blobs that listed the old bytes are forgotten (they could no longer be
   * read; a fetch gets them again): what the store says it holds, it can always assemble.
   */
  putBlob: (manifest: BlobManifest, chunks: ReadonlyMap<string, Uint8Array>) => void
  /**
   * forgets blob `id`: its manifest, and its chunks that no other manifest here lists (blobs share
   * chunks: successive checkpoints of a task, builds of a module); the chunk bytes freed
   */
  removeBlob: (id: string) => number
  /** bytes of chunk data held */
  readonly bytes: number
  /** the cap on chunk bytes */
  readonly maxBytes: number
  /** what eviction removed so far */
  readonly evicted: EvictionStats
  /** chunks replaced because another blob's chunk had the same name, and the blobs forgotten with them */
  readonly collisions: CollisionStats
}

export interface CollisionStats { chunks: number, blobs: number }

export interface EvictionStats { blobs: number, chunks: number, bytes: number }

export interface BlobStoreInit {
  /** cap on chunk bytes held */
  maxBytes?: number
  /** which blobs are pinned, and which go first @default plain LRU, nothing pinned */
  retention?: BlobRetention
}

/** A capped store over storage hooks; subclasses index what they already hold at open (`index`). */
export abstract class IndexedBlobStore implements BlobStore {
  protected readonly index = new EvictionIndex()
  protected readonly manifests = new Map<string, BlobManifest>()
  readonly maxBytes: number
  readonly evicted: EvictionStats = { blobs: 0, chunks: 0, bytes: 0 }
  readonly collisions: CollisionStats = { chunks: 0, blobs: 0 }
  private readonly retention: BlobRetention | undefined

  constructor (init: BlobStoreInit, defaultMaxBytes: number) {
    this.maxBytes = init.maxBytes ?? defaultMaxBytes
    this.retention = init.retention
  }

  protected abstract readChunk (hash: string): Uint8Array | undefined
  protected abstract writeChunk (hash: string, bytes: Uint8Array): void
  protected abstract deleteChunk (hash: string): void
  protected abstract writeManifest (manifest: BlobManifest): void
  protected abstract deleteManifest (id: string): void
  /** a blob was used (persistent stores may record it so the LRU order survives a restart) */
  protected touched (_id: string): void {}

  get bytes (): number { return this.index.bytes }
  /** chunks held */
  get chunks (): number { return this.index.chunkCount }

  hasChunk (hash: string): boolean { return this.index.hasChunk(hash) }

  getChunk (hash: string): Uint8Array | undefined {
    return this.index.hasChunk(hash) ? this.readChunk(hash) : undefined
  }

  getManifest (id: string): BlobManifest | undefined {
    const m = this.manifests.get(id)
    if (m != null) { this.index.touch(id); this.touched(id) }
    return m
  }

  putBlob (manifest: BlobManifest, chunks: ReadonlyMap<string, Uint8Array>): void {
    const sizes = new Map(manifest.chunks.map(c => [c.hash, c.length]))
    let total = 0
    let need = 0
    const clashes: string[] = []
    for (const [hash, length] of sizes) {
      total += length
      const given = chunks.get(hash)
      const clash = given != null && this.index.hasChunk(hash) && this.clashes(hash, given)
      if (clash) clashes.push(hash)
      if (clash || !this.index.hasChunk(hash)) need += length
    }
    if (total > this.maxBytes) throw new BlobOverStoreCapError(`blob ${manifest.id} needs ${total} bytes of chunks; the store's cap is ${this.maxBytes}`)
    for (const hash of sizes.keys()) {
      if (!this.index.hasChunk(hash) && chunks.get(hash) == null) throw new RangeError(`putBlob: chunk ${hash} of blob ${manifest.id} is neither held nor given`)
    }
    const plan = this.index.plan(need, this.maxBytes, new Set(sizes.keys()), this.retention)
    if (plan == null) throw new BlobStoreFullError(`the blob store holds ${this.index.bytes} of ${this.maxBytes} bytes and what it could evict is pinned; blob ${manifest.id} needs ${need} more`)
    for (const id of plan.blobs) this.dropBlob(id)
    for (const hash of plan.chunks) this.dropChunk(hash)
    this.evicted.blobs += plan.blobs.length
    this.evicted.chunks += plan.chunks.length
    this.evicted.bytes += plan.bytes
    for (const hash of clashes) this.replaceClash(hash, manifest.id, sizes)
    for (const hash of sizes.keys()) {
      if (this.index.hasChunk(hash)) continue
      const bytes = chunks.get(hash) as Uint8Array
      this.writeChunk(hash, bytes)
      this.index.addChunk(hash, bytes.length)
    }
    if (!this.manifests.has(manifest.id)) {
      this.writeManifest(manifest)
      this.manifests.set(manifest.id, manifest)
    }
    this.index.addBlob(manifest.id, sizes.keys())
    this.touched(manifest.id)
  }

  removeBlob (id: string): number {
    if (!this.manifests.has(id)) return 0
    const free = this.index.removeBlob(id)
    this.manifests.delete(id)
    this.deleteManifest(id)
    let freed = 0
    for (const hash of free) {
      freed += this.index.chunkSize(hash) ?? 0
      this.dropChunk(hash)
    }
    return freed
  }

  /**
   * Whether the held chunk `hash` has other bytes than `given`. Reads the held chunk (a map lookup in
   * memory, a file read on disk): the cost of a name that is not collision-resistant. A held chunk
   * the read finds damaged is dropped by the store, so it is then simply not held.
   */
  private clashes (hash: string, given: Uint8Array): boolean {
    const held = this.readChunk(hash)
    if (held == null || held === given) return false
    return !sameBytes(held, given)
  }

  /**
   * Makes room for the new bytes of chunk `hash`: the blobs (other than `keep`, the one being
   * stored) that list its old bytes are forgotten with the chunks only they listed, then the chunk.
   */
  private replaceClash (hash: string, keep: string, stored: ReadonlyMap<string, number>): void {
    for (const id of this.index.blobsWith(hash)) {
      if (id === keep) continue
      const free = this.index.removeBlob(id)
      this.manifests.delete(id)
      this.deleteManifest(id)
      for (const h of free) if (!stored.has(h)) this.dropChunk(h)
      this.collisions.blobs++
    }
    this.dropChunk(hash)
    this.collisions.chunks++
  }

  /** Removes a blob's manifest (its chunks stay until a plan frees them). */
  protected dropBlob (id: string): void {
    this.index.removeBlob(id)
    this.manifests.delete(id)
    this.deleteManifest(id)
  }

  /** Removes a chunk (evicted, or found damaged). */
  protected dropChunk (hash: string): void {
    this.index.removeChunk(hash)
    this.deleteChunk(hash)
  }
}

/** Byte equality, four bytes a step where both views are aligned (chunks are, as stored and cut). */
function sameBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let i = 0
  if (a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0) {
    const n = a.length >>> 2
    const a4 = new Uint32Array(a.buffer, a.byteOffset, n)
    const b4 = new Uint32Array(b.buffer, b.byteOffset, n)
    for (; i < n; i++) if (a4[i] !== b4[i]) return false
    i = n << 2
  }
  for (; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

export interface MemoryBlobStoreInit extends BlobStoreInit {
  /** cap on chunk bytes held @default 512 MiB */
  maxBytes?: number
}

export class MemoryBlobStore extends IndexedBlobStore {
  private readonly data = new Map<string, Uint8Array>()

  constructor (init: MemoryBlobStoreInit = {}) {
    super(init, 512 * 1024 * 1024)
  }

  protected readChunk (hash: string): Uint8Array | undefined { return this.data.get(hash) }
  protected writeChunk (hash: string, bytes: Uint8Array): void { this.data.set(hash, bytes) }
  protected deleteChunk (hash: string): void { this.data.delete(hash) }
  protected writeManifest (): void {}
  protected deleteManifest (): void {}
}
