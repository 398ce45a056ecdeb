/**
 * The digest of a migrated snapshot: what the target checks after rebuilding it and what the
 * `job.handover` ledger entry records. A SHA-256 over the snapshot without its memory and the
 * SHA-256 of each memory chunk, in order (a hash list):
 *
 *   digest := SHA-256( "NCSD" • varUint(1) • varUint8Array(meta) • varUint(memoryLength)
 *                      • (varUint(chunkLength) • bytes32(SHA-256(chunk)))* )
 *
 * where `meta` is the encoded snapshot with an empty memory (snapshot-codec.ts, exactly the bytes
 * `final` carries) and the chunks are the migration's fixed chunks in memory order. As strong as a
 * SHA-256 of the whole encoded snapshot, but each chunk's SHA-256 is computed once, when the chunk
 * is first cut (source) or arrives (target), during pre-copy while the task still runs: the
 * stop-and-copy pays only for the chunks of the last delta, not for 2 × 256 MiB of SHA-256.
 * Chunk digests go through a synchronous SHA-256 when the platform gives one (`SyncSha256`: a Node
 * peer passes node:crypto's, ~12 µs per 8 KiB chunk here), else through WebCrypto (tabs):
 * `crypto.subtle.digest` costs ~185 µs of the event loop per 8 KiB chunk here (a promise, a copy
 * and a thread hop per call), which made it the largest per-chunk cost of a migration.
 */
import * as encoding from 'lib0/encoding'
import { DEFAULT_CHUNK_BYTES } from './dirty.ts'
import { varUintLength, writeVarUintAt } from './protocol-codec.ts'
import { decodeSnapshot, encodeSnapshot } from './snapshot-codec.ts'

const DIGEST_MAGIC = [0x4e, 0x43, 0x53, 0x44] // "NCSD"
const DIGEST_VERSION = 1

const hex = (d: Uint8Array): string => { let out = ''; for (const b of d) out += b.toString(16).padStart(2, '0'); return out }

export async function sha256 (bytes: Uint8Array): Promise<Uint8Array> {
  // WebCrypto takes no view of a SharedArrayBuffer (a worker's reused memory delta, dirty.ts): copied
  const own = bytes.buffer instanceof ArrayBuffer ? bytes as Uint8Array<ArrayBuffer> : bytes.slice()
  return new Uint8Array(await crypto.subtle.digest('SHA-256', own))
}

/** A synchronous SHA-256 (32 bytes out), e.g. node:crypto's, given by the platform. */
export type SyncSha256 = (bytes: Uint8Array) => Uint8Array

/**
 * The SHA-256 of chunks by their xxh64 name, each computed once (at once with a `SyncSha256`,
 * else started when the chunk is first seen and awaited only by the digest). A name maps to the
 * digest of the bytes first seen under it: if two sides saw different bytes under one xxh64 name,
 * their snapshot digests differ.
 */
export class ChunkDigests {
  private readonly map = new Map<string, Uint8Array | Promise<Uint8Array>>()
  constructor (readonly hashSync?: SyncSha256) {}
  /** the SHA-256 of `chunk` (named `hash`) unless it is known */
  add (hash: string, chunk: Uint8Array): void {
    if (!this.map.has(hash)) this.map.set(hash, this.hashSync != null ? this.hashSync(chunk) : sha256(chunk))
  }

  /** a SHA-256 known already (a checkpoint's index: digest of bytes this peer hashed itself) */
  set (hash: string, sha: Uint8Array): void {
    if (!this.map.has(hash)) this.map.set(hash, sha)
  }

  has (hash: string): boolean { return this.map.has(hash) }
  get (hash: string): Uint8Array | Promise<Uint8Array> | undefined { return this.map.get(hash) }
  delete (hash: string): void { this.map.delete(hash) }
}

/** The digest of a snapshot given its meta bytes and its memory's chunk list (each chunk's SHA-256 in `digests`). */
export async function snapshotDigestOf (meta: Uint8Array, chunks: ReadonlyArray<{ hash: string, length: number }>, digests: ChunkDigests): Promise<string> {
  return await hashListDigest(meta, chunks, chunks.map(c => {
    const d = digests.get(c.hash)
    if (d == null) throw new Error(`no digest for chunk ${c.hash}`)
    return d
  }), digests.hashSync)
}

/**
 * The digest of a snapshot given its meta bytes, its chunks' lengths and each chunk's SHA-256
 * (`shas[i]` for chunk i). Inside the downtime for 32,768 chunks (256 MiB): the hash list is
 * written into one buffer of its exact size and hashed once (`hashSync` when given).
 */
export async function hashListDigest (meta: Uint8Array, chunks: ReadonlyArray<{ length: number }>, chunkShas: ReadonlyArray<Uint8Array | Promise<Uint8Array>>, hashSync?: SyncSha256): Promise<string> {
  let total = 0
  for (const c of chunks) total += c.length
  // computed ones as they are; only those still running (WebCrypto's) are awaited
  const shas: Uint8Array[] = []
  const pending: Array<Promise<void>> = []
  for (const [i, d] of chunkShas.entries()) {
    if (d instanceof Uint8Array) shas[i] = d
    else pending.push(d.then(v => { shas[i] = v }))
  }
  await Promise.all(pending)
  const e = encoding.createEncoder()
  for (const b of DIGEST_MAGIC) encoding.writeUint8(e, b)
  encoding.writeVarUint(e, DIGEST_VERSION)
  encoding.writeVarUint8Array(e, meta)
  encoding.writeVarUint(e, total)
  const head = encoding.toUint8Array(e)
  let size = head.length
  for (const c of chunks) size += varUintLength(c.length) + 32
  const list = new Uint8Array(size)
  list.set(head)
  let at = head.length
  for (const [i, c] of chunks.entries()) {
    at = writeVarUintAt(list, at, c.length)
    const d = shas[i]
    if (d?.length !== 32) throw new Error(`no SHA-256 for chunk ${i}`)
    list.set(d, at)
    at += 32
  }
  return hex(hashSync != null ? hashSync(list) : await sha256(list))
}

/**
 * The digest of a whole encoded snapshot cut into aligned `chunkBytes` chunks (tests, and any
 * peer checking a snapshot it holds whole). Chunk names here are their offsets, not their xxh64:
 * only the SHA-256s enter the digest.
 */
export async function snapshotDigest (bytes: Uint8Array, chunkBytes = DEFAULT_CHUNK_BYTES, hashSync?: SyncSha256): Promise<string> {
  const snap = decodeSnapshot(bytes, { viewMemory: true })
  const meta = encodeSnapshot({ ...snap, memory: new Uint8Array(0) })
  const digests = new ChunkDigests(hashSync)
  const chunks: Array<{ hash: string, length: number }> = []
  for (let off = 0; off < snap.memory.length; off += chunkBytes) {
    const c = snap.memory.subarray(off, Math.min(off + chunkBytes, snap.memory.length))
    digests.add(String(off), c)
    chunks.push({ hash: String(off), length: c.length })
  }
  return await snapshotDigestOf(meta, chunks, digests)
}
