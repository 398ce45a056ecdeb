/**
 * The codec of `/novacron/migration/1.6.0` (1.2.0: each chunk carries the index it is placed at,
 * so the target writes it into the memory image at once: chunk-image.ts; 1.3.0: the offer
 * carries the task's memory size, so the target faults its image and the new instance's memory
 * in before the first chunk, not while the chunks and the resume wait on it; 1.4.0: the same
 * bytes, but both ends instrument modules with loop poll points, loop-polls.ts, and snapshots are
 * version 2; 1.5.0: the same bytes, poll points also at the entries of functions that can recurse,
 * call-cycles.ts, snapshot version 3; 1.6.0: the offer names the chunk size, 4 KiB by default —
 * 8 KiB before): the holder of a running task (source) moves it to a
 * target over request/response calls. One message type per step; every length is checked against
 * its bound before anything is read, and every malformed input is a `MigrationDecodeError`.
 *
 *   request  := varUint(1) • offer | varUint(2) • chunks | varUint(3) • final | varUint(4) • abort
 *             | varUint(5) • keep
 *   offer    := varString(id) • varString(job) • varUint(task) • varUint(replica)
 *               • varUint(tokenEpoch) • varUint(tokenSlot) • varUint(memoryBytes)
 *               • varUint(chunkBytes)
 *               the task's memory size as the offer leaves (0: unknown; over the job's cap: refused);
 *               the fixed chunk size the source cuts memory into (a power of two, 4–64 KiB)
 *   chunks   := varString(id) • varUint(n) • (varUint(index) • varUint8Array(chunkFrame))*
 *               chunk `index` of memory (offset index × the offer's chunkBytes; precopy.ts's frames)
 *   final    := varString(id) • varUint8Array(snapshotWithoutMemory) • recipe • bytes32(sha256)
 *   recipe   := varUint(totalLength) • varUint(n) • (bytes8(xxh64) • varUint(length))*
 *   abort    := varString(id)
 *   keep     := offer's fields but memoryBytes • bytes32(sha256)   keep the blob of a checkpoint (fetched from the sender)
 *   response := varUint(1) • hashes            accept: chunks the target already holds
 *             | varUint(2) • hashes            resend: chunks that arrived corrupted, or are missing
 *             | varUint(3)                     ok
 *             | varUint(4) • varString(reason) refuse
 *   hashes   := varUint(n) • bytes8(xxh64)*
 *
 * `sha256` is the snapshot digest (digest.ts: a SHA-256 over the chunks' SHA-256s) of the snapshot the
 * target must rebuild; the same
 * digest goes into the `job.handover` ledger entry.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import type { ChunkRecipe } from '../../core-wasm/index.ts'
import { decodeExact } from '../codec/decode-exact.ts'
import { MAX_CHUNK_BYTES, MIN_CHUNK_BYTES } from './dirty.ts'
import { MigrationDecodeError } from './errors.ts'

export const MIGRATION_PROTOCOL = '/novacron/migration/1.6.0'

export const MAX_ID = 64
export const MAX_FRAMES = 4096
export const MAX_RECIPE_CHUNKS = 1 << 20
const MAX_STRING = 256
const MAX_META = 64 * 1024 * 1024 + 1024

export type MigrationRequest =
  | { type: 'offer', id: string, job: string, task: number, replica: number, token: { epoch: number, slot: number }, memoryBytes: number, chunkBytes: number }
  | { type: 'chunks', id: string, chunks: IndexedFrame[] }
  | { type: 'final', id: string, meta: Uint8Array, recipe: ChunkRecipe, sha256: string }
  | { type: 'abort', id: string }
  | { type: 'keep', id: string, job: string, task: number, replica: number, token: { epoch: number, slot: number }, blob: string }

/** a chunk frame (precopy.ts) and the chunk index of memory it is placed at */
export interface IndexedFrame { index: number, frame: Uint8Array }

export type MigrationResponse =
  | { type: 'accept', have: string[] }
  | { type: 'resend', hashes: string[] }
  | { type: 'ok' }
  | { type: 'refuse', reason: string }

const REQ = { offer: 1, chunks: 2, final: 3, abort: 4, keep: 5 } as const
const RES = { accept: 1, resend: 2, ok: 3, refuse: 4 } as const

// a `final` carries one name per 8 KiB of memory (32,768 for 256 MiB, inside the downtime): hex
// both ways by table, not by regex, parseInt and join
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'))
const hex = (b: Uint8Array): string => { let out = ''; for (const x of b) out += HEX[x]; return out }
/** a lower-case hex digit's value ('0'-'9', 'a'-'f'), -1 for any other character code */
export const hexDigit = (c: number): number => c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1
/** `n` bytes of lower-case hex written into `e` */
function writeHex (e: encoding.Encoder, h: string, n: number): void {
  if (h.length !== n * 2) throw new TypeError(`not ${n} bytes of lowercase hex: ${h}`)
  for (let i = 0; i < n; i++) {
    const hi = hexDigit(h.charCodeAt(2 * i))
    const lo = hexDigit(h.charCodeAt(2 * i + 1))
    if (hi < 0 || lo < 0) throw new TypeError(`not ${n} bytes of lowercase hex: ${h}`)
    encoding.writeUint8(e, hi * 16 + lo)
  }
}

const bad = (msg: string): never => { throw new MigrationDecodeError(msg) }
/** a chunk size an offer may announce: a power of two from 4 to 64 KiB */
export const isChunkSize = (n: number): boolean => n >= MIN_CHUNK_BYTES && n <= MAX_CHUNK_BYTES && (n & (n - 1)) === 0
function count (d: decoding.Decoder, max: number, each: number, what: string): number {
  const n = decoding.readVarUint(d)
  if (n > max || n * each > d.arr.length - d.pos) bad(`${what}: ${n} entries is over the bound or past the end`)
  return n
}
function str (d: decoding.Decoder, max: number, what: string): string {
  const s = decoding.readVarString(d)
  if (s.length > max) bad(`${what} is longer than ${max}`)
  return s
}
function sized (d: decoding.Decoder, max: number, what: string): Uint8Array {
  const n = decoding.readVarUint(d)
  if (n > max || n > d.arr.length - d.pos) bad(`${what}: ${n} bytes is over the bound or past the end`)
  return decoding.readUint8Array(d, n)
}
const uint = (d: decoding.Decoder, what: string): number => {
  const n = decoding.readVarUint(d)
  if (!Number.isSafeInteger(n)) bad(`${what} is not a safe integer`)
  return n
}

function writeHashes (e: encoding.Encoder, hashes: string[]): void {
  encoding.writeVarUint(e, hashes.length)
  for (const h of hashes) writeHex(e, h, 8)
}
function readHashes (d: decoding.Decoder): string[] {
  const n = count(d, MAX_RECIPE_CHUNKS, 8, 'hashes')
  const out: string[] = []
  for (let i = 0; i < n; i++) out.push(hex(decoding.readUint8Array(d, 8)))
  return out
}

/** bytes of lib0's varUint of `n` */
export function varUintLength (n: number): number {
  let len = 1
  while (n > 127) { n = Math.floor(n / 128); len++ }
  return len
}

/** writes lib0's varUint of `n` at `at`; the position after it */
export function writeVarUintAt (out: Uint8Array, at: number, n: number): number {
  while (n > 127) { out[at++] = 0x80 | (n & 0x7f); n = Math.floor(n / 128) }
  out[at++] = n
  return at
}

/** The bytes of a `chunks` request before its `n` chunks (chunk-batch.ts writes the rest in place). */
export function chunksRequestHead (id: string, n: number): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, REQ.chunks)
  encoding.writeVarString(e, id)
  encoding.writeVarUint(e, n)
  return encoding.toUint8Array(e)
}

export function encodeRequest (m: MigrationRequest): Uint8Array {
  if (m.type === 'chunks') {
    // half a megabyte of frames: written into one buffer of the exact size, not through lib0's
    // growing one (two copies of every frame); the source writes its batches with chunk-batch.ts
    const head = chunksRequestHead(m.id, m.chunks.length)
    let size = head.length
    for (const c of m.chunks) size += varUintLength(c.index) + varUintLength(c.frame.length) + c.frame.length
    const out = new Uint8Array(size)
    out.set(head)
    let at = head.length
    for (const c of m.chunks) { at = writeVarUintAt(out, at, c.index); at = writeVarUintAt(out, at, c.frame.length); out.set(c.frame, at); at += c.frame.length }
    return out
  }
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, REQ[m.type])
  encoding.writeVarString(e, m.id)
  switch (m.type) {
    case 'offer':
    case 'keep':
      encoding.writeVarString(e, m.job)
      encoding.writeVarUint(e, m.task)
      encoding.writeVarUint(e, m.replica)
      encoding.writeVarUint(e, m.token.epoch)
      encoding.writeVarUint(e, m.token.slot)
      if (m.type === 'keep') writeHex(e, m.blob, 32)
      else { encoding.writeVarUint(e, m.memoryBytes); encoding.writeVarUint(e, m.chunkBytes) }
      break
    case 'final':
      encoding.writeVarUint8Array(e, m.meta)
      encoding.writeVarUint(e, m.recipe.totalLength)
      encoding.writeVarUint(e, m.recipe.chunks.length)
      for (const c of m.recipe.chunks) { writeHex(e, c.hash, 8); encoding.writeVarUint(e, c.length) }
      writeHex(e, m.sha256, 32)
      break
    case 'abort':
      break
  }
  return encoding.toUint8Array(e)
}

export function decodeRequest (bytes: Uint8Array): MigrationRequest {
  return decodeExact(bytes, 'migration request', d => {
    const type = decoding.readVarUint(d)
    const id = str(d, MAX_ID, 'id')
    switch (type) {
      case REQ.offer:
      case REQ.keep: {
        const job = str(d, MAX_STRING, 'job')
        const task = uint(d, 'task')
        const replica = uint(d, 'replica')
        const token = { epoch: uint(d, 'token epoch'), slot: uint(d, 'token slot') }
        if (type === REQ.offer) {
          const memoryBytes = uint(d, 'memory bytes')
          const chunkBytes = uint(d, 'chunk bytes')
          if (!isChunkSize(chunkBytes)) bad(`offer: a chunk size of ${chunkBytes} bytes is not a power of two from ${MIN_CHUNK_BYTES} to ${MAX_CHUNK_BYTES}`)
          return { type: 'offer', id, job, task, replica, token, memoryBytes, chunkBytes }
        }
        if (d.arr.length - d.pos < 32) bad('keep: the blob id runs past the end')
        return { type: 'keep', id, job, task, replica, token, blob: hex(decoding.readUint8Array(d, 32)) }
      }
      case REQ.chunks: {
        const n = count(d, MAX_FRAMES, 2, 'chunks')
        const chunks: IndexedFrame[] = []
        for (let i = 0; i < n; i++) {
          const index = decoding.readVarUint(d)
          if (index >= MAX_RECIPE_CHUNKS) bad(`chunk index ${index} is past the largest memory`)
          chunks.push({ index, frame: sized(d, 1 << 21, 'chunk frame') })
        }
        return { type: 'chunks', id, chunks }
      }
      case REQ.final: {
        const meta = sized(d, MAX_META, 'snapshot')
        const totalLength = uint(d, 'recipe length')
        const n = count(d, MAX_RECIPE_CHUNKS, 9, 'recipe')
        const chunks = []
        let sum = 0
        const arr = d.arr
        for (let i = 0; i < n; i++) {
          // the name read in place: 32,768 of them for 256 MiB, inside the downtime
          if (d.pos + 8 > arr.length) bad('recipe: a chunk name runs past the end')
          const p = d.pos
          const hash = HEX[arr[p]] + HEX[arr[p + 1]] + HEX[arr[p + 2]] + HEX[arr[p + 3]] + HEX[arr[p + 4]] + HEX[arr[p + 5]] + HEX[arr[p + 6]] + HEX[arr[p + 7]]
          d.pos = p + 8
          const length = uint(d, 'chunk length')
          sum += length
          chunks.push({ hash, length })
        }
        if (sum !== totalLength) bad(`recipe: chunk lengths add up to ${sum}, not ${totalLength}`)
        if (d.arr.length - d.pos < 32) bad('final: the sha256 runs past the end')
        return { type: 'final', id, meta, recipe: { totalLength, chunks }, sha256: hex(decoding.readUint8Array(d, 32)) }
      }
      case REQ.abort:
        return { type: 'abort', id }
      default:
        return bad(`unknown migration request type ${type}`)
    }
  }, { own: MigrationDecodeError, make: detail => new MigrationDecodeError(detail) })
}

export function encodeResponse (m: MigrationResponse): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, RES[m.type])
  if (m.type === 'accept') writeHashes(e, m.have)
  else if (m.type === 'resend') writeHashes(e, m.hashes)
  else if (m.type === 'refuse') encoding.writeVarString(e, m.reason.slice(0, 1000))
  return encoding.toUint8Array(e)
}

export function decodeResponse (bytes: Uint8Array): MigrationResponse {
  return decodeExact(bytes, 'migration response', d => {
    const type = decoding.readVarUint(d)
    switch (type) {
      case RES.accept: return { type: 'accept', have: readHashes(d) }
      case RES.resend: return { type: 'resend', hashes: readHashes(d) }
      case RES.ok: return { type: 'ok' }
      case RES.refuse: return { type: 'refuse', reason: str(d, 1000, 'reason') }
      default: return bad(`unknown migration response type ${type}`)
    }
  }, { own: MigrationDecodeError, make: detail => new MigrationDecodeError(detail) })
}
