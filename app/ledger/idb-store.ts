/**
 * The tab's `LedgerStore`: IndexedDB database `novacron-ledger` (one per origin; a name can be
 * given for tests), with two object stores: `blocks` keyed by height (a number key: IndexedDB
 * orders numbers numerically) holding the record as a structured clone, and `meta` holding
 * `genesis` and `head` (the stored head's height).
 *
 * An append is one readwrite transaction over both stores that re-reads `head` first, so two tabs
 * of the same origin appending at once cannot interleave records (the later one gets
 * `StoreOrderError`). `iterate` reads pages of 64 records, each in its own short transaction:
 * IndexedDB commits a transaction as soon as the task that uses it yields, so a cursor cannot live
 * across the consumer's awaits. Nothing is verified here (a tampered record stays readable).
 */
import { checkAppend, checkHeight, LedgerStoreError, StoreClosedError } from '../../core/ledger/store-rules.ts'
import type { BlockRecord, LedgerStore } from '../../core/ledger/types.ts'

export const IDB_NAME = 'novacron-ledger'
const BLOCKS = 'blocks'
const META = 'meta'
const PAGE = 64

function request<T> (req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(new LedgerStoreError(`IndexedDB: ${req.error?.message ?? 'request failed'}`))
  })
}

function done (tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve()
    tx.onabort = () => reject(new LedgerStoreError(`IndexedDB: ${tx.error?.message ?? 'transaction aborted'}`))
    tx.onerror = () => reject(new LedgerStoreError(`IndexedDB: ${tx.error?.message ?? 'transaction failed'}`))
  })
}

/** A stored record back as `BlockRecord`; anything that is not one is a typed error, not a crash. */
function fromStored (value: unknown): BlockRecord {
  const r = value as Partial<BlockRecord> | null
  if (r == null || typeof r.height !== 'number' || typeof r.epoch !== 'number' || typeof r.holder !== 'number' ||
    !(r.block instanceof Uint8Array) || !(r.head instanceof Uint8Array) || !Array.isArray(r.certificate)) {
    throw new LedgerStoreError('a stored ledger record is damaged')
  }
  return { height: r.height, epoch: r.epoch, holder: r.holder, block: r.block, head: r.head, certificate: r.certificate }
}

export function openIdbDatabase (name = IDB_NAME): Promise<IDBDatabase> {
  const req = indexedDB.open(name, 1)
  req.onupgradeneeded = () => {
    req.result.createObjectStore(BLOCKS)
    req.result.createObjectStore(META)
  }
  return request(req)
}

/** Opens (creating it when absent) the ledger database `name` of this origin. */
export async function openIdbStore (name = IDB_NAME): Promise<LedgerStore> {
  const db = await openIdbDatabase(name)
  let closed = false
  const open = (): void => { if (closed) throw new StoreClosedError('the ledger store is closed') }
  // another tab deleting or upgrading the database: let it, this store then reports closed
  db.onversionchange = () => { closed = true; db.close() }

  const getOne = async (store: string, key: IDBValidKey): Promise<unknown> => {
    open()
    const tx = db.transaction(store, 'readonly')
    return await request(tx.objectStore(store).get(key))
  }
  const get = async (height: number): Promise<BlockRecord | undefined> => {
    checkHeight(height)
    const v = await getOne(BLOCKS, height)
    return v === undefined ? undefined : fromStored(v)
  }

  return {
    getGenesis: async () => {
      const v = await getOne(META, 'genesis')
      if (v === undefined) return undefined
      if (!(v instanceof Uint8Array)) throw new LedgerStoreError('the stored genesis is damaged')
      return v
    },
    putGenesis: async genesis => {
      open()
      if (!(genesis instanceof Uint8Array)) throw new TypeError('genesis must be a Uint8Array')
      const tx = db.transaction(META, 'readwrite')
      tx.objectStore(META).put(genesis, 'genesis')
      await done(tx)
    },
    getVotes: async () => {
      const v = await getOne(META, 'votes')
      return v instanceof Uint8Array ? v : undefined
    },
    putVotes: async journal => {
      open()
      const tx = db.transaction(META, 'readwrite')
      tx.objectStore(META).put(journal.slice(), 'votes')
      await done(tx)
    },
    append: async record => {
      open()
      const tx = db.transaction([BLOCKS, META], 'readwrite')
      const finished = done(tx)
      const meta = tx.objectStore(META)
      let refused: unknown
      await new Promise<void>((resolve, reject) => {
        const headReq = meta.get('head')
        headReq.onerror = () => reject(new LedgerStoreError(`IndexedDB: ${headReq.error?.message ?? 'read failed'}`))
        headReq.onsuccess = () => {
          try {
            checkAppend(headReq.result as number | undefined, record)
            const { height, epoch, holder, block, certificate, head } = record
            tx.objectStore(BLOCKS).put({ height, epoch, holder, block, certificate, head }, height)
            meta.put(height, 'head')
          } catch (err) {
            refused = err
            tx.abort()
          }
          resolve()
        }
      })
      try {
        await finished
      } catch (err) {
        throw refused ?? err
      }
      if (refused !== undefined) throw refused
    },
    get,
    last: async () => {
      const head = await getOne(META, 'head')
      return typeof head === 'number' ? await get(head) : undefined
    },
    iterate: async function * (from: number) {
      checkHeight(from)
      let next = from
      for (;;) {
        open()
        const tx = db.transaction(BLOCKS, 'readonly')
        const page = await request(tx.objectStore(BLOCKS).getAll(IDBKeyRange.lowerBound(next), PAGE))
        for (const v of page) yield fromStored(v)
        if (page.length < PAGE) return
        next = fromStored(page[page.length - 1]).height + 1
      }
    },
    close: async () => {
      if (closed) return
      closed = true
      db.close()
    }
  }
}
