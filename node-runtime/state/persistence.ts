/**
 * On-disk state for a Node peer: the shared Y.Doc in `<data-dir>/state` through y-leveldb.
 *
 * y-leveldb appends each update under a clock and merges them into one on load once there are
 * more than 500 (its own compaction); `compact()` forces that. LevelDB takes a lock on the folder, so
 * only one process opens it: a second one gets `DataDirLockedError`, and the CLI then talks to the
 * process holding it through its control endpoint (./control.ts). y-leveldb logs and swallows
 * write errors inside its queue, so `open` probes the database itself first to surface the lock.
 *
 * The signed entries the provider relays (core/state/replica.ts) live in the same database, in the
 * sublevel `signed-entries`, keyed by arrival order: a restarted peer still serves every change it
 * held, each with its author's signature. The store is keyed (`entries.keyed`): the signed log keeps
 * only each entry's key and digest in memory and reads the bytes back from here when it answers a
 * handshake (issue 21); an entry whose write failed stays in memory and is served from there.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { Level } from 'level'
import { LeveldbPersistence } from 'y-leveldb'
import * as Y from 'yjs'
import type { EntryStore } from '../../core/state/replica.ts'
import { StoredEntryError } from '../../core/state/errors.ts'
import { DataDirLockedError } from './errors.ts'

export const DOC_NAME = 'novacron'
/** Transaction origin for updates loaded from disk (so they are not written back). */
export const DISK_ORIGIN = Symbol('disk')

export interface PersistentDoc {
  doc: Y.Doc
  /** The signed entries (for the provider's `store`). */
  entries: EntryStore
  /** Resolves once every update so far is on disk. */
  flush: () => Promise<void>
  /** Merges the update log into one entry. */
  compact: () => Promise<void>
  close: () => Promise<void>
}

export async function openPersistentDoc (dataDir: string): Promise<PersistentDoc> {
  const location = join(dataDir, 'state')
  mkdirSync(location, { recursive: true })
  let db: Level<unknown, unknown> | undefined
  // y-leveldb constructs the Level instance itself; capture it to open it eagerly.
  class CapturingLevel extends Level<unknown, unknown> {
    constructor (loc: string, opts: object) { super(loc, opts); db = this } // eslint-disable-line constructor-super
  }
  const persistence = new LeveldbPersistence(location, { Level: CapturingLevel })
  try {
    await db?.open()
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause
    if (cause?.code === 'LEVEL_LOCKED') throw new DataDirLockedError(`the state database in ${dataDir} is in use by another process`)
    throw err
  }
  const doc = await persistence.getYDoc(DOC_NAME)
  if (doc == null) throw new Error(`could not read the state database in ${dataDir}`)
  let pending: Promise<unknown> = Promise.resolve()
  const onUpdate = (update: Uint8Array, origin: unknown): void => {
    if (origin === DISK_ORIGIN) return
    pending = persistence.storeUpdate(DOC_NAME, update)
  }
  doc.on('update', onUpdate)
  const signed = (db as Level<unknown, unknown>).sublevel<string, Uint8Array>('signed-entries', { keyEncoding: 'utf8', valueEncoding: 'view' })
  const keyOf = (k: number): string => String(k).padStart(16, '0')
  let writes: Promise<unknown> = Promise.resolve()
  let writeError: unknown
  // entries whose write failed: still served from memory (and reported by the next flush)
  const unwritten = new Map<number, Uint8Array>()
  // the next key: after the last stored one (keys are handed out synchronously by `append`)
  let next = 0
  for await (const key of signed.keys({ reverse: true, limit: 1 })) next = Number.parseInt(key, 10) + 1
  const append = (entry: Uint8Array): number => {
    const k = next++
    writes = writes.then(async () => {
      try { await signed.put(keyOf(k), entry) } catch (err) { writeError ??= err; unwritten.set(k, entry) }
    })
    return k
  }
  const entries: EntryStore = {
    load: async () => {
      await writes
      const out: Uint8Array[] = []
      for await (const value of signed.values()) out.push(value)
      return out
    },
    append: entry => { append(entry) },
    keyed: {
      load: async () => {
        await writes
        const out: Array<{ key: number, bytes: Uint8Array }> = []
        for await (const [key, bytes] of signed.iterator()) out.push({ key: Number.parseInt(key, 10), bytes })
        return out
      },
      append,
      read: async keys => {
        await writes
        const fromDisk = keys.filter(k => !unwritten.has(k))
        const values = fromDisk.length === 0 ? [] : await signed.getMany(fromDisk.map(keyOf))
        const byKey = new Map(fromDisk.map((k, i) => [k, values[i]]))
        return keys.map(k => {
          const bytes = unwritten.get(k) ?? byKey.get(k)
          if (bytes == null) throw new StoredEntryError(`signed entry ${k} is not in the state database`)
          return bytes
        })
      }
    }
  }
  let closed = false
  return {
    doc,
    entries,
    flush: async () => {
      await pending; await writes
      if (writeError != null) { const err = writeError; writeError = undefined; throw err }
    },
    compact: async () => { await pending; await persistence.flushDocument(DOC_NAME) },
    close: async () => {
      if (closed) return
      closed = true
      doc.off('update', onUpdate)
      await pending
      await writes
      await persistence.destroy()
      doc.destroy()
    }
  }
}
