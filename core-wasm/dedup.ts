/**
 * Content-defined chunking and deltas: cut data where its content says (FastCDC gear hash, in the
 * WASM core), name each chunk by its xxHash64, and send a receiver only the chunks it lacks plus a
 * recipe listing every chunk in order. Edits shift data without moving most cut points, so a
 * changed snapshot shares almost all chunks with the old one.
 *
 * Chunk ids are not cryptographic: a peer that applies a delta from an untrusted sender must check
 * the rebuilt whole against a digest it trusts (see THREAT_MODEL.md).
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { view, wasm } from './_instance.ts'
import { assertBytes, assertInteger, assertOptions } from './_validate.ts'
import { DedupError } from './errors.ts'
import { xxh64Hex } from './hash.ts'

export interface ChunkingOptions {
  /** Smallest chunk (except the last). @default 2048 */
  min?: number
  /** Target average chunk size (its log2 sets the masks). @default 8192 */
  avg?: number
  /** Largest chunk. @default 65536 */
  max?: number
}

export interface Chunk {
  offset: number
  length: number
  /** xxHash64 of the chunk, 16 hex digits. */
  hash: string
}

export interface ChunkRecipe {
  totalLength: number
  chunks: Array<{ hash: string, length: number }>
}

export interface Delta {
  recipe: ChunkRecipe
  /** The chunks the receiver does not have, by hash. */
  missing: Map<string, Uint8Array>
  /** Bytes of chunk payload sent (sum of missing chunk lengths) vs the whole. */
  stats: { totalBytes: number, sentBytes: number, chunkCount: number, missingCount: number, savedFraction: number }
}

const WINDOW = 4 << 20 // bytes copied into WASM per call: memory stays bounded for any input

function resolveOptions (opts: ChunkingOptions | undefined): Required<ChunkingOptions> {
  assertOptions(opts, 'options')
  const min = opts?.min ?? 2048
  const avg = opts?.avg ?? 8192
  const max = opts?.max ?? 65536
  assertInteger(min, 'min', 64, 1 << 26)
  assertInteger(avg, 'avg', 256, 1 << 26)
  assertInteger(max, 'max', 256, 1 << 26)
  if (!(min < avg && avg < max)) throw new RangeError(`chunk sizes must satisfy min < avg < max (got ${min}, ${avg}, ${max})`)
  return { min, avg, max }
}

/** Splits `data` into content-defined chunks. */
export function chunkData (data: Uint8Array, opts?: ChunkingOptions): Chunk[] {
  assertBytes(data, 'data')
  const { min, avg, max } = resolveOptions(opts)
  const w = wasm()
  const cap = Math.max(WINDOW, max)
  const maxRecords = Math.ceil(cap / min) + 1
  const buf = w.alloc(cap)
  const out = w.alloc(maxRecords * 16)
  const chunks: Chunk[] = []
  try {
    let pos = 0
    while (pos < data.length) {
      const n = Math.min(cap, data.length - pos)
      const eof = pos + n === data.length
      view(buf, n).set(data.subarray(pos, pos + n))
      const count = w.cdcChunks(buf, n, min, avg, max, eof ? 1 : 0, out, maxRecords)
      const rec = new DataView(w.memory.buffer, out, count * 16)
      let off = pos
      for (let i = 0; i < count; i++) {
        const length = Number(rec.getBigUint64(i * 16, true))
        chunks.push({ offset: off, length, hash: rec.getBigUint64(i * 16 + 8, true).toString(16).padStart(16, '0') })
        off += length
      }
      const consumed = w.cdcConsumed()
      if (consumed === 0) throw new Error('core-wasm: chunker made no progress') // cannot happen: cap >= max
      pos += consumed
    }
  } finally {
    w.free(out)
    w.free(buf)
  }
  return chunks
}

/** What to send a receiver that already holds the chunks in `have`. */
export function createDelta (data: Uint8Array, have: Iterable<string>, opts?: ChunkingOptions): Delta {
  const haveSet = have instanceof Set ? have as Set<string> : new Set(have)
  const chunks = chunkData(data, opts)
  const missing = new Map<string, Uint8Array>()
  let sentBytes = 0
  for (const c of chunks) {
    if (haveSet.has(c.hash) || missing.has(c.hash)) continue
    missing.set(c.hash, data.subarray(c.offset, c.offset + c.length))
    sentBytes += c.length
  }
  return {
    recipe: { totalLength: data.length, chunks: chunks.map(c => ({ hash: c.hash, length: c.length })) },
    missing,
    stats: {
      totalBytes: data.length,
      sentBytes,
      chunkCount: chunks.length,
      missingCount: missing.size,
      savedFraction: data.length === 0 ? 0 : 1 - sentBytes / data.length
    }
  }
}

/** Rebuilds the whole from a recipe; `lookup` returns a chunk's bytes by hash. Throws DedupError. */
export function applyDelta (recipe: ChunkRecipe, lookup: (hash: string) => Uint8Array | undefined): Uint8Array {
  assertOptions(recipe, 'recipe')
  if (typeof lookup !== 'function') throw new TypeError('lookup must be a function')
  const sum = recipe.chunks.reduce((n, c) => n + c.length, 0)
  if (sum !== recipe.totalLength) throw new DedupError(`recipe chunk lengths sum to ${sum}, not ${recipe.totalLength}`)
  const out = new Uint8Array(recipe.totalLength)
  let off = 0
  for (const [i, c] of recipe.chunks.entries()) {
    const bytes = lookup(c.hash)
    if (bytes == null) throw new DedupError(`chunk ${i} (${c.hash}) is missing`)
    if (bytes.length !== c.length) throw new DedupError(`chunk ${i} (${c.hash}) has ${bytes.length} bytes, recipe says ${c.length}`)
    if (xxh64Hex(bytes) !== c.hash) throw new DedupError(`chunk ${i} does not hash to ${c.hash}`)
    out.set(bytes, off)
    off += c.length
  }
  return out
}

const RECIPE_VERSION = 1

/** recipe := varUint(1) • varUint(totalLength) • varUint(count) • (bytes8(hash) • varUint(length))^count */
export function encodeRecipe (recipe: ChunkRecipe): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, RECIPE_VERSION)
  encoding.writeVarUint(e, recipe.totalLength)
  encoding.writeVarUint(e, recipe.chunks.length)
  for (const c of recipe.chunks) {
    if (!/^[0-9a-f]{16}$/.test(c.hash)) throw new RangeError(`chunk hash must be 16 hex digits (got '${c.hash}')`)
    const h = new Uint8Array(8)
    new DataView(h.buffer).setBigUint64(0, BigInt(`0x${c.hash}`))
    encoding.writeUint8Array(e, h)
    encoding.writeVarUint(e, c.length)
  }
  return encoding.toUint8Array(e)
}

/** Parses a recipe; rejects anything malformed or beyond the limits with DedupError. */
export function decodeRecipe (bytes: Uint8Array, limits: { maxChunks?: number, maxTotalLength?: number } = {}): ChunkRecipe {
  assertBytes(bytes, 'bytes')
  const maxChunks = limits.maxChunks ?? 1 << 20
  const maxTotal = limits.maxTotalLength ?? 2 ** 32
  try {
    const d = decoding.createDecoder(bytes)
    const version = decoding.readVarUint(d)
    if (version !== RECIPE_VERSION) throw new DedupError(`unknown recipe version ${version}`)
    const totalLength = decoding.readVarUint(d)
    if (totalLength > maxTotal) throw new DedupError(`recipe total ${totalLength} exceeds ${maxTotal}`)
    const count = decoding.readVarUint(d)
    if (count > maxChunks || count * 9 > bytes.length) throw new DedupError(`recipe chunk count ${count} is implausible`)
    const chunks: ChunkRecipe['chunks'] = []
    let sum = 0
    for (let i = 0; i < count; i++) {
      const h = decoding.readUint8Array(d, 8)
      if (h.length !== 8) throw new DedupError('recipe truncated')
      const length = decoding.readVarUint(d)
      sum += length
      if (sum > totalLength) throw new DedupError('recipe chunk lengths exceed the total')
      chunks.push({ hash: new DataView(h.buffer, h.byteOffset, 8).getBigUint64(0).toString(16).padStart(16, '0'), length })
    }
    if (sum !== totalLength) throw new DedupError('recipe chunk lengths do not add up to the total')
    if (decoding.hasContent(d)) throw new DedupError('trailing bytes after the recipe')
    return { totalLength, chunks }
  } catch (err) {
    if (err instanceof DedupError) throw err
    throw new DedupError(`malformed recipe: ${err instanceof Error ? err.message : String(err)}`)
  }
}

/** delta := varUint(1) • varUint8Array(recipe) • varUint(count) • (bytes8(hash) • varUint8Array(chunk))^count */
export function encodeDelta (delta: Pick<Delta, 'recipe' | 'missing'>): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, RECIPE_VERSION)
  encoding.writeVarUint8Array(e, encodeRecipe(delta.recipe))
  encoding.writeVarUint(e, delta.missing.size)
  for (const [hash, bytes] of delta.missing) {
    const h = new Uint8Array(8)
    new DataView(h.buffer).setBigUint64(0, BigInt(`0x${hash}`))
    encoding.writeUint8Array(e, h)
    encoding.writeVarUint8Array(e, bytes)
  }
  return encoding.toUint8Array(e)
}

/** Parses a delta; every carried chunk must hash to its id and be listed in the recipe. Throws DedupError. */
export function decodeDelta (bytes: Uint8Array, limits: { maxChunks?: number, maxTotalLength?: number } = {}): Pick<Delta, 'recipe' | 'missing'> {
  assertBytes(bytes, 'bytes')
  try {
    const d = decoding.createDecoder(bytes)
    const version = decoding.readVarUint(d)
    if (version !== RECIPE_VERSION) throw new DedupError(`unknown delta version ${version}`)
    const recipe = decodeRecipe(decoding.readVarUint8Array(d), limits)
    const lengths = new Map(recipe.chunks.map(c => [c.hash, c.length]))
    const count = decoding.readVarUint(d)
    if (count > lengths.size) throw new DedupError(`delta carries ${count} chunks for a recipe of ${lengths.size}`)
    const missing = new Map<string, Uint8Array>()
    for (let i = 0; i < count; i++) {
      const h = decoding.readUint8Array(d, 8)
      const hash = new DataView(h.buffer, h.byteOffset, 8).getBigUint64(0).toString(16).padStart(16, '0')
      const chunk = decoding.readVarUint8Array(d)
      if (lengths.get(hash) !== chunk.length) throw new DedupError(`chunk ${hash} is not in the recipe with ${chunk.length} bytes`)
      if (xxh64Hex(chunk) !== hash) throw new DedupError(`chunk does not hash to ${hash}`)
      missing.set(hash, chunk)
    }
    if (decoding.hasContent(d)) throw new DedupError('trailing bytes after the delta')
    return { recipe, missing }
  } catch (err) {
    if (err instanceof DedupError) throw err
    throw new DedupError(`malformed delta: ${err instanceof Error ? err.message : String(err)}`)
  }
}
