/**
 * The source's chunk frames, written straight into the `chunks` request that carries them.
 *
 * Memory that a process touches for the first time costs a page fault per 4 KiB page: ~23 µs per
 * fresh 8 KiB on this machine, against 0.4 µs to write 8 KiB into pages already touched. A frame
 * per chunk, then a request buffer for each batch, cost two such faults per chunk — more than all
 * the rest of the source's per-chunk work. A `ChunkBatchWriter` writes each batch's frames in place
 * into one buffer it keeps for the whole migration (the caller sends one request at a time and
 * does not reuse the bytes once the target answered), so a chunk costs one copy into warm pages.
 *
 *   chunkFrame := bytes8(xxh64) • varUint8Array(lz4Frame(chunk))
 * A chunk that looks random goes in an LZ4 frame that stores it raw (stored-frame.ts).
 */
import { compressFrame } from '../../core-wasm/index.ts'
import { chunksRequestHead, hexDigit, varUintLength, writeVarUintAt } from './protocol-codec.ts'
import { looksIncompressible, STORED_OVERHEAD, writeStoredFrame } from './stored-frame.ts'

/** one chunk of a batch: where it goes (chunk index of memory), its name, its bytes */
export interface BatchChunk { index: number, hash: string, chunk: Uint8Array }

/** The LZ4 frame of a chunk that would compress; undefined for one stored raw. */
function compressedOrNot (chunk: Uint8Array): Uint8Array | undefined {
  return chunk.length <= 65536 && looksIncompressible(chunk) ? undefined : compressFrame(chunk)
}

const lz4Length = (chunk: Uint8Array, lz4: Uint8Array | undefined): number => lz4?.length ?? STORED_OVERHEAD + chunk.length
const frameLength = (lz4Len: number): number => 8 + varUintLength(lz4Len) + lz4Len

/** Writes `chunkFrame` at `at` (`frameLength` bytes); the position after it. */
function writeChunkFrame (out: Uint8Array, at: number, hash: string, chunk: Uint8Array, lz4: Uint8Array | undefined): number {
  writeHash(out, at, hash)
  at = writeVarUintAt(out, at + 8, lz4Length(chunk, lz4))
  if (lz4 != null) { out.set(lz4, at); return at + lz4.length }
  return writeStoredFrame(out, at, chunk)
}

/** One chunk frame in a buffer of its own (tests, and anyone sending a single chunk). */
export function encodeChunkFrame (hash: string, chunk: Uint8Array): Uint8Array {
  const lz4 = compressedOrNot(chunk)
  const out = new Uint8Array(frameLength(lz4Length(chunk, lz4)))
  writeChunkFrame(out, 0, hash, chunk, lz4)
  return out
}

/** Writes `chunks` requests for one migration into one buffer, reused from batch to batch. */
export class ChunkBatchWriter {
  private buf = new Uint8Array(0)

  /**
   * The `chunks` request of migration `id` carrying `batch`, as a view of this writer's buffer:
   * valid until the next `write`. `corrupt` (tests) flips the last byte of the first frame.
   */
  write (id: string, batch: readonly BatchChunk[], corrupt = false): Uint8Array {
    const lz4s = batch.map(c => compressedOrNot(c.chunk))
    const head = chunksRequestHead(id, batch.length)
    let size = head.length
    for (const [k, c] of batch.entries()) {
      const f = frameLength(lz4Length(c.chunk, lz4s[k]))
      size += varUintLength(c.index) + varUintLength(f) + f
    }
    if (this.buf.length < size) this.buf = new Uint8Array(Math.max(size, this.buf.length * 2))
    const out = this.buf
    out.set(head)
    let at = head.length
    for (const [k, c] of batch.entries()) {
      at = writeVarUintAt(out, at, c.index)
      at = writeVarUintAt(out, at, frameLength(lz4Length(c.chunk, lz4s[k])))
      at = writeChunkFrame(out, at, c.hash, c.chunk, lz4s[k])
      if (corrupt && k === 0) out[at - 1] ^= 0x5a
    }
    return out.subarray(0, size)
  }
}

/** Writes a 16-hex-digit xxh64 name as its 8 bytes at `at`. */
function writeHash (out: Uint8Array, at: number, hash: string): void {
  if (hash.length !== 16) throw new TypeError(`not an xxh64 hex hash: ${hash}`)
  for (let i = 0; i < 8; i++) {
    const hi = hexDigit(hash.charCodeAt(2 * i))
    const lo = hexDigit(hash.charCodeAt(2 * i + 1))
    if (hi < 0 || lo < 0) throw new TypeError(`not an xxh64 hex hash: ${hash}`)
    out[at + i] = hi * 16 + lo
  }
}

