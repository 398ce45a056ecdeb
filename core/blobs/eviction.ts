/**
 * What a capped blob store evicts, as a pure index (no I/O): chunk sizes, which blobs (manifests)
 * refer to which chunks, and each blob's last use. Every store (memory, disk, IndexedDB) keeps one
 * and asks it for a plan before storing a blob that does not fit.
 *
 * The rule, in order:
 * 1. chunks no manifest refers to (what a crash left between a blob's chunks and its manifest);
 * 2. then whole blobs, lowest retention class first and, within a class, least recently used
 *    first (a use is storing it or reading its manifest: serving it, assembling it). Evicting a
 *    blob removes its manifest and those of its chunks no other blob still refers to.
 * Never evicted: a blob whose class is `PINNED` (the jobs layer pins what a live job needs:
 * core/jobs/retention.ts), and any chunk of the blob being stored. A plan that cannot free enough
 * evicts nothing.
 */

/** The retention class of a blob that is never evicted. */
export const PINNED = Number.POSITIVE_INFINITY

/**
 * Classifies blobs for eviction: lower classes go first, `PINNED` never. Called once per eviction
 * plan, so the classifier it returns may close over a snapshot.
 * @default every blob in class 0 (plain LRU)
 */
export type BlobRetention = () => (id: string) => number

export interface EvictionPlan {
  /** manifests (blob ids) to remove */
  blobs: string[]
  /** chunks to remove: no blob that stays refers to them */
  chunks: string[]
  /** chunk bytes freed */
  bytes: number
}

interface Entry { chunks: string[], lastUse: number }

export class EvictionIndex {
  private readonly sizes = new Map<string, number>()
  private readonly refs = new Map<string, number>()
  private readonly blobs = new Map<string, Entry>()
  private clock = 0
  private held = 0

  /** chunk bytes indexed */
  get bytes (): number { return this.held }
  get chunkCount (): number { return this.sizes.size }
  hasChunk (hash: string): boolean { return this.sizes.has(hash) }
  hasBlob (id: string): boolean { return this.blobs.has(id) }
  chunkSize (hash: string): number | undefined { return this.sizes.get(hash) }

  addChunk (hash: string, size: number): void {
    if (this.sizes.has(hash)) return
    this.sizes.set(hash, size)
    this.held += size
  }

  removeChunk (hash: string): void {
    const size = this.sizes.get(hash)
    if (size == null) return
    this.sizes.delete(hash)
    this.held -= size
  }

  /** Indexes a blob's manifest (its distinct chunk hashes) as just used. */
  addBlob (id: string, chunkHashes: Iterable<string>): void {
    if (this.blobs.has(id)) { this.touch(id); return }
    const chunks = [...new Set(chunkHashes)]
    for (const h of chunks) this.refs.set(h, (this.refs.get(h) ?? 0) + 1)
    this.blobs.set(id, { chunks, lastUse: ++this.clock })
  }

  /** Removes a blob; returns its chunks that no remaining blob refers to (still indexed: the caller removes them). */
  removeBlob (id: string): string[] {
    const e = this.blobs.get(id)
    if (e == null) return []
    this.blobs.delete(id)
    const free: string[] = []
    for (const h of e.chunks) {
      const n = (this.refs.get(h) ?? 1) - 1
      if (n > 0) this.refs.set(h, n)
      else { this.refs.delete(h); free.push(h) }
    }
    return free
  }

  /**
   * The blobs whose manifests list chunk `hash`: a scan of every blob (only an xxHash64 collision
   * asks, and those are rare), so no reverse map is kept for it.
   */
  blobsWith (hash: string): string[] {
    const ids: string[] = []
    for (const [id, e] of this.blobs) if (e.chunks.includes(hash)) ids.push(id)
    return ids
  }

  /** Marks a blob as just used (it moves to the back of the eviction order). */
  touch (id: string): void {
    const e = this.blobs.get(id)
    if (e != null) e.lastUse = ++this.clock
  }

  /**
   * What to evict so that `need` more bytes fit under `max`, keeping every chunk in `keep` (the
   * blob being stored); undefined when even evicting every unpinned blob would not be enough.
   */
  plan (need: number, max: number, keep: ReadonlySet<string>, retention?: BlobRetention): EvictionPlan | undefined {
    const excess = this.held + need - max
    const plan: EvictionPlan = { blobs: [], chunks: [], bytes: 0 }
    if (excess <= 0) return plan
    const freeChunk = (h: string): void => {
      if (keep.has(h) || !this.sizes.has(h)) return
      plan.chunks.push(h)
      plan.bytes += this.sizes.get(h) ?? 0
    }
    for (const h of this.sizes.keys()) if (!this.refs.has(h)) freeChunk(h)
    if (plan.bytes >= excess) return plan
    const classOf = retention?.() ?? (() => 0)
    const order = [...this.blobs.entries()]
      .map(([id, e]) => ({ id, e, cls: classOf(id) }))
      .filter(c => c.cls !== PINNED)
      .sort((a, b) => a.cls - b.cls || a.e.lastUse - b.e.lastUse)
    const refs = new Map<string, number>()
    for (const { id, e } of order) {
      plan.blobs.push(id)
      for (const h of e.chunks) {
        const n = (refs.get(h) ?? this.refs.get(h) ?? 1) - 1
        refs.set(h, n)
        if (n === 0) freeChunk(h)
      }
      if (plan.bytes >= excess) return plan
    }
    return undefined
  }
}
