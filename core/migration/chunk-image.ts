/**
 * The target's image of an arriving task's memory: each verified chunk is written at once at its
 * index (protocol 1.2.0's `chunks` carry it), into one buffer for the whole migration.
 *
 * Why: fresh memory costs a page fault per 4 KiB here (~23 µs per 8 KiB against 0.4 µs to write
 * warm pages). A chunk store keyed by name made a fresh copy of every chunk of every round and
 * assembled a new 256 MiB snapshot at the end; the image is faulted in once (the first round) and
 * later rounds overwrite the same pages. The buffer keeps room before and after memory for the
 * snapshot's other fields, so the snapshot handed to the new worker is the image itself, not a
 * copy (`snapshot()`). Pages never written cost nothing: the buffer is sized to the job's memory
 * cap, but only the pages chunks land on are ever touched.
 *
 * Integrity: a chunk is written only after its xxh64 matched its name (`ChunkHashError` otherwise:
 * asked again); its SHA-256 is taken from the image as it lands, per index — the snapshot digest's
 * hash list (digest.ts) is over what the image holds, whatever names a source reuses. At `final`,
 * `resolve` fills the indices whose chunk the source did not send there (it sent that content at
 * another index, or it is in the checkpoint kept here, or it is an untouched zero chunk) and names
 * the chunks it cannot find, which the source sends again.
 *
 * A checkpoint of the task kept here comes by its index (chunk-index.ts, made when it was stored):
 * its names are held at once (`holdIndex`: the offer answers without reading the checkpoint), and
 * `fill` — after the answer, while the first round runs — copies its chunks in at every index no
 * chunk landed at yet, each checked against its xxh64 name, its SHA-256 taken from the index.
 * Since session 15 that copy normally goes into the new worker's instance instead (`useBase`,
 * warm-base.ts): `resolve` leaves each index whose recipe chunk is the checkpoint's own chunk
 * there, held by that instance, to it (`baseHeld`), and the image holds only what arrived.
 */
import { xxh64, xxh64Hex, type ChunkRecipe } from '../../core-wasm/index.ts'
import type { ChunkIndex } from './chunk-index.ts'
import { ChunkDigests, hashListDigest, sha256 as webSha256, type SyncSha256 } from './digest.ts'
import { DEFAULT_CHUNK_BYTES } from './dirty.ts'
import { MigrationDecodeError } from './errors.ts'
import { readChunkFrame } from './precopy.ts'
import { encodeSnapshotWith, snapshotParts } from './snapshot-codec.ts'
import type { TaskSnapshot } from './snapshot.ts'

/** bytes kept free before memory: a snapshot's head ("NCSN", version, memory length) is at most 10 */
const HEAD_ROOM = 16
/** bytes kept free after the largest memory for the snapshot's tail (globals, stack, output); more is copied */
const TAIL_ROOM = 1 << 20
/** bytes `fill` writes between turns of the event loop */
const FILL_SLICE = 16 << 20
/** the largest memory an image holds: a typed array's length stays under 4 GiB (wasm32's own limit) */
const MAX_IMAGE = 2 ** 32 - 1 - HEAD_ROOM - TAIL_ROOM

export class ChunkImage {
  /** no chunk lands past this many bytes: the job's memory cap (at most `MAX_IMAGE`) */
  readonly maxBytes: number
  /** HEAD_ROOM • memory (up to `maxBytes`) • TAIL_ROOM; allocated at the first chunk */
  private buf: Uint8Array | undefined
  /** by index: the name of the chunk the image holds there (unset: never written, zeros) */
  private readonly names: string[] = []
  /** by index: that chunk's SHA-256 */
  private readonly shas: Array<Uint8Array | Promise<Uint8Array>> = []
  /** name → the index it was last written at (valid while `names` there still says so) */
  private readonly where = new Map<string, number>()
  private readonly held: Map<string, Uint8Array>
  private readonly heldShas: ChunkDigests
  private zero: { name: string, sha: Uint8Array | Promise<Uint8Array> } | undefined
  /**
   * a checkpoint kept here, known by its index (`holdIndex`): where each of its names first
   * occurs in it, and its memory once `fill` has it
   */
  private kept: { index: ChunkIndex, at: Map<string, number>, memory: Uint8Array | undefined } | undefined
  /**
   * the kept checkpoint copied into the new worker's instance instead of this image (`useBase`,
   * warm-base.ts): which of its chunks the instance holds, the chunks `resolve` left to it
   * (`baseHeld`), and how to read the checkpoint here when a chunk of it is needed elsewhere
   */
  private base: { held: Uint8Array, flags: Uint8Array, read: () => Uint8Array | undefined } | undefined

  /**
   * `maxBytes`: the job's memory cap (no chunk lands past it); `held`: chunks of a checkpoint of
   * the task kept here, by name; `hashSync`: a synchronous SHA-256 @default WebCrypto's
   */
  constructor (maxBytes: number, held: Iterable<[string, Uint8Array]> = [], private readonly hashSync?: SyncSha256, readonly chunkBytes = DEFAULT_CHUNK_BYTES) {
    this.maxBytes = Math.min(maxBytes, MAX_IMAGE)
    this.held = new Map(held)
    this.heldShas = new ChunkDigests(hashSync)
    for (const [h, c] of this.held) this.heldShas.add(h, c)
  }

  private sha (bytes: Uint8Array): Uint8Array | Promise<Uint8Array> {
    return this.hashSync != null ? this.hashSync(bytes) : webSha256(bytes) // WebCrypto copies its input at the call
  }

  private image (): Uint8Array {
    return (this.buf ??= new Uint8Array(HEAD_ROOM + this.maxBytes + TAIL_ROOM))
  }

  /**
   * Holds the chunks a checkpoint kept here names in its `index` (chunk-index.ts, made when the
   * checkpoint was stored): they count as held at once (`heldNames`, the `accept` answer) without
   * the checkpoint being read or hashed; `fill` copies their bytes in. Whether it was taken (an
   * index of another chunk size, or of a memory over the cap, is not).
   */
  holdIndex (index: ChunkIndex): boolean {
    if (index.chunkBytes !== this.chunkBytes || index.memoryBytes > this.maxBytes) return false
    const at = new Map<string, number>()
    const names = index.names()
    for (let i = 0; i < names.length; i++) if (!at.has(names[i])) at.set(names[i], i)
    this.kept = { index, at, memory: undefined }
    return true
  }

  /**
   * Makes the image ready for the first `memoryBytes` of memory (at most the cap), 16 MiB between
   * turns of the event loop: at every index where no chunk landed yet, the kept checkpoint's chunk
   * (`holdIndex`; `memory` is its memory, each chunk checked against its name as it is copied —
   * one that does not match is left out, and asked for at `final` if needed), else zeros. Either
   * way the page is faulted in now, not when a chunk lands on it: a fresh page costs ~23 µs per
   * 8 KiB chunk here, a warm one 0.4 µs. Stops early once `stopped()` (the session ended).
   */
  async fill (memoryBytes: number, memory?: Uint8Array, stopped: () => boolean = () => false): Promise<void> {
    const cb = this.chunkBytes
    const kept = this.kept
    if (kept != null && memory != null && memory.length === kept.index.memoryBytes) kept.memory = memory
    const src = kept?.memory
    const end = Math.min(Math.max(0, memoryBytes, src?.length ?? 0), this.maxBytes)
    const img = this.image()
    const every = Math.max(1, Math.floor(FILL_SLICE / cb))
    for (let i = 0; i * cb < end; i++) {
      const at = HEAD_ROOM + i * cb
      if (this.names[i] === undefined) {
        const chunk = kept != null && src != null && i < kept.index.count ? src.subarray(i * cb, (i + 1) * cb) : undefined
        if (chunk != null && kept != null && xxh64(chunk) === kept.index.hashes[i]) {
          img.set(chunk, at)
          const name = kept.index.name(i)
          this.mark(i, name, kept.index.sha(i))
          this.where.set(name, i)
        } else {
          img.fill(0, at, Math.min(at + cb, HEAD_ROOM + end)) // never written: zeros either way
        }
      }
      if ((i + 1) % every === 0) {
        await new Promise(resolve => setTimeout(resolve, 0))
        if (stopped()) return
      }
    }
  }

  /**
   * The kept checkpoint (`holdIndex`) is in the new worker's instance, not here: `held` flags the
   * chunks it holds there (copied, their names matched: warm-base.ts `copyBase`). `resolve` then
   * leaves each index whose recipe chunk is the checkpoint's own chunk there to the instance
   * (`baseHeld`) instead of copying it in; `read` reads the checkpoint here only for a chunk of it
   * wanted at another index (or `fillBase`).
   */
  useBase (held: Uint8Array, read: () => Uint8Array | undefined): void {
    if (this.kept == null) return
    this.base = { held, flags: new Uint8Array(this.kept.index.count), read }
  }

  /**
   * By chunk index, up to `chunks`: 1 where the snapshot leaves the chunk to the instance holding
   * the kept checkpoint (`useBase`); undefined when none is left to it.
   */
  baseHeld (chunks: number): Uint8Array | undefined {
    const f = this.base?.flags
    if (f == null || !f.includes(1)) return undefined
    const out = new Uint8Array(Math.min(chunks, f.length))
    out.set(f.subarray(0, out.length))
    return out
  }

  /**
   * Writes the chunks `baseHeld` flags into `memory` (a built snapshot's memory) from the kept
   * checkpoint read here, each checked against its name: for a run that cannot take the instance
   * holding them. `MigrationDecodeError` when one cannot be read or does not match.
   */
  fillBase (memory: Uint8Array): void {
    const b = this.base
    const kept = this.kept
    if (b == null || kept == null || !b.flags.includes(1)) return
    const cb = this.chunkBytes
    const src = this.keptMemory()
    for (let i = 0; i < b.flags.length; i++) {
      if (b.flags[i] !== 1) continue
      const chunk = src?.subarray(i * cb, (i + 1) * cb)
      if (chunk == null || chunk.length !== cb || xxh64(chunk) !== kept.index.hashes[i]) throw new MigrationDecodeError(`chunk ${i} of the checkpoint kept here does not read back`)
      memory.set(chunk, i * cb)
    }
  }

  /** the kept checkpoint's memory here (read once, only when a chunk of it is needed on this thread) */
  private keptMemory (): Uint8Array | undefined {
    const kept = this.kept
    if (kept == null) return undefined
    if (kept.memory == null && this.base != null) {
      const m = this.base.read()
      if (m != null && m.length === kept.index.memoryBytes) kept.memory = m
    }
    return kept.memory
  }

  /** The index of the checkpoint kept here (`holdIndex`), if any. */
  keptIndex (): ChunkIndex | undefined { return this.kept?.index }

  /** The names held from the checkpoint kept here (the `accept` answer). */
  heldNames (): string[] {
    if (this.kept == null) return [...this.held.keys()]
    return [...new Set([...this.held.keys(), ...this.kept.at.keys()])]
  }

  /**
   * Writes one chunk frame at chunk `index`, once its xxh64 matches; its name. `ChunkHashError`
   * when corrupted (nothing written), `MigrationDecodeError` when malformed, past the memory cap or
   * not a whole chunk.
   */
  place (index: number, frame: Uint8Array): string {
    const cb = this.chunkBytes
    if (!Number.isSafeInteger(index) || index < 0 || (index + 1) * cb > this.maxBytes) throw new MigrationDecodeError(`chunk index ${index} is past the job's memory cap of ${this.maxBytes} bytes`)
    const { hash, chunk } = readChunkFrame(frame, cb)
    if (chunk.length !== cb) throw new MigrationDecodeError(`chunk ${index} has ${chunk.length} bytes, not ${cb}`)
    const at = HEAD_ROOM + index * cb
    const img = this.image()
    img.set(chunk, at)
    if (this.base != null && index < this.base.flags.length) this.base.flags[index] = 0 // the image holds it now
    this.names[index] = hash
    this.shas[index] = this.sha(img.subarray(at, at + cb))
    this.where.set(hash, index)
    return hash
  }

  /**
   * Makes the image hold `recipe`'s memory: every index whose chunk is not there is filled from
   * another index holding that name, the checkpoint kept here, or (never written) the zero chunk.
   * The names it cannot find (the source must send them again); `MigrationDecodeError` when the
   * recipe is over the cap or not whole chunks.
   */
  resolve (recipe: ChunkRecipe): string[] {
    const cb = this.chunkBytes
    if (recipe.totalLength > this.maxBytes) throw new MigrationDecodeError(`memory of ${recipe.totalLength} bytes is over the job's cap`)
    if (recipe.chunks.length * cb !== recipe.totalLength) throw new MigrationDecodeError(`a recipe of ${recipe.chunks.length} chunks for ${recipe.totalLength} bytes: not whole ${cb}-byte chunks`)
    const missing = new Set<string>()
    for (const [i, c] of recipe.chunks.entries()) {
      if (c.length !== cb) throw new MigrationDecodeError(`recipe chunk ${i} is ${c.length} bytes, not ${cb}`)
      const h = c.hash
      const b = this.base
      if (b != null && b.flags[i] === 1 && this.names[i] === h) continue
      // the instance holding the kept checkpoint has this very chunk at this index: left to it
      if (b != null && this.kept != null && i < this.kept.index.count && b.held[i] === 1 && this.names[i] !== h && this.kept.index.names()[i] === h) {
        b.flags[i] = 1
        this.mark(i, h, this.kept.index.sha(i))
        continue
      }
      if (this.names[i] === h) continue
      const j = this.where.get(h)
      if (j != null && this.names[j] === h) {
        const img = this.image()
        img.copyWithin(HEAD_ROOM + i * cb, HEAD_ROOM + j * cb, HEAD_ROOM + (j + 1) * cb)
        this.mark(i, h, this.shas[j])
        continue
      }
      const held = this.held.get(h)
      if (held != null && held.length === cb) {
        this.image().set(held, HEAD_ROOM + i * cb)
        this.mark(i, h, this.heldShas.get(h) as Uint8Array | Promise<Uint8Array>)
        continue
      }
      const k = this.kept?.at.get(h)
      const src = k != null ? this.keptMemory() : undefined
      const from = k != null && src != null ? src.subarray(k * cb, (k + 1) * cb) : undefined
      if (from != null && k != null && this.kept != null && xxh64Hex(from) === h) { // `fill` may not have checked index k (a chunk landed there first)
        this.image().set(from, HEAD_ROOM + i * cb)
        this.mark(i, h, this.kept.index.sha(k))
        continue
      }
      const zero = this.zeroChunk()
      if (this.names[i] === undefined && h === zero.name) { this.mark(i, h, zero.sha); continue } // never written: zeros
      missing.add(h)
    }
    return [...missing]
  }

  private mark (i: number, name: string, sha: Uint8Array | Promise<Uint8Array>): void {
    this.names[i] = name
    this.shas[i] = sha
  }

  private zeroChunk (): { name: string, sha: Uint8Array | Promise<Uint8Array> } {
    if (this.zero == null) {
      const z = new Uint8Array(this.chunkBytes)
      this.zero = { name: xxh64Hex(z), sha: this.sha(z) }
    }
    return this.zero
  }

  /** The snapshot digest (digest.ts) of `meta` with the first `chunks` of the image (after `resolve`). */
  async digest (meta: Uint8Array, chunks: ChunkRecipe['chunks']): Promise<string> {
    return await hashListDigest(meta, chunks, chunks.map((_, i) => this.shas[i]), this.hashSync)
  }

  /**
   * The encoded snapshot of `meta` with the image's first `memoryLength` bytes as its memory:
   * written around the image in place (no copy of memory) when its other fields fit the room
   * kept, else copied out. The image is spent: build it once.
   */
  snapshot (meta: TaskSnapshot, memoryLength: number): Uint8Array {
    const img = this.image()
    this.buf = undefined
    const { head, tail } = snapshotParts(meta, memoryLength)
    const end = HEAD_ROOM + memoryLength
    if (head.length <= HEAD_ROOM && end + tail.length <= img.length) {
      img.set(head, HEAD_ROOM - head.length)
      img.set(tail, end)
      return img.subarray(HEAD_ROOM - head.length, end + tail.length)
    }
    return encodeSnapshotWith(meta, memoryLength, dst => { dst.set(img.subarray(HEAD_ROOM, end)) })
  }
}
