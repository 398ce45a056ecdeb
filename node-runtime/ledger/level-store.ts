/**
 * The Node peer's `LedgerStore`: LevelDB under `<data-dir>/ledger` (the `level` package, as the
 * shared state uses under `<data-dir>/state`).
 *
 * Two sublevels: `b` maps an 8-byte big-endian height (byte order = numeric order, so iterators
 * walk heights in order) to the encoded record (./record-codec.ts); `m` holds `genesis`, `head`
 * (the stored head's height) and `votes` (the vote journal, core/ledger/vote-journal.ts). An append writes the record and the new `head` in ONE batch, so a
 * crash leaves either both or neither. Appends are serialised in this process (LevelDB's lock keeps
 * other processes out: a second opener gets `LedgerStoreLockedError`, and the CLI then talks to the
 * running peer through its control endpoint instead).
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { Level } from 'level'
import { checkAppend, checkHeight, heightKey, keyHeight, LedgerStoreError, StoreClosedError } from '../../core/ledger/store-rules.ts'
import type { BlockRecord, LedgerStore } from '../../core/ledger/types.ts'
import { decodeRecord, encodeRecord } from './record-codec.ts'

export const LEDGER_DIR = 'ledger'
const GENESIS = 'genesis'
const HEAD = 'head'
const VOTES = 'votes'

/** Another process holds the ledger database. */
export class LedgerStoreLockedError extends LedgerStoreError {
  static override name = 'LedgerStoreLockedError'
  override name = 'LedgerStoreLockedError'
}

type Bytes = Uint8Array
/** the two sublevels as this file uses them (level's typings lose the value type of a sublevel) */
interface Sub<K> {
  getMany: (keys: K[]) => Promise<Array<Bytes | undefined>>
  put: (key: K, value: Bytes) => Promise<void>
  values: (range: { gte: K }) => AsyncIterable<Bytes>
}

export interface LevelLedgerStore extends LedgerStore {
  /** the folder the database lives in */
  readonly location: string
}

/** Opens (creating it when absent) the ledger database of `dataDir`. */
export async function openLevelStore (dataDir: string): Promise<LevelLedgerStore> {
  return await openLevelStoreAt(join(dataDir, LEDGER_DIR))
}

export async function openLevelStoreAt (location: string): Promise<LevelLedgerStore> {
  mkdirSync(location, { recursive: true })
  const db = new Level<Bytes, Bytes>(location, { keyEncoding: 'view', valueEncoding: 'view' })
  try {
    await db.open()
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause
    if (cause?.code === 'LEVEL_LOCKED') throw new LedgerStoreLockedError(`the ledger database in ${location} is in use by another process`)
    throw err
  }
  const blocksLevel = db.sublevel('b', { keyEncoding: 'view', valueEncoding: 'view' })
  const metaLevel = db.sublevel('m', { keyEncoding: 'utf8', valueEncoding: 'view' })
  const blocks = blocksLevel as unknown as Sub<Bytes>
  const meta = metaLevel as unknown as Sub<string>
  const read = async <K>(sub: Sub<K>, key: K): Promise<Bytes | undefined> => (await sub.getMany([key]))[0]

  let closed = false
  const open = (): void => { if (closed) throw new StoreClosedError('the ledger store is closed') }
  // the stored head's height, read once and then kept current by append (undefined: empty)
  const headBytes = await read(meta, HEAD)
  let head: number | undefined = headBytes == null ? undefined : decodeHead(headBytes)
  let queue: Promise<unknown> = Promise.resolve()

  const get = async (height: number): Promise<BlockRecord | undefined> => {
    open()
    checkHeight(height)
    const bytes = await read(blocks, heightKey(height))
    return bytes == null ? undefined : decodeRecord(bytes)
  }

  return {
    location,
    getGenesis: async () => {
      open()
      const bytes = await read(meta, GENESIS)
      // a plain Uint8Array (LevelDB hands out Buffers), as the other stores return
      return bytes == null ? undefined : new Uint8Array(bytes)
    },
    putGenesis: async genesis => {
      open()
      if (!(genesis instanceof Uint8Array)) throw new TypeError('genesis must be a Uint8Array')
      await meta.put(GENESIS, genesis)
    },
    getVotes: async () => {
      open()
      const bytes = await read(meta, VOTES)
      return bytes == null ? undefined : new Uint8Array(bytes)
    },
    putVotes: async journal => {
      open()
      await meta.put(VOTES, journal)
    },
    append: async record => {
      const run = queue.then(async () => {
        open()
        checkAppend(head, record)
        await db.batch([
          { type: 'put', sublevel: blocksLevel, key: heightKey(record.height), value: encodeRecord(record) },
          { type: 'put', sublevel: metaLevel, key: HEAD, value: encodeHead(record.height) }
        ] as never)
        head = record.height
      })
      queue = run.catch(() => {})
      await run
    },
    get,
    last: async () => { open(); return head === undefined ? undefined : await get(head) },
    iterate: async function * (from: number) {
      open()
      checkHeight(from)
      for await (const value of blocks.values({ gte: heightKey(from) })) yield decodeRecord(value)
    },
    close: async () => {
      if (closed) return
      closed = true
      await queue
      await db.close()
    }
  }
}

function encodeHead (height: number): Bytes { return heightKey(height) }
function decodeHead (bytes: Bytes): number { return keyHeight(bytes) }
