/**
 * The tab's blob store: IndexedDB database `novacron-blobs:<peer id>` (a tab keeps its peer id
 * across reloads, app/tab-identity.ts, so a reloaded tab finds its blobs and goes on serving the
 * results it computed; two tabs are two peers and never share one). The same content-addressed
 * layout as the Node store on disk: object store `chunks` keyed by the chunk's xxHash64 (16 hex)
 * holding its raw bytes, `manifests` keyed by the blob's SHA-256 holding the manifest in the wire
 * codec's encoding, and `uses` (blob id → last use, ms) so the LRU order survives a reload.
 *
 * The blob service's store interface is synchronous, IndexedDB is not: so this store keeps what it
 * holds in memory too (capped: 128 MiB by default, evicted like every store, core/blobs/store.ts)
 * and writes through to IndexedDB in batches (one transaction per batch, in order). `open()` loads
 * the database once, re-checking every chunk against its xxHash64 and every manifest against its
 * id; what fails is deleted and counted (`stats.dropped`), so it is fetched again rather than
 * served wrong. A write that has not reached IndexedDB when the tab closes is lost (`flush()`
 * resolves once everything queued is committed); a failed write is counted (`stats.writeErrors`)
 * and logged, and the tab goes on serving from memory.
 */
import { initCoreWasm, xxh64Hex } from '../../core-wasm/index.ts'
import { decodeResponse, encodeResponse } from '../../core/blobs/codec.ts'
import type { BlobManifest } from '../../core/blobs/manifest.ts'
import { IndexedBlobStore, type BlobStoreInit } from '../../core/blobs/store.ts'

export const BLOBS_IDB_PREFIX = 'novacron-blobs:'
const CHUNKS = 'chunks'
const MANIFESTS = 'manifests'
const USES = 'uses'
const CHUNK_RE = /^[0-9a-f]{16}$/
const ID_RE = /^[0-9a-f]{64}$/

export interface IdbBlobStoreInit extends BlobStoreInit {
  /** cap on chunk bytes held (in memory and in IndexedDB) @default 128 MiB */
  maxBytes?: number
  /** where dropped records and failed writes are reported @default console.warn */
  log?: (message: string) => void
}

type Op = { store: string, key: string, value?: unknown }

function request<T> (req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => { resolve(req.result) }
    req.onerror = () => { reject(new Error(`IndexedDB: ${req.error?.message ?? 'request failed'}`)) }
  })
}

function done (tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => { resolve() }
    tx.onabort = () => { reject(new Error(`IndexedDB: ${tx.error?.message ?? 'transaction aborted'}`)) }
    tx.onerror = () => { reject(new Error(`IndexedDB: ${tx.error?.message ?? 'transaction failed'}`)) }
  })
}

export class IdbBlobStore extends IndexedBlobStore {
  private readonly data = new Map<string, Uint8Array>()
  private readonly log: (message: string) => void
  private db: IDBDatabase | undefined
  private pending: Op[] = []
  private queue: Promise<void> = Promise.resolve()
  private scheduled = false
  private clock = 0
  readonly stats = { loadedBlobs: 0, loadedChunks: 0, dropped: 0, writeErrors: 0 }

  constructor (init: IdbBlobStoreInit = {}) {
    super(init, 128 * 1024 * 1024)
    this.log = init.log ?? (m => { console.warn(m) })
  }

  /** Opens database `name` and loads what it holds (blobs stored before this adds to them). */
  async open (name: string): Promise<void> {
    await initCoreWasm()
    const req = indexedDB.open(name, 1)
    req.onupgradeneeded = () => {
      for (const s of [CHUNKS, MANIFESTS, USES]) req.result.createObjectStore(s)
    }
    const db = await request(req)
    db.onversionchange = () => { db.close() }
    const tx = db.transaction([CHUNKS, MANIFESTS, USES], 'readonly')
    const [chunkKeys, chunkValues, idKeys, manifestValues, useKeys, useValues] = await Promise.all([
      request(tx.objectStore(CHUNKS).getAllKeys()), request(tx.objectStore(CHUNKS).getAll()),
      request(tx.objectStore(MANIFESTS).getAllKeys()), request(tx.objectStore(MANIFESTS).getAll()),
      request(tx.objectStore(USES).getAllKeys()), request(tx.objectStore(USES).getAll())
    ])
    this.db = db
    for (const [i, key] of chunkKeys.entries()) {
      const bytes = chunkValues[i]
      if (typeof key !== 'string' || !CHUNK_RE.test(key) || !(bytes instanceof Uint8Array) || xxh64Hex(bytes) !== key) {
        this.discard(CHUNKS, String(key), 'its bytes do not match its hash')
        continue
      }
      if (this.index.hasChunk(key)) continue
      this.data.set(key, bytes)
      this.index.addChunk(key, bytes.length)
      this.stats.loadedChunks++
    }
    const uses = new Map<string, number>()
    for (const [i, key] of useKeys.entries()) if (typeof key === 'string' && typeof useValues[i] === 'number') uses.set(key, useValues[i] as number)
    const found: Array<{ manifest: BlobManifest, lastUse: number }> = []
    for (const [i, key] of idKeys.entries()) {
      const id = String(key)
      const manifest = this.decodeManifest(id, manifestValues[i])
      if (manifest == null) { this.discard(MANIFESTS, id, 'it does not decode to its id'); continue }
      found.push({ manifest, lastUse: uses.get(id) ?? 0 })
    }
    found.sort((a, b) => a.lastUse - b.lastUse)
    for (const { manifest, lastUse } of found) {
      this.clock = Math.max(this.clock, lastUse)
      if (this.manifests.has(manifest.id)) continue
      this.manifests.set(manifest.id, manifest)
      this.index.addBlob(manifest.id, manifest.chunks.map(c => c.hash))
      this.stats.loadedBlobs++
    }
    this.schedule()
  }

  /** Resolves once every write queued so far is committed to IndexedDB (or failed and was counted). */
  async flush (): Promise<void> {
    while (this.db != null && (this.scheduled || this.pending.length > 0)) await this.queue
  }

  private decodeManifest (id: string, value: unknown): BlobManifest | undefined {
    if (!ID_RE.test(id) || !(value instanceof Uint8Array)) return undefined
    try {
      const res = decodeResponse(value)
      return res.type === 'manifest' && res.manifest.id === id ? res.manifest : undefined
    } catch {
      return undefined
    }
  }

  private discard (store: string, key: string, why: string): void {
    this.stats.dropped++
    this.log(`blob store: dropping ${store === CHUNKS ? 'chunk' : 'manifest'} ${key.slice(0, 64)}: ${why}`)
    this.enqueue({ store, key })
  }

  protected readChunk (hash: string): Uint8Array | undefined { return this.data.get(hash) }

  protected writeChunk (hash: string, bytes: Uint8Array): void {
    if (!CHUNK_RE.test(hash)) throw new RangeError(`a chunk hash is 16 lowercase hex characters, got ${JSON.stringify(hash.slice(0, 40))}`)
    this.data.set(hash, bytes)
    this.enqueue({ store: CHUNKS, key: hash, value: bytes })
  }

  protected deleteChunk (hash: string): void {
    this.data.delete(hash)
    this.enqueue({ store: CHUNKS, key: hash })
  }

  protected writeManifest (manifest: BlobManifest): void {
    if (!ID_RE.test(manifest.id)) throw new RangeError('a manifest id is 64 lowercase hex characters')
    this.enqueue({ store: MANIFESTS, key: manifest.id, value: encodeResponse({ type: 'manifest', manifest }) })
  }

  protected deleteManifest (id: string): void {
    this.enqueue({ store: MANIFESTS, key: id })
    this.enqueue({ store: USES, key: id })
  }

  protected override touched (id: string): void {
    this.clock = Math.max(this.clock + 1, Date.now())
    this.enqueue({ store: USES, key: id, value: this.clock })
  }

  private enqueue (op: Op): void {
    this.pending.push(op)
    this.schedule()
  }

  /** One transaction per batch, after the ones before it; nothing is written before `open`. */
  private schedule (): void {
    if (this.scheduled || this.db == null || this.pending.length === 0) return
    this.scheduled = true
    this.queue = this.queue.then(async () => {
      await Promise.resolve() // gather what the current task queues into one batch
      const batch = this.pending
      this.pending = []
      this.scheduled = false
      const db = this.db
      if (db == null || batch.length === 0) return
      try {
        const tx = db.transaction([CHUNKS, MANIFESTS, USES], 'readwrite')
        for (const op of batch) {
          const s = tx.objectStore(op.store)
          if (op.value === undefined) s.delete(op.key)
          else s.put(op.value, op.key)
        }
        await done(tx)
      } catch (err) {
        this.stats.writeErrors++
        this.log(`blob store: a write of ${batch.length} record(s) to IndexedDB failed: ${err instanceof Error ? err.message : String(err)}`)
      }
      this.schedule()
    })
  }
}
