/**
 * Where a peer keeps blob chunks and manifests. `MemoryBlobStore` is the in-process store (tests,
 * tabs for now), bounded by `maxBytes` of chunk data; a persistent one (LevelDB in Node, IndexedDB
 * in a tab) implements the same interface.
 */
import { BlobStoreFullError } from './errors.ts'
import type { BlobManifest } from './manifest.ts'

export interface BlobStore {
  hasChunk: (hash: string) => boolean
  getChunk: (hash: string) => Uint8Array | undefined
  /** stores a chunk (a no-op when present); `BlobStoreFullError` when over capacity */
  putChunk: (hash: string, bytes: Uint8Array) => void
  getManifest: (id: string) => BlobManifest | undefined
  putManifest: (manifest: BlobManifest) => void
  /**
   * forgets blob `id`: its manifest, and its chunks that no other manifest here lists (blobs share
   * chunks: successive checkpoints of a task, builds of a module); the chunk bytes freed
   */
  removeBlob: (id: string) => number
  /** bytes of chunk data held */
  readonly bytes: number
}

export interface MemoryBlobStoreInit {
  /** cap on chunk bytes held @default 512 MiB */
  maxBytes?: number
}

export class MemoryBlobStore implements BlobStore {
  private readonly chunks = new Map<string, Uint8Array>()
  private readonly manifests = new Map<string, BlobManifest>()
  private held = 0
  private readonly maxBytes: number

  constructor (init: MemoryBlobStoreInit = {}) {
    this.maxBytes = init.maxBytes ?? 512 * 1024 * 1024
  }

  get bytes (): number { return this.held }
  hasChunk (hash: string): boolean { return this.chunks.has(hash) }
  getChunk (hash: string): Uint8Array | undefined { return this.chunks.get(hash) }
  putChunk (hash: string, bytes: Uint8Array): void {
    if (this.chunks.has(hash)) return
    if (this.held + bytes.length > this.maxBytes) throw new BlobStoreFullError(`the blob store holds ${this.held} of ${this.maxBytes} bytes; a ${bytes.length}-byte chunk does not fit`)
    this.chunks.set(hash, bytes)
    this.held += bytes.length
  }

  getManifest (id: string): BlobManifest | undefined { return this.manifests.get(id) }
  putManifest (manifest: BlobManifest): void { this.manifests.set(manifest.id, manifest) }

  removeBlob (id: string): number {
    const m = this.manifests.get(id)
    if (m == null) return 0
    this.manifests.delete(id)
    const kept = chunksListed(this.manifests.values())
    let freed = 0
    for (const { hash } of m.chunks) {
      const c = this.chunks.get(hash)
      if (c == null || kept.has(hash)) continue
      this.chunks.delete(hash)
      this.held -= c.length
      freed += c.length
    }
    return freed
  }
}

/** Every chunk hash the manifests list. */
export function chunksListed (manifests: Iterable<BlobManifest>): Set<string> {
  const s = new Set<string>()
  for (const m of manifests) for (const c of m.chunks) s.add(c.hash)
  return s
}
