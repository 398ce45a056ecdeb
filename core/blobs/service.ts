/**
 * The blob service: one content-addressed chunk store plus `/novacron/blobs/1.0.0` over core/net's
 * request/response, for job modules, inputs and outputs (and later migration snapshots and model
 * weights). `put` chunks a blob into the store; `fetch` gets a blob from providers, asking only for
 * the chunks this peer lacks, LZ4-framed on the wire (core-wasm), each chunk checked against its
 * xxHash64 and length as it arrives (a bad one is asked for again, from the next provider), and
 * the whole blob against its SHA-256 before anything fetched is stored.
 *
 * Limits, all explicit: a blob over `maxBlobBytes` (or a call's own `maxBytes`: a checkpoint is
 * bounded by its job's memory cap instead) is refused by `put` and, from a provider's manifest,
 * before any chunk is fetched; the store's cap bounds all blobs together; a chunk request holds at most 256 chunks and about
 * `batchBytes` of chunk data; a response at most `maxResponseBytes`; decompression is capped at the
 * chunk's declared length. A peer's malformed message is a typed error at the caller and an error
 * response at the responder; it never throws into the event loop.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import { compressFrame, decompressFrame, initCoreWasm } from '../../core-wasm/index.ts'
import type { RequestHandler, RequestOptions } from '../net/index.ts'
import {
  BLOBS_PROTOCOL, decodeRequest, decodeResponse, encodeRequest, encodeResponse, MAX_CHUNKS_PER_REQUEST, type BlobResponse
} from './codec.ts'
import { BlobCorruptError, BlobNotFoundError, BlobTooLargeError } from './errors.ts'
import { assemble, assertBlobId, chunkBlob, chunkMatches, type BlobManifest, type ChunkRef } from './manifest.ts'
import { MemoryBlobStore, type BlobStore } from './store.ts'

/** What the service needs from a mesh node (core/net's MeshNode has all three). */
export interface BlobComponents {
  handle: (protocol: string, handler: RequestHandler, opts?: { maxFrameSize?: number, timeoutMs?: number }) => Promise<void>
  unhandle: (protocol: string) => Promise<void>
  request: (peer: string, protocol: string, payload: Uint8Array, opts?: RequestOptions) => Promise<Uint8Array>
}

export interface BlobServiceInit {
  /** @default a MemoryBlobStore */
  store?: BlobStore
  /** largest blob stored or fetched @default 64 MiB */
  maxBlobBytes?: number
  /** chunk bytes asked for per request @default 256 KiB */
  batchBytes?: number
  /** cap on one response frame (below the mesh's 1 MiB frame) @default 960 KiB */
  maxResponseBytes?: number
  /** extra rounds over the providers for a chunk that came back bad or not at all @default 2 */
  retries?: number
  /** per request @default the node's requestTimeoutMs */
  requestTimeoutMs?: number
}

export interface FetchStats {
  /** distinct chunks in the blob */
  chunks: number
  /** chunks this peer already held (not sent) */
  chunksLocal: number
  /** chunks received and verified */
  chunksFetched: number
  /** chunks received that failed their hash or length check */
  corruptChunks: number
  /** bytes of responses received (manifest and chunk frames) */
  bytesOnWire: number
  requests: number
}

/** A per-call cap on a blob's size, for callers that know a bound of their own (a checkpoint: its job's memory cap). */
export interface BlobSizeOptions {
  /** largest blob this call stores or fetches @default the service's `maxBlobBytes` */
  maxBytes?: number
}

export interface BlobService {
  start: () => Promise<void>
  stop: () => Promise<void>
  /** stores a blob; returns its manifest (`id` is its SHA-256) */
  put: (bytes: Uint8Array, opts?: BlobSizeOptions) => BlobManifest
  /** the blob when every chunk is held locally */
  get: (id: string) => Uint8Array | undefined
  /**
   * whether the blob's manifest and every one of its chunks are held here, from the store's index:
   * no chunk is read or hashed (a 64 MiB checkpoint answers in microseconds). Every blob stored was
   * checked against its SHA-256 first (`put` computes it, `fetch` checks it), but a chunk damaged
   * on disk since is only found when read: where "present AND intact" matters (the submitter
   * acknowledging it has its results, so providers may drop them), use `verify`
   */
  has: (id: string) => boolean
  /**
   * whether the blob is here and intact: reads every chunk (the disk store drops one whose bytes
   * no longer match its hash, so `has` then answers false too) and checks the blob's SHA-256, one
   * chunk in memory at a time
   */
  verify: (id: string) => boolean
  /** forgets a blob here (its chunks no other blob here uses): the chunk bytes freed */
  remove: (id: string) => number
  /** the blob, from the local store or from `providers` (peer ids, tried in order) */
  fetch: (id: string, providers: string[], opts?: BlobSizeOptions) => Promise<{ bytes: Uint8Array, stats: FetchStats }>
  readonly store: BlobStore
  /** requests this peer served, and the ones it refused as malformed */
  readonly served: { manifests: number, chunks: number, malformed: number }
}

export function createBlobService (components: BlobComponents, init: BlobServiceInit = {}): BlobService {
  const store = init.store ?? new MemoryBlobStore()
  const maxBlobBytes = init.maxBlobBytes ?? 64 * 1024 * 1024
  const batchBytes = init.batchBytes ?? 256 * 1024
  const maxResponseBytes = init.maxResponseBytes ?? 960 * 1024
  const retries = init.retries ?? 2
  const served = { manifests: 0, chunks: 0, malformed: 0 }
  let started = false
  // direct: a blob is often held by one peer only (a tab's result), and requests are refused on a
  // relayed link, so a provider reachable only through the relay is dialled directly first
  const reqOpts: RequestOptions = { direct: true, ...(init.requestTimeoutMs != null ? { timeoutMs: init.requestTimeoutMs } : {}) }

  const handler: RequestHandler = (bytes) => {
    let req
    try {
      req = decodeRequest(bytes)
    } catch (err) {
      served.malformed++
      throw err
    }
    if (req.type === 'manifest') {
      served.manifests++
      const m = store.getManifest(req.id)
      return encodeResponse(m == null ? { type: 'notFound', id: req.id } : { type: 'manifest', manifest: m })
    }
    const chunks: Array<{ hash: string, frame: Uint8Array }> = []
    let size = 16
    for (const hash of req.hashes) {
      const c = store.getChunk(hash)
      if (c == null) continue
      const frame = compressFrame(c)
      if (size + frame.length + 16 > maxResponseBytes) break // the requester asks again for the rest
      chunks.push({ hash, frame })
      size += frame.length + 16
      served.chunks++
    }
    return encodeResponse({ type: 'chunks', chunks })
  }

  function local (id: string): Uint8Array | undefined {
    const m = store.getManifest(id)
    if (m == null || !m.chunks.every(c => store.hasChunk(c.hash))) return undefined
    try {
      return assemble(m, h => store.getChunk(h))
    } catch (err) {
      // a chunk lost or damaged since `has` looked, or a collision a store older than `putBlob`'s
      // check let in: not held (a fetch gets it again, and storing it replaces the bad chunk)
      if (err instanceof BlobCorruptError) return undefined
      throw err
    }
  }

  function held (id: string): boolean {
    const m = store.getManifest(id)
    return m != null && m.chunks.every(c => store.hasChunk(c.hash))
  }

  function intact (id: string): boolean {
    const m = store.getManifest(id)
    if (m == null) return false
    const h = sha256.create()
    let size = 0
    for (const ref of m.chunks) {
      const c = store.getChunk(ref.hash)
      if (c == null || c.length !== ref.length) return false
      h.update(c)
      size += c.length
    }
    return size === m.size && bytesToHex(h.digest()) === m.id
  }

  async function ask (peer: string, payload: Uint8Array, stats: FetchStats): Promise<BlobResponse> {
    stats.requests++
    const res = await components.request(peer, BLOBS_PROTOCOL, payload, reqOpts)
    stats.bytesOnWire += res.length
    return decodeResponse(res)
  }

  /** the cap of one call: its own (a positive safe integer), else the service's */
  function capOf (opts: BlobSizeOptions | undefined): number {
    const cap = opts?.maxBytes
    if (cap == null) return maxBlobBytes
    if (!Number.isSafeInteger(cap) || cap <= 0) throw new RangeError(`maxBytes must be a positive whole number, got ${String(cap)}`)
    return cap
  }

  async function manifestFrom (id: string, providers: string[], stats: FetchStats, cap: number): Promise<BlobManifest> {
    const problems: string[] = []
    for (const peer of providers) {
      try {
        const res = await ask(peer, encodeRequest({ type: 'manifest', id }), stats)
        if (res.type === 'manifest' && res.manifest.id === id) {
          if (res.manifest.size > cap) throw new BlobTooLargeError(`blob ${id} is ${res.manifest.size} bytes; the cap is ${cap}`)
          return res.manifest
        }
        problems.push(`${peer}: ${res.type === 'notFound' ? 'not found' : 'answered with something else'}`)
      } catch (err) {
        if (err instanceof BlobTooLargeError) throw err
        problems.push(`${peer}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`)
      }
    }
    throw new BlobNotFoundError(`no provider has blob ${id} (${problems.join('; ') || 'no providers'})`)
  }

  /** Fetches every chunk in `wanted` into `into`, verifying each. */
  async function fetchChunks (wanted: ChunkRef[], providers: string[], into: Map<string, Uint8Array>, stats: FetchStats): Promise<void> {
    const missing = new Map(wanted.map(r => [r.hash, r]))
    const rounds = (retries + 1) * providers.length
    for (let round = 0; missing.size > 0; round++) {
      if (round >= rounds || providers.length === 0) {
        const what = `${missing.size} chunk(s) after ${rounds} request round(s) over ${providers.length} provider(s)`
        throw stats.corruptChunks > 0 ? new BlobCorruptError(`bad or missing ${what}`) : new BlobNotFoundError(`missing ${what}`)
      }
      const peer = providers[round % providers.length]
      const batch: ChunkRef[] = []
      let bytes = 0
      for (const ref of missing.values()) {
        if (batch.length === MAX_CHUNKS_PER_REQUEST || (batch.length > 0 && bytes + ref.length > batchBytes)) break
        batch.push(ref)
        bytes += ref.length
      }
      let res: BlobResponse
      try {
        res = await ask(peer, encodeRequest({ type: 'chunks', hashes: batch.map(r => r.hash) }), stats)
      } catch {
        continue // the next round asks the next provider
      }
      if (res.type !== 'chunks') continue
      let progress = false
      for (const { hash, frame } of res.chunks) {
        const ref = missing.get(hash)
        if (ref == null) continue
        let data: Uint8Array | undefined
        try { data = decompressFrame(frame, { maxOutputSize: ref.length }) } catch { data = undefined }
        if (data == null || !chunkMatches(ref, data)) { stats.corruptChunks++; continue }
        into.set(hash, data)
        missing.delete(hash)
        stats.chunksFetched++
        progress = true
      }
      if (progress) round-- // a provider that delivers keeps its turn count; only failures use up rounds
    }
  }

  async function fetchBlob (id: string, providers: string[], opts?: BlobSizeOptions): Promise<{ bytes: Uint8Array, stats: FetchStats }> {
    assertBlobId(id)
    const cap = capOf(opts)
    const stats: FetchStats = { chunks: 0, chunksLocal: 0, chunksFetched: 0, corruptChunks: 0, bytesOnWire: 0, requests: 0 }
    const have = local(id)
    if (have != null) {
      stats.chunks = stats.chunksLocal = new Set(store.getManifest(id)?.chunks.map(c => c.hash)).size
      return { bytes: have, stats }
    }
    const manifest = await manifestFrom(id, providers, stats, cap)
    const distinct = [...new Map(manifest.chunks.map(c => [c.hash, c])).values()]
    stats.chunks = distinct.length
    // the local chunks this blob shares are copied now: the store may evict them while the rest
    // arrives (another blob stored meanwhile), and a copy cannot be taken from under the fetch
    const localChunks = new Map<string, Uint8Array>()
    for (const c of distinct) {
      const bytes = store.hasChunk(c.hash) ? store.getChunk(c.hash) : undefined
      if (bytes != null) localChunks.set(c.hash, bytes)
    }
    const got = new Map<string, Uint8Array>()
    const wanted = distinct.filter(c => !localChunks.has(c.hash))
    stats.chunksLocal = localChunks.size
    await fetchChunks(wanted, providers, got, stats)
    let bytes: Uint8Array
    try {
      bytes = assemble(manifest, h => got.get(h) ?? localChunks.get(h))
    } catch (err) {
      // xxHash64 is not collision-resistant: a local chunk that merely shares a hash (planted by
      // an earlier, self-consistent blob) must not poison this one; fetch every chunk and retry
      // (storing them then replaces the held chunk: store.ts `putBlob`)
      if (!(err instanceof BlobCorruptError) || stats.chunksLocal === 0) throw err
      got.clear()
      localChunks.clear()
      await fetchChunks(distinct, providers, got, stats)
      bytes = assemble(manifest, h => got.get(h))
    }
    for (const [hash, data] of localChunks) if (!got.has(hash)) got.set(hash, data)
    store.putBlob(manifest, got)
    return { bytes, stats }
  }

  return {
    store,
    served,
    async start () {
      if (started) return
      started = true
      await initCoreWasm()
      await components.handle(BLOBS_PROTOCOL, handler, { maxFrameSize: 1 << 20 })
    },
    async stop () {
      if (!started) return
      started = false
      await components.unhandle(BLOBS_PROTOCOL)
    },
    put (bytes, opts) {
      if (!(bytes instanceof Uint8Array)) throw new TypeError('a blob must be a Uint8Array')
      const cap = capOf(opts)
      if (bytes.length > cap) throw new BlobTooLargeError(`blob of ${bytes.length} bytes is over the cap of ${cap}`)
      const { manifest, chunks } = chunkBlob(bytes)
      store.putBlob(manifest, chunks)
      return manifest
    },
    get (id) { assertBlobId(id); return local(id) },
    has (id) { assertBlobId(id); return held(id) },
    verify (id) { assertBlobId(id); return intact(id) },
    remove (id) { assertBlobId(id); return store.removeBlob(id) },
    fetch: fetchBlob
  }
}

