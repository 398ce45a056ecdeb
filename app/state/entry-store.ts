/**
 * The tab's signed state entries in IndexedDB (database `novacron-state-entries`, one object store
 * with auto-incremented keys, so load order is arrival order): a reloaded tab still relays what it
 * held, and changes it made offline are relayed once it reconnects. The browser twin of the Node
 * peer's LevelDB sublevel (node-runtime/state/persistence.ts).
 */
import type { EntryStore } from '../../core/state/replica.ts'

export const ENTRY_DB_NAME = 'novacron-state-entries'
const STORE = 'entries'

function request<T> (r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => { resolve(r.result) }
    r.onerror = () => { reject(r.error ?? new Error('IndexedDB request failed')) }
  })
}

export async function openEntryStore (log: (message: string) => void): Promise<EntryStore> {
  const open = indexedDB.open(ENTRY_DB_NAME, 1)
  open.onupgradeneeded = () => { open.result.createObjectStore(STORE, { autoIncrement: true }) }
  const db = await request(open)
  return {
    load: async () => {
      const all = await request(db.transaction(STORE, 'readonly').objectStore(STORE).getAll())
      return all.filter((x): x is Uint8Array => x instanceof Uint8Array)
    },
    append: entry => {
      request(db.transaction(STORE, 'readwrite').objectStore(STORE).add(entry)).catch(err => {
        log(`storing a state entry failed: ${err instanceof Error ? err.message : String(err)}`)
      })
    }
  }
}
