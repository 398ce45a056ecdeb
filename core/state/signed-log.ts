/**
 * The signed entries this peer has applied, in the order it applied them: what it relays to others.
 *
 * Per client id the entries are held without gaps (seq 0, 1, 2, …), so "how much of client X do you
 * have" is one number and a peer's whole holding is a vector of them (the sync step1). The global
 * order is the application order, which is a topological order of the entries' Yjs dependencies:
 * answering a step1 with the missing entries in this order lets the asker apply them as they come.
 * Nothing unapplied is ever here (that lives, bounded, in ./pending.ts).
 *
 * Where the bytes are: with a keyed store (one that gives entries back by key: LevelDB on a Node
 * peer) the log appends each entry there and keeps only its key, length and SHA-256 (for the
 * duplicate/equivocation check), reading the bytes back when it answers a handshake; without one (no
 * store, or the tab's IndexedDB store) it keeps them in memory, in shared slabs. Issue 21: ~450 bytes per entry held for
 * the life of the data on every replica.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { MAX_ENTRIES } from './codec.ts'
import { StoredEntryError } from './errors.ts'

/** A store that keeps entries under keys it chooses and gives them back (LevelDB on a Node peer). */
export interface KeyedEntries {
  /** Every stored entry in arrival order, with its key. */
  load: () => Promise<Array<{ key: number, bytes: Uint8Array }>>
  /** Stores the entry and returns its key. */
  append: (entry: Uint8Array) => number
  /** The entries under `keys`, in that order (after the writes still under way). */
  read: (keys: readonly number[]) => Promise<Uint8Array[]>
}

/**
 * In memory, entry bytes live in shared slabs of this size (an entry over a quarter of it gets a
 * slab of its own), and each entry's client, seq, slab (or store key), offset and length in one
 * growable Float64Array (40 bytes, outside the JS heap like the slabs): one Uint8Array per entry cost
 * ~350 bytes of heap beside its data (the view, its ArrayBuffer, the order record). What stays on the
 * heap is the per-client seq index (~8 bytes per entry).
 */
const SLAB = 64 * 1024
/** Fields per entry in `meta`: client, seq, slab (or store key), start, length. */
const F = 5
const DIGEST = 32

const equalBytes = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

export class SignedLog {
  /** Per client, the position (in application order) of each of its entries, by seq. */
  private readonly byClient = new Map<number, number[]>()
  /** Per entry, in application order: F numbers (client ids and keys are < 2^53: exact as doubles). */
  private meta = new Float64Array(F * 256)
  /** With a store: per entry, the SHA-256 of its bytes. */
  private digests: Uint8Array
  private n = 0
  private readonly slabs: Uint8Array[] = []
  /** Bytes used of the last shared slab. */
  private used = SLAB
  private shared = -1
  private _bytes = 0

  /** `store`: entries added are stored there, and only their keys and digests kept here. */
  constructor (private readonly store?: KeyedEntries) {
    this.digests = new Uint8Array(store == null ? 0 : DIGEST * 256)
  }

  get size (): number { return this.n }
  get bytes (): number { return this._bytes }
  /** Whether entry bytes are read back from a store (else they are held here). */
  get stored (): boolean { return this.store != null }

  /** Entries held for `client` (= the next seq expected from it). */
  count (client: number): number { return this.byClient.get(client)?.length ?? 0 }

  has (client: number, seq: number): boolean { return this.byClient.get(client)?.[seq] !== undefined }

  /**
   * Whether `bytes` are exactly the entry held as `seq` of `client` (undefined: none held). With a
   * store the comparison is by SHA-256: equal digests stand for equal bytes.
   */
  same (client: number, seq: number, bytes: Uint8Array): boolean | undefined {
    const i = this.byClient.get(client)?.[seq]
    if (i === undefined) return undefined
    if (this.store == null) return equalBytes(this.at(i), bytes)
    if (bytes.length !== this.meta[i * F + 4]) return false
    return equalBytes(sha256(bytes), this.digests.subarray(i * DIGEST, (i + 1) * DIGEST))
  }

  private at (i: number): Uint8Array {
    const m = this.meta
    const start = m[i * F + 3]
    return this.slabs[m[i * F + 2]].subarray(start, start + m[i * F + 4])
  }

  /**
   * Appends the entry `seq` of `client`; only the next one in line is accepted. Without a store the
   * bytes are copied in; with one, they are appended to the store, or with `key` (entries loaded
   * from the store) taken to be there already.
   */
  add (client: number, seq: number, bytes: Uint8Array, key?: number): void {
    let list = this.byClient.get(client)
    if (list == null) { list = []; this.byClient.set(client, list) }
    if (seq !== list.length) throw new RangeError(`entry ${seq} of client ${client} is out of line (next is ${list.length})`)
    if (key !== undefined && (this.store == null || !Number.isSafeInteger(key) || key < 0)) throw new RangeError(`entry ${seq} of client ${client}: bad store key ${key}`)
    if ((this.n + 1) * F > this.meta.length) {
      const grown = new Float64Array(this.meta.length * 2)
      grown.set(this.meta)
      this.meta = grown
    }
    let slab: number
    let start = 0
    if (this.store != null) {
      slab = key ?? this.store.append(bytes)
      if ((this.n + 1) * DIGEST > this.digests.length) {
        const grown = new Uint8Array(this.digests.length * 2)
        grown.set(this.digests)
        this.digests = grown
      }
      this.digests.set(sha256(bytes), this.n * DIGEST)
    } else if (bytes.length > SLAB / 4) {
      slab = this.slabs.push(bytes.slice()) - 1
    } else {
      if (this.used + bytes.length > SLAB) { this.shared = this.slabs.push(new Uint8Array(SLAB)) - 1; this.used = 0 }
      slab = this.shared
      start = this.used
      this.slabs[slab].set(bytes, start)
      this.used += bytes.length
    }
    this.meta.set([client, seq, slab, start, bytes.length], this.n * F)
    list.push(this.n++)
    this._bytes += bytes.length
  }

  vector (): Map<number, number> {
    const v = new Map<number, number>()
    for (const [client, list] of this.byClient) v.set(client, list.length)
    return v
  }

  /** Whether `vector` holds something we lack. */
  behind (vector: ReadonlyMap<number, number>): boolean {
    for (const [client, n] of vector) if (n > this.count(client)) return true
    return false
  }

  /**
   * The entries a peer holding `vector` lacks, in application order, cut into chunks of at most
   * `budget` bytes and MAX_ENTRIES entries (an entry larger than the budget goes alone), at most
   * `maxChunks` of them. Chunks are cut from the lengths held here and read (from the store, with
   * one) one at a time as they are asked for; entries added meanwhile are not included. A store
   * that gives back other bytes than were added throws `StoredEntryError`.
   */
  async * missing (vector: ReadonlyMap<number, number>, budget: number, maxChunks = Infinity): AsyncGenerator<Uint8Array[], void, undefined> {
    const n = this.n
    let chunk: number[] = []
    let size = 0
    let made = 0
    for (let i = 0; i < n; i++) {
      // this.meta, not a local: it may be replaced by a bigger one while a chunk is read
      if (this.meta[i * F + 1] < (vector.get(this.meta[i * F]) ?? 0)) continue
      const length = this.meta[i * F + 4]
      if (chunk.length > 0 && (size + length > budget || chunk.length >= MAX_ENTRIES)) {
        yield await this.read(chunk)
        if (++made >= maxChunks) return
        chunk = []; size = 0
      }
      chunk.push(i); size += length
    }
    if (chunk.length > 0) yield await this.read(chunk)
  }

  /** The bytes of the entries at these positions. */
  private async read (positions: number[]): Promise<Uint8Array[]> {
    if (this.store == null) return positions.map(i => this.at(i))
    const out = await this.store.read(positions.map(i => this.meta[i * F + 2]))
    positions.forEach((i, k) => {
      const bytes = out[k]
      if (bytes == null || bytes.length !== this.meta[i * F + 4] || !equalBytes(sha256(bytes), this.digests.subarray(i * DIGEST, (i + 1) * DIGEST))) {
        throw new StoredEntryError(`stored signed entry ${this.meta[i * F + 1]} of client ${this.meta[i * F]} (key ${this.meta[i * F + 2]}) is missing or changed`)
      }
    })
    return out
  }
}
