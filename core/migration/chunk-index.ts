/**
 * A kept checkpoint's memory named chunk by chunk: what a peer computes when it stores or keeps a
 * checkpoint of a task (checkpoint-keeper.ts), so that a migration's offer to it only compares
 * names.
 *
 * Why: a target keeping the task's checkpoint used to cut that snapshot's memory into fixed 8 KiB
 * chunks when the offer arrived — the checkpoint blob read back whole, then an xxh64 and a SHA-256
 * of every chunk (32,768 of each for 256 MiB) — all before its `accept`, while the task went on
 * dirtying memory on the source: the kept copy aged by the offer's time, and more of it had to be
 * sent. The index holds, per fixed chunk, its xxh64 name (the wire's chunk name, dirty.ts) and its
 * SHA-256 (the snapshot digest's hash list, digest.ts): 40 bytes per 8 KiB chunk, 0.5 % of memory.
 * The offer answers from the names; the chunks' bytes go into the session's image after the
 * answer (chunk-image.ts `fill`), checked against their names as they are copied.
 *
 * Encoded to keep it beside the checkpoint (node-runtime keeps it in the data dir, so it survives a
 * restart as the checkpoint does):
 *
 *   index := "NCCI" • varUint(1) • bytes32(blob) • varUint(chunkBytes) • varUint(memoryBytes)
 *            • bytes8(xxh64)^n • bytes32(sha256)^n • bytes8(xxh64 of every byte before it)
 *
 * with n = memoryBytes / chunkBytes (whole chunks: memory is whole 64 KiB pages). Every field is
 * checked, and the length must be exactly what n implies, before anything is allocated; a torn or
 * altered file fails its checksum. All failures are `MigrationDecodeError`.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { xxh64 } from '../../core-wasm/index.ts'
import { decodeExact } from '../codec/decode-exact.ts'
import { sha256 as webSha256, type SyncSha256 } from './digest.ts'
import { chunkName, DEFAULT_CHUNK_BYTES } from './dirty.ts'
import { MigrationDecodeError } from './errors.ts'

const MAGIC = [0x4e, 0x43, 0x43, 0x49] // "NCCI"
const VERSION = 1
/** the largest memory an index describes (wasm32's) */
const MAX_MEMORY = 2 ** 32
/** bytes indexed between turns of the event loop */
const SLICE = 4 << 20

export class ChunkIndex {
  /** the chunk count */
  readonly count: number
  private namesCache: string[] | undefined

  /**
   * `blob`: the checkpoint blob's id (hex SHA-256) it indexes; `hashes[i]`: chunk i's xxh64;
   * `shas`: chunk i's SHA-256 at `32 * i`
   */
  constructor (readonly blob: string, readonly chunkBytes: number, readonly memoryBytes: number, readonly hashes: BigUint64Array, readonly shas: Uint8Array) {
    if (!Number.isInteger(chunkBytes) || chunkBytes < 64 || chunkBytes > 1 << 20) throw new RangeError('chunkBytes must be an integer from 64 to 1 MiB')
    if (!Number.isSafeInteger(memoryBytes) || memoryBytes < 0 || memoryBytes > MAX_MEMORY || memoryBytes % chunkBytes !== 0) throw new RangeError(`memory of ${memoryBytes} bytes is not whole ${chunkBytes}-byte chunks`)
    this.count = memoryBytes / chunkBytes
    if (hashes.length !== this.count || shas.length !== 32 * this.count) throw new RangeError(`an index of ${this.count} chunks needs ${this.count} names and SHA-256s`)
  }

  /** chunk i's name (16 hex digits, as on the wire) */
  name (i: number): string { return chunkName(this.hashes[i]) }

  /** every chunk's name, in order (made once) */
  names (): string[] {
    return (this.namesCache ??= Array.from({ length: this.count }, (_, i) => this.name(i)))
  }

  /** chunk i's SHA-256 (a view) */
  sha (i: number): Uint8Array { return this.shas.subarray(32 * i, 32 * i + 32) }
}

/**
 * Indexes `memory` (a checkpoint's, of blob `blob`): each fixed chunk's xxh64 and SHA-256, 4 MiB
 * between turns of the event loop (a 256 MiB checkpoint is ~0.5 s of hashing here). `sha256`: a
 * synchronous SHA-256 @default WebCrypto's
 */
export async function indexMemory (memory: Uint8Array, blob: string, sha256?: SyncSha256, chunkBytes = DEFAULT_CHUNK_BYTES): Promise<ChunkIndex> {
  if (memory.length % chunkBytes !== 0) throw new RangeError(`memory of ${memory.length} bytes is not whole ${chunkBytes}-byte chunks`)
  const n = memory.length / chunkBytes
  const hashes = new BigUint64Array(n)
  const shas = new Uint8Array(32 * n)
  const every = Math.max(1, Math.floor(SLICE / chunkBytes))
  for (let i = 0; i < n; i++) {
    const chunk = memory.subarray(i * chunkBytes, (i + 1) * chunkBytes)
    hashes[i] = xxh64(chunk)
    shas.set(sha256 != null ? sha256(chunk) : await webSha256(chunk), 32 * i)
    if ((i + 1) % every === 0 && i + 1 < n) await new Promise(resolve => setTimeout(resolve, 0))
  }
  return new ChunkIndex(blob, chunkBytes, memory.length, hashes, shas)
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'))

function blobBytes (id: string): Uint8Array {
  if (!/^[0-9a-f]{64}$/.test(id)) throw new TypeError(`not a blob id: ${id}`)
  const out = new Uint8Array(32)
  for (let i = 0; i < 32; i++) out[i] = parseInt(id.slice(2 * i, 2 * i + 2), 16)
  return out
}

export function encodeChunkIndex (ix: ChunkIndex): Uint8Array {
  const e = encoding.createEncoder()
  for (const b of MAGIC) encoding.writeUint8(e, b)
  encoding.writeVarUint(e, VERSION)
  encoding.writeUint8Array(e, blobBytes(ix.blob))
  encoding.writeVarUint(e, ix.chunkBytes)
  encoding.writeVarUint(e, ix.memoryBytes)
  const head = encoding.toUint8Array(e)
  const out = new Uint8Array(head.length + 40 * ix.count + 8)
  out.set(head)
  const view = new DataView(out.buffer)
  let at = head.length
  for (let i = 0; i < ix.count; i++, at += 8) view.setBigUint64(at, ix.hashes[i]) // big-endian: its hex is the chunk's name
  out.set(ix.shas, at)
  at += ix.shas.length
  view.setBigUint64(at, xxh64(out.subarray(0, at)))
  return out
}

const bad = (msg: string): never => { throw new MigrationDecodeError(`chunk index: ${msg}`) }

/**
 * Decodes an index, which must describe blob `blob` (when given) and a memory of at most
 * `maxMemoryBytes` @default 4 GiB. `MigrationDecodeError` for anything else.
 */
export function decodeChunkIndex (bytes: Uint8Array, opts: { blob?: string, maxMemoryBytes?: number } = {}): ChunkIndex {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('a chunk index must be a Uint8Array')
  if (bytes.length < 8) bad('shorter than its checksum')
  const body = bytes.length - 8
  if (new DataView(bytes.buffer, bytes.byteOffset, bytes.length).getBigUint64(body) !== xxh64(bytes.subarray(0, body))) bad('checksum mismatch (torn or altered)')
  return decodeExact(bytes.subarray(0, body), 'chunk index', d => {
    for (const b of MAGIC) if (decoding.readUint8(d) !== b) bad('bad magic')
    const version = decoding.readVarUint(d)
    if (version !== VERSION) bad(`version ${version} is not supported`)
    let blob = ''
    for (const b of decoding.readUint8Array(d, 32)) blob += HEX[b]
    if (opts.blob != null && blob !== opts.blob) bad(`it indexes blob ${blob.slice(0, 12)}…, not ${opts.blob.slice(0, 12)}…`)
    const chunkBytes = decoding.readVarUint(d)
    const memoryBytes = decoding.readVarUint(d)
    if (chunkBytes < 64 || chunkBytes > 1 << 20) bad(`chunk size ${chunkBytes} is out of range`)
    if (memoryBytes > Math.min(opts.maxMemoryBytes ?? MAX_MEMORY, MAX_MEMORY) || memoryBytes % chunkBytes !== 0) bad(`memory of ${memoryBytes} bytes is over the bound or not whole chunks`)
    const n = memoryBytes / chunkBytes
    if (d.arr.length - d.pos !== 40 * n) bad(`${d.arr.length - d.pos} bytes of chunks, not ${40 * n}`)
    const hashes = new BigUint64Array(n)
    const view = new DataView(d.arr.buffer, d.arr.byteOffset + d.pos, 8 * n)
    for (let i = 0; i < n; i++) hashes[i] = view.getBigUint64(8 * i)
    d.pos += 8 * n
    const shas = decoding.readUint8Array(d, 32 * n).slice()
    return new ChunkIndex(blob, chunkBytes, memoryBytes, hashes, shas)
  }, { own: MigrationDecodeError, make: detail => new MigrationDecodeError(detail) })
}
