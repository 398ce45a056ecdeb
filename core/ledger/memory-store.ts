/**
 * `LedgerStore` over a Map: tests, and tabs without IndexedDB. Enforces the same append rules as the
 * LevelDB and IndexedDB stores (store-rules.ts); keeps copies so a caller cannot change a stored
 * record behind its back (except through `tamper`, for tests of `verifyChain`).
 */
import { checkAppend, checkHeight, StoreClosedError } from './store-rules.ts'
import type { BlockRecord, LedgerStore } from './types.ts'

function copy (r: BlockRecord): BlockRecord {
  return { ...r, block: r.block.slice(), certificate: r.certificate.map(c => c.slice()), head: r.head.slice() }
}

export class MemoryStore implements LedgerStore {
  private genesis?: Uint8Array
  private votes?: Uint8Array
  private readonly records = new Map<number, BlockRecord>()
  private lastHeight?: number
  private closed = false

  private open (): void { if (this.closed) throw new StoreClosedError('memory store is closed') }

  async getGenesis (): Promise<Uint8Array | undefined> { this.open(); return this.genesis?.slice() }
  async putGenesis (genesis: Uint8Array): Promise<void> { this.open(); this.genesis = genesis.slice() }
  async getVotes (): Promise<Uint8Array | undefined> { this.open(); return this.votes?.slice() }
  async putVotes (journal: Uint8Array): Promise<void> { this.open(); this.votes = journal.slice() }

  async append (record: BlockRecord): Promise<void> {
    this.open()
    checkAppend(this.lastHeight, record)
    this.records.set(record.height, copy(record))
    this.lastHeight = record.height
  }

  async get (height: number): Promise<BlockRecord | undefined> {
    this.open(); checkHeight(height)
    const r = this.records.get(height)
    return r == null ? undefined : copy(r)
  }

  async last (): Promise<BlockRecord | undefined> {
    this.open()
    return this.lastHeight == null ? undefined : copy(this.records.get(this.lastHeight) as BlockRecord)
  }

  async * iterate (from: number): AsyncIterable<BlockRecord> {
    this.open()
    if (this.lastHeight == null) return
    for (let h = Math.max(0, from); h <= this.lastHeight; h++) {
      const r = this.records.get(h)
      if (r != null) yield copy(r)
    }
  }

  /** Test hook: rewrites a stored record in place. */
  tamper (height: number, mutate: (r: BlockRecord) => BlockRecord): void {
    const r = this.records.get(height)
    if (r != null) this.records.set(height, mutate(copy(r)))
  }

  async close (): Promise<void> { this.closed = true }
}

export function createMemoryStore (): MemoryStore { return new MemoryStore() }
