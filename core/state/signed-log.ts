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

export class SignedLog {
  private readonly byClient = new Map<number, Uint8Array[]>()
  private readonly order: Array<{ client: number, seq: number }> = []
  private _bytes = 0

  get size (): number { return this.order.length }
  get bytes (): number { return this._bytes }

  /** Entries held for `client` (= the next seq expected from it). */
  count (client: number): number { return this.byClient.get(client)?.length ?? 0 }

  get (client: number, seq: number): Uint8Array | undefined { return this.byClient.get(client)?.[seq] }

  /** Appends the entry `seq` of `client`; only the next one in line is accepted. */
  add (client: number, seq: number, bytes: Uint8Array): void {
    let list = this.byClient.get(client)
    if (list == null) { list = []; this.byClient.set(client, list) }
    if (seq !== list.length) throw new RangeError(`entry ${seq} of client ${client} is out of line (next is ${list.length})`)
    list.push(bytes)
    this.order.push({ client, seq })
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
    for (const { client, seq } of this.order) {
      if (seq < (vector.get(client) ?? 0)) continue
      const bytes = this.byClient.get(client)?.[seq] as Uint8Array
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
