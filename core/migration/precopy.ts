/**
 * The pre-copy planner: which bytes of a running task's memory go to the target, round by round.
 *
 * Live migration's memory arrives as the worker's deltas (dirty.ts: fixed, aligned 8 KiB chunks
 * that changed since the last round, each named by its xxHash64; `apply`); `round(memory)` cuts a
 * whole memory here (fixed chunks, or content-defined with core-wasm's FastCDC). The sender keeps
 * the set of hashes the target holds — what it said it had (an earlier checkpoint of the same
 * job, another task of it) plus everything sent since — and each round sends only the chunks
 * outside that set. While the task runs, rounds repeat over the chunks it changed; the final
 * round is the pause's delta (stop-and-copy of the last delta). The recipe (the chunk list)
 * rebuilds the memory.
 *
 * On the wire each chunk is an LZ4 frame behind its hash (stored raw when it looks random:
 * stored-frame.ts); the receiver decompresses it bounded by
 * the chunk size limit and checks the hash, so a chunk corrupted in transit is a `ChunkHashError`
 * (re-fetch it), never a wrong memory. xxHash64 is not cryptographic: the handover must also
 * check a digest of the whole snapshot it trusts (THREAT_MODEL.md, as for job blobs).
 */
import * as decoding from 'lib0/decoding'
import { applyDelta, chunkData, DedupError, decompressFrame, xxh64Hex, type ChunkingOptions, type ChunkRecipe } from '../../core-wasm/index.ts'
import { decodeExact } from '../codec/decode-exact.ts'
import type { MemoryDelta } from '../jobs/worker-protocol.ts'
import type { ChunkIndex } from './chunk-index.ts'
import { ChunkDigests, type SyncSha256 } from './digest.ts'
import { chunkName, DEFAULT_CHUNK_BYTES } from './dirty.ts'
import { readStoredFrame } from './stored-frame.ts'
import { ChunkHashError, MigrationDecodeError } from './errors.ts'

export interface RoundPlan {
  /** every chunk of the memory, in order */
  recipe: ChunkRecipe
  /** the chunks to send this round, by hash (each once) */
  send: Map<string, Uint8Array>
  /** the chunk index of memory each chunk in `send` goes to (fixed chunks only: the wire's `index`) */
  index: Map<string, number>
  sentBytes: number
  totalBytes: number
}

export interface PreCopyInit {
  /** hashes the target already holds @default none */
  targetHas?: Iterable<string>
  /** content-defined chunk sizes, when `fixedChunkBytes` is 0 @default core-wasm's (2 / 8 / 64 KiB) */
  chunking?: ChunkingOptions
  /**
   * cut memory into fixed, aligned chunks of this size instead (0: content-defined). Linear memory
   * does not shift the way a file does, so FastCDC's shift resistance buys nothing there, while a
   * 4 KiB write spoils one or two whole 8 KiB-average CDC chunks; an aligned fixed chunk is spoiled
   * only by writes inside it @default 0
   */
  fixedChunkBytes?: number
  /** a synchronous SHA-256 for the chunks' digests (digest.ts) @default WebCrypto's */
  sha256?: SyncSha256
}

/** Memory cut into aligned chunks of `size` bytes (the last may be shorter), each named by its xxHash64. */
export function fixedChunks (memory: Uint8Array, size: number): Array<{ hash: string, offset: number, length: number }> {
  const out = []
  for (let offset = 0; offset < memory.length; offset += size) {
    const length = Math.min(size, memory.length - offset)
    out.push({ hash: xxh64Hex(memory.subarray(offset, offset + length)), offset, length })
  }
  return out
}

/** The default fixed chunk size of live migration (the worker's dirty tracking), which a target assumes when it reports what it holds. */
export { DEFAULT_CHUNK_BYTES }

/** The sender's side: one per migration. */
export class PreCopySender {
  private readonly known: Set<string>
  private readonly chunking: ChunkingOptions | undefined
  private readonly fixed: number
  /** each chunk's SHA-256, started when the chunk is first cut (the snapshot digest, digest.ts) */
  readonly digests: ChunkDigests
  rounds = 0
  sentBytes = 0
  /** the task's memory as the deltas so far make it (`apply`): what the target is sent from */
  private mirror: Uint8Array | undefined
  /** each chunk's name, by index (`apply`) */
  private names: string[] = []
  private chunkBytes = 0
  /** seeded (`seed`): by index, whether the mirror holds the chunk (a delta carried it) */
  private mirrored: Uint8Array | undefined

  constructor (init: PreCopyInit = {}) {
    this.known = new Set(init.targetHas ?? [])
    this.digests = new ChunkDigests(init.sha256)
    this.chunking = init.chunking
    this.fixed = init.fixedChunkBytes ?? 0
    if (!Number.isInteger(this.fixed) || this.fixed < 0 || this.fixed > 1 << 20) throw new RangeError('fixedChunkBytes must be an integer from 0 to 1 MiB')
  }

  private cut (memory: Uint8Array): Array<{ hash: string, offset: number, length: number }> {
    if (this.fixed === 0) return chunkData(memory, this.chunking)
    return fixedChunks(memory, this.fixed)
  }

  /** Plans one round over `memory` (a copy taken now); what it sends counts as held from then on. */
  round (memory: Uint8Array): RoundPlan {
    const send = new Map<string, Uint8Array>()
    const index = new Map<string, number>()
    const recipe: ChunkRecipe = { totalLength: memory.length, chunks: [] }
    let sent = 0
    for (const c of this.cut(memory)) {
      recipe.chunks.push({ hash: c.hash, length: c.length })
      if (!this.digests.has(c.hash)) this.digests.add(c.hash, memory.subarray(c.offset, c.offset + c.length))
      if (this.known.has(c.hash) || send.has(c.hash)) continue
      send.set(c.hash, memory.subarray(c.offset, c.offset + c.length))
      if (this.fixed > 0) index.set(c.hash, c.offset / this.fixed)
      sent += c.length
    }
    for (const h of send.keys()) this.known.add(h)
    this.rounds++
    this.sentBytes += sent
    return { recipe, send, index, sentBytes: sent, totalBytes: memory.length }
  }

  /**
   * Starts from a checkpoint of the task that both sides hold (the target keeps it; its index was
   * made here from this peer's copy): its names by index and their SHA-256s count as the memory's
   * until a delta says otherwise, so the first delta need not list every chunk (the worker's
   * tracker starts from the same checkpoint: dirty.ts `remember`). Chunks no delta carried are not
   * in the mirror (`chunkAt` is undefined for them: the caller reads the checkpoint).
   */
  seed (index: ChunkIndex): void {
    if (this.mirror != null || this.names.length > 0) throw new RangeError('seed a sender before its first delta')
    this.chunkBytes = index.chunkBytes
    for (let i = 0; i < index.count; i++) {
      const name = index.name(i)
      this.names[i] = name
      this.digests.set(name, index.sha(i))
    }
    this.mirrored = new Uint8Array(index.count)
  }

  /**
   * Plans one round from the worker's memory delta (dirty.ts: the chunks changed since its last
   * one, hashed there): the changed chunks outside what the target holds are sent. The first
   * delta of a migration must list every chunk; later ones patch the mirror of memory kept here.
   */
  apply (delta: MemoryDelta): RoundPlan {
    const { memoryBytes, chunkBytes: cb, indices, hashes, bytes } = delta
    if (this.mirror == null && !delta.full && this.mirrored == null) throw new RangeError('the first memory delta of a migration must list every chunk (or the sender be seeded)')
    if ((this.mirror != null || this.mirrored != null) && cb !== this.chunkBytes) throw new RangeError(`the memory delta's chunks are ${cb} bytes, not ${this.chunkBytes}`)
    if (this.mirror != null && memoryBytes < this.mirror.length) throw new RangeError('linear memory does not shrink')
    const n = Math.ceil(memoryBytes / cb)
    if (indices.length !== hashes.length || (delta.full && indices.length !== n)) throw new RangeError('a memory delta whose lists do not match')
    this.chunkBytes = cb
    if (this.mirror == null && delta.full && bytes.length === memoryBytes && this.mirrored == null) this.mirror = bytes // the whole memory, in order
    else if (this.mirror == null || this.mirror.length < memoryBytes) {
      const grown = new Uint8Array(memoryBytes)
      if (this.mirror != null) grown.set(this.mirror)
      this.mirror = grown
    }
    const mirror = this.mirror
    const send = new Map<string, Uint8Array>()
    const index = new Map<string, number>()
    let sent = 0
    let pos = 0
    let last = -1
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k]
      if (i <= last || i >= n) throw new RangeError(`memory delta chunk index ${i} out of order or past the end`)
      last = i
      const off = i * cb
      const len = Math.min(cb, memoryBytes - off)
      if (pos + len > bytes.length) throw new RangeError('a memory delta shorter than its chunks')
      const chunk = bytes.subarray(pos, pos + len)
      pos += len
      if (mirror !== bytes) mirror.set(chunk, off)
      if (this.mirrored != null) this.mirrored = markAt(this.mirrored, i)
      const name = chunkName(hashes[k])
      this.names[i] = name
      if (!this.digests.has(name)) this.digests.add(name, chunk)
      if (this.known.has(name) || send.has(name)) continue
      send.set(name, chunk)
      index.set(name, i)
      sent += len
    }
    if (pos !== bytes.length) throw new RangeError('a memory delta longer than its chunks')
    this.names.length = n
    for (const h of send.keys()) this.known.add(h)
    const recipe: ChunkRecipe = { totalLength: memoryBytes, chunks: this.names.map((hash, i) => ({ hash, length: Math.min(cb, memoryBytes - i * cb) })) }
    this.rounds++
    this.sentBytes += sent
    return { recipe, send, index, sentBytes: sent, totalBytes: memoryBytes }
  }

  /**
   * The bytes of chunk `i` of the memory the deltas made (`apply`); undefined for a chunk of the
   * seeded checkpoint no delta carried (`seed`).
   */
  chunkAt (i: number): Uint8Array | undefined {
    if (this.mirrored != null && (this.mirrored[i] ?? 0) === 0) return undefined
    if (this.mirror == null) throw new RangeError('no memory delta yet')
    const off = i * this.chunkBytes
    return this.mirror.subarray(off, Math.min(off + this.chunkBytes, this.mirror.length))
  }
}

/** `marks` with index `i` set, grown when `i` is past its end (memory grew since the checkpoint) */
function markAt (marks: Uint8Array, i: number): Uint8Array {
  let m = marks
  if (i >= m.length) { m = new Uint8Array(Math.max(i + 1, m.length * 2)); m.set(marks) }
  m[i] = 1
  return m
}

const MAX_CHUNK = 1 << 26 // core-wasm's largest `max` chunk size

export { encodeChunkFrame } from './chunk-batch.ts'

/** Decodes and verifies one chunk frame: `MigrationDecodeError` when malformed, `ChunkHashError` when corrupted. */
export function decodeChunkFrame (frame: Uint8Array, maxChunkBytes = 1 << 20): { hash: string, chunk: Uint8Array } {
  const r = readChunkFrame(frame, maxChunkBytes)
  return r.chunk.buffer === frame.buffer ? { hash: r.hash, chunk: r.chunk.slice() } : r
}

/** As `decodeChunkFrame`, but a chunk stored raw is a view of `frame` (copy it before `frame` is reused). */
export function readChunkFrame (frame: Uint8Array, maxChunkBytes = 1 << 20): { hash: string, chunk: Uint8Array } {
  const { hash, lz4 } = decodeExact(frame, 'chunk frame', d => {
    const hash = hex8(decoding.readUint8Array(d, 8))
    const len = decoding.readVarUint(d)
    if (len > d.arr.length - d.pos) throw new MigrationDecodeError(`chunk frame: ${len} bytes of payload run past the end`)
    return { hash, lz4: decoding.readUint8Array(d, len) }
  }, { own: MigrationDecodeError, make: detail => new MigrationDecodeError(detail) })
  let chunk: Uint8Array
  try {
    const max = Math.min(maxChunkBytes, MAX_CHUNK)
    chunk = readStoredFrame(lz4, max) ?? decompressFrame(lz4, { maxOutputSize: max })
  } catch (err) {
    throw new ChunkHashError(hash, `chunk ${hash} does not decompress: ${err instanceof Error ? err.message : String(err)}`)
  }
  const actual = xxh64Hex(chunk)
  if (actual !== hash) throw new ChunkHashError(hash, `chunk ${hash} arrived with hash ${actual}: corrupted in transit`)
  return { hash, chunk }
}

/** The receiver's side: a chunk store that only takes verified chunks, and rebuilds memories. */
export class PreCopyReceiver {
  readonly chunks = new Map<string, Uint8Array>()
  /** each held chunk's SHA-256, started as it arrives (the snapshot digest, digest.ts) */
  readonly digests: ChunkDigests
  /** `sha256`: a synchronous SHA-256 for the chunks' digests @default WebCrypto's */
  constructor (held: Iterable<[string, Uint8Array]> = [], sha256?: SyncSha256) {
    this.digests = new ChunkDigests(sha256)
    for (const [h, c] of held) { this.chunks.set(h, c); this.digests.add(h, c) }
  }

  /** Takes one frame; throws (and keeps nothing) when it is malformed or corrupted. */
  accept (frame: Uint8Array): string {
    const { hash, chunk } = decodeChunkFrame(frame)
    if (!this.chunks.has(hash)) { this.chunks.set(hash, chunk); this.digests.add(hash, chunk) }
    return hash
  }

  have (): string[] { return [...this.chunks.keys()] }

  /** Rebuilds a memory from its recipe; throws core-wasm's DedupError when a chunk is missing. */
  rebuild (recipe: ChunkRecipe): Uint8Array {
    return applyDelta(recipe, h => this.chunks.get(h))
  }

  /**
   * Writes the memory of `recipe` into `dst` (its exact length) without hashing the chunks again:
   * every chunk here was checked when it arrived (or cut here, for a checkpoint's), and the
   * snapshot digest covers them all. `DedupError` when a chunk is missing or of another length.
   */
  rebuildInto (recipe: ChunkRecipe, dst: Uint8Array): void {
    if (dst.length !== recipe.totalLength) throw new DedupError(`the recipe's memory is ${recipe.totalLength} bytes, not ${dst.length}`)
    let off = 0
    for (const [i, c] of recipe.chunks.entries()) {
      const bytes = this.chunks.get(c.hash)
      if (bytes == null) throw new DedupError(`chunk ${i} (${c.hash}) is missing`)
      if (bytes.length !== c.length || off + c.length > dst.length) throw new DedupError(`chunk ${i} (${c.hash}) has ${bytes.length} bytes, recipe says ${c.length}`)
      dst.set(bytes, off)
      off += c.length
    }
    if (off !== dst.length) throw new DedupError(`recipe chunk lengths sum to ${off}, not ${dst.length}`)
  }
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'))
/** 8 bytes as 16 lower-case hex digits (a chunk's name) */
function hex8 (b: Uint8Array): string {
  let out = ''
  for (let i = 0; i < 8; i++) out += HEX[b[i]]
  return out
}
