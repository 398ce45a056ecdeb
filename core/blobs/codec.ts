/**
 * Wire format of `/novacron/blobs/1.0.0` (one request frame, one response frame, over core/net's
 * request/response). Grammar in PROTOCOL.md:
 *
 *   request  := manifestReq | chunksReq
 *   manifestReq := varUint(1) • bytes32(blobId)
 *   chunksReq   := varUint(2) • varUint(n) • n × bytes8(chunkHash)           n ≤ MAX_CHUNKS_PER_REQUEST
 *   response := manifest | chunks | notFound
 *   manifest := varUint(1) • bytes32(blobId) • varUint(size) • varUint(n) • n × (bytes8(chunkHash) • varUint(length))
 *   chunks   := varUint(2) • varUint(n) • n × (bytes8(chunkHash) • varUint8Array(lz4Frame))
 *   notFound := varUint(3) • bytes32(blobId)
 *
 * Every reader checks what it can without context (types, lengths, 1 ≤ chunk length ≤ 64 KiB,
 * chunk lengths summing to the size, counts against the bytes left) and throws
 * `MalformedBlobMessageError` on anything else, including truncation.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'
import { MalformedBlobMessageError } from './errors.ts'
import { MAX_CHUNK_BYTES, type BlobManifest } from './manifest.ts'
import { decodeExact } from '../codec/decode-exact.ts'

export const BLOBS_PROTOCOL = '/novacron/blobs/1.0.0'
export const MSG_MANIFEST = 1
export const MSG_CHUNKS = 2
export const MSG_NOT_FOUND = 3
export const MAX_CHUNKS_PER_REQUEST = 256

export type BlobRequest = { type: 'manifest', id: string } | { type: 'chunks', hashes: string[] }
export type BlobResponse =
  | { type: 'manifest', manifest: BlobManifest }
  | { type: 'chunks', chunks: Array<{ hash: string, frame: Uint8Array }> }
  | { type: 'notFound', id: string }

export function encodeRequest (req: BlobRequest): Uint8Array {
  const e = encoding.createEncoder()
  if (req.type === 'manifest') {
    encoding.writeVarUint(e, MSG_MANIFEST)
    encoding.writeUint8Array(e, hexToBytes(req.id))
  } else {
    encoding.writeVarUint(e, MSG_CHUNKS)
    encoding.writeVarUint(e, req.hashes.length)
    for (const h of req.hashes) encoding.writeUint8Array(e, hexToBytes(h))
  }
  return encoding.toUint8Array(e)
}

export function encodeResponse (res: BlobResponse): Uint8Array {
  const e = encoding.createEncoder()
  if (res.type === 'manifest') {
    const m = res.manifest
    encoding.writeVarUint(e, MSG_MANIFEST)
    encoding.writeUint8Array(e, hexToBytes(m.id))
    encoding.writeVarUint(e, m.size)
    encoding.writeVarUint(e, m.chunks.length)
    for (const c of m.chunks) {
      encoding.writeUint8Array(e, hexToBytes(c.hash))
      encoding.writeVarUint(e, c.length)
    }
  } else if (res.type === 'chunks') {
    encoding.writeVarUint(e, MSG_CHUNKS)
    encoding.writeVarUint(e, res.chunks.length)
    for (const c of res.chunks) {
      encoding.writeUint8Array(e, hexToBytes(c.hash))
      encoding.writeVarUint8Array(e, c.frame)
    }
  } else {
    encoding.writeVarUint(e, MSG_NOT_FOUND)
    encoding.writeUint8Array(e, hexToBytes(res.id))
  }
  return encoding.toUint8Array(e)
}

const BLOB_ERRORS = { own: MalformedBlobMessageError, make: (detail: string) => new MalformedBlobMessageError(`truncated or malformed ${detail}`) }
const guarded = <T>(bytes: Uint8Array, what: string, read: (d: decoding.Decoder) => T): T => decodeExact(bytes, what, read, BLOB_ERRORS)

function count (d: decoding.Decoder, minBytesEach: number, max: number, what: string): number {
  const n = decoding.readVarUint(d)
  if (n > max || n * minBytesEach > d.arr.length - d.pos) throw new MalformedBlobMessageError(`${what} count ${n} is over its limit or the bytes left`)
  return n
}

const hex = (d: decoding.Decoder, n: number): string => {
  if (d.arr.length - d.pos < n) throw new MalformedBlobMessageError('truncated hash')
  return bytesToHex(decoding.readUint8Array(d, n))
}

export function decodeRequest (bytes: Uint8Array): BlobRequest {
  return guarded(bytes, 'blob request', d => {
    const type = decoding.readVarUint(d)
    if (type === MSG_MANIFEST) return { type: 'manifest', id: hex(d, 32) }
    if (type === MSG_CHUNKS) {
      const n = count(d, 8, MAX_CHUNKS_PER_REQUEST, 'chunk request')
      const hashes: string[] = []
      for (let i = 0; i < n; i++) hashes.push(hex(d, 8))
      return { type: 'chunks', hashes }
    }
    throw new MalformedBlobMessageError(`unknown blob request type ${type}`)
  })
}

export function decodeResponse (bytes: Uint8Array): BlobResponse {
  return guarded(bytes, 'blob response', d => {
    const type = decoding.readVarUint(d)
    if (type === MSG_MANIFEST) {
      const id = hex(d, 32)
      const size = decoding.readVarUint(d)
      const n = count(d, 9, Number.MAX_SAFE_INTEGER, 'manifest chunk')
      const chunks = []
      let total = 0
      for (let i = 0; i < n; i++) {
        const hash = hex(d, 8)
        const length = decoding.readVarUint(d)
        if (length < 1 || length > MAX_CHUNK_BYTES) throw new MalformedBlobMessageError(`chunk length ${length} is outside 1..${MAX_CHUNK_BYTES}`)
        total += length
        chunks.push({ hash, length })
      }
      if (total !== size) throw new MalformedBlobMessageError(`manifest chunk lengths sum to ${total}, not its size ${size}`)
      return { type: 'manifest', manifest: { id, size, chunks } }
    }
    if (type === MSG_CHUNKS) {
      const n = count(d, 9, MAX_CHUNKS_PER_REQUEST, 'chunk')
      const chunks = []
      for (let i = 0; i < n; i++) {
        const hash = hex(d, 8)
        const len = decoding.readVarUint(d)
        if (len > d.arr.length - d.pos) throw new MalformedBlobMessageError('chunk frame runs past the message')
        chunks.push({ hash, frame: decoding.readUint8Array(d, len) })
      }
      return { type: 'chunks', chunks }
    }
    if (type === MSG_NOT_FOUND) return { type: 'notFound', id: hex(d, 32) }
    throw new MalformedBlobMessageError(`unknown blob response type ${type}`)
  })
}
