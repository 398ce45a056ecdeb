/**
 * The signed entries this peer has applied, in the order it applied them: what it relays to others.
 *
 * Per client id the entries are held without gaps (seq 0, 1, 2, …), so "how much of client X do you
 * have" is one number and a peer's whole holding is a vector of them (the sync step1). The global
 * order is the application order, which is a topological order of the entries' Yjs dependencies:
 * answering a step1 with the missing entries in this order lets the asker apply them as they come.
 * Nothing unapplied is ever here (that lives, bounded, in ./pending.ts).
 */
import { MAX_ENTRIES } from './codec.ts'

/**
 * Entry bytes live in shared slabs of this size (an entry over a quarter of it gets a slab of its
 * own), and each entry's client, seq, slab, offset and length in one growable Float64Array (40
 * bytes, outside the JS heap like the slabs): one Uint8Array per entry cost ~350 bytes of heap beside
 * its ~450 bytes of data (the view, its ArrayBuffer, the order record), held for the life of the
 * data on every replica (issue 21). What stays on the heap is the per-client seq index (~8 bytes).
 */
const SLAB = 64 * 1024
/** Fields per entry in `meta`: client, seq, slab, start, length. */
const F = 5

export class SignedLog {
  /** Per client, the position (in application order) of each of its entries, by seq. */
  private readonly byClient = new Map<number, number[]>()
  /** Per entry, in application order: F numbers (client ids are < 2^53: exact as doubles). */
  private meta = new Float64Array(F * 256)
  private n = 0
  private readonly slabs: Uint8Array[] = []
  /** Bytes used of the last shared slab. */
  private used = SLAB
  private shared = -1
  private _bytes = 0

  get size (): number { return this.n }
  get bytes (): number { return this._bytes }

  /** Entries held for `client` (= the next seq expected from it). */
  count (client: number): number { return this.byClient.get(client)?.length ?? 0 }

  /** The entry's bytes (a view into the log's storage: copy it to keep it past the log). */
  get (client: number, seq: number): Uint8Array | undefined {
    const i = this.byClient.get(client)?.[seq]
    return i === undefined ? undefined : this.at(i)
  }

  private at (i: number): Uint8Array {
    const m = this.meta
    const start = m[i * F + 3]
    return this.slabs[m[i * F + 2]].subarray(start, start + m[i * F + 4])
  }

  /** Appends the entry `seq` of `client` (copied); only the next one in line is accepted. */
  add (client: number, seq: number, bytes: Uint8Array): void {
    let list = this.byClient.get(client)
    if (list == null) { list = []; this.byClient.set(client, list) }
    if (seq !== list.length) throw new RangeError(`entry ${seq} of client ${client} is out of line (next is ${list.length})`)
    let slab: number
    let start = 0
    if (bytes.length > SLAB / 4) {
      slab = this.slabs.push(bytes.slice()) - 1
    } else {
      if (this.used + bytes.length > SLAB) { this.shared = this.slabs.push(new Uint8Array(SLAB)) - 1; this.used = 0 }
      slab = this.shared
      start = this.used
      this.slabs[slab].set(bytes, start)
      this.used += bytes.length
    }
    if ((this.n + 1) * F > this.meta.length) {
      const grown = new Float64Array(this.meta.length * 2)
      grown.set(this.meta)
      this.meta = grown
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
   * `budget` bytes and MAX_ENTRIES entries (an entry larger than the budget goes alone).
   */
  missing (vector: ReadonlyMap<number, number>, budget: number, maxChunks = Infinity): Uint8Array[][] {
    const chunks: Uint8Array[][] = []
    let chunk: Uint8Array[] = []
    let size = 0
    for (let i = 0; i < this.n; i++) {
      if (this.meta[i * F + 1] < (vector.get(this.meta[i * F]) ?? 0)) continue
      const bytes = this.at(i)
      if (chunk.length > 0 && (size + bytes.length > budget || chunk.length >= MAX_ENTRIES)) {
        chunks.push(chunk)
        if (chunks.length >= maxChunks) return chunks
        chunk = []; size = 0
      }
      chunk.push(bytes); size += bytes.length
    }
    if (chunk.length > 0) chunks.push(chunk)
    return chunks
  }
}
