/**
 * Blobs as content-addressed chunk lists. A blob's id is the SHA-256 of its bytes (64 hex); its
 * manifest lists its FastCDC chunks (core-wasm `chunkData`, 2/8/64 KiB) by xxHash64 id and length.
 * Chunks are the unit of storage and transfer, so two blobs that share content (a module and its
 * next build, inputs that differ in one line) share chunks, and a chunk a peer holds is never sent
 * to it again.
 *
 * xxHash64 is fast, not collision-resistant: it names and dedups chunks and catches transport
 * damage; the blob's SHA-256, checked after assembly, is what makes a blob trustworthy.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import { chunkData, xxh64Hex } from '../../core-wasm/index.ts'
import { BlobCorruptError, InvalidBlobIdError } from './errors.ts'

export const CHUNKING = Object.freeze({ min: 2048, avg: 8192, max: 65536 })
/** The largest chunk FastCDC emits with CHUNKING, so the largest a peer may declare. */
export const MAX_CHUNK_BYTES = CHUNKING.max

export interface ChunkRef {
  /** xxHash64 of the chunk, 16 lowercase hex */
  hash: string
  length: number
}

export interface BlobManifest {
  /** SHA-256 of the whole blob, 64 lowercase hex */
  id: string
  size: number
  chunks: ChunkRef[]
}

const ID_RE = /^[0-9a-f]{64}$/

export function assertBlobId (id: unknown): asserts id is string {
  if (typeof id !== 'string' || !ID_RE.test(id)) throw new InvalidBlobIdError(`a blob id is 64 lowercase hex characters (SHA-256), got ${JSON.stringify(String(id).slice(0, 80))}`)
}

export function blobId (bytes: Uint8Array): string {
  return bytesToHex(sha256(bytes))
}

/** The manifest and the chunk bytes of `bytes` (core-wasm must be initialised). */
export function chunkBlob (bytes: Uint8Array): { manifest: BlobManifest, chunks: Map<string, Uint8Array> } {
  const chunks = new Map<string, Uint8Array>()
  const refs: ChunkRef[] = []
  for (const c of chunkData(bytes, CHUNKING)) {
    refs.push({ hash: c.hash, length: c.length })
    if (!chunks.has(c.hash)) chunks.set(c.hash, bytes.slice(c.offset, c.offset + c.length))
  }
  return { manifest: { id: blobId(bytes), size: bytes.length, chunks: refs }, chunks }
}

/** True when `bytes` are the chunk `ref` names. */
export function chunkMatches (ref: ChunkRef, bytes: Uint8Array): boolean {
  return bytes.length === ref.length && xxh64Hex(bytes) === ref.hash
}

/** Concatenates the manifest's chunks and checks the blob's SHA-256: `BlobCorruptError` on a mismatch. */
export function assemble (manifest: BlobManifest, lookup: (hash: string) => Uint8Array | undefined): Uint8Array {
  const out = new Uint8Array(manifest.size)
  let o = 0
  for (const ref of manifest.chunks) {
    const c = lookup(ref.hash)
    if (c == null || c.length !== ref.length || o + c.length > out.length) throw new BlobCorruptError(`chunk ${ref.hash} of blob ${manifest.id} is missing or has the wrong length`)
    out.set(c, o)
    o += c.length
  }
  if (o !== manifest.size || blobId(out) !== manifest.id) throw new BlobCorruptError(`blob ${manifest.id} does not match its SHA-256 after assembly`)
  return out
}
