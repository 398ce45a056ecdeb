/**
 * What every `LedgerStore` (core/ledger/types.ts) enforces, whatever it keeps records in: the
 * append order (the next height is the stored head's + 1; the first record may start anywhere,
 * so a store can begin at a snapshot) and the shape of a record. Shared by the LevelDB store
 * (node-runtime/ledger/level-store.ts), the IndexedDB store (app/ledger/idb-store.ts) and the
 * in-memory one, so all of them refuse the same things with the same typed errors.
 *
 * A store never verifies certificates or head hashes: a tampered record must stay readable, so
 * that `verifyChain` can name the height at fault (verification is core/ledger's job).
 */
import type { BlockRecord } from './types.ts'

/** A store refused an operation (wrong append order, a closed store, an unreadable record). */
export class LedgerStoreError extends Error {
  static override name = 'LedgerStoreError'
  override name = 'LedgerStoreError'
}

/** `append` was given a height other than the stored head's + 1. */
export class StoreOrderError extends LedgerStoreError {
  static override name = 'StoreOrderError'
  override name = 'StoreOrderError'
}

/** The store was closed (or never opened) when an operation ran. */
export class StoreClosedError extends LedgerStoreError {
  static override name = 'StoreClosedError'
  override name = 'StoreClosedError'
}

/** Highest height a store accepts: keys are 8-byte big-endian, heights JS-safe integers. */
export const MAX_HEIGHT = Number.MAX_SAFE_INTEGER

export function checkHeight (height: number): void {
  if (!Number.isSafeInteger(height) || height < 0) throw new RangeError(`height must be a non-negative safe integer (got ${String(height)})`)
}

/** Throws unless `record` is well formed and may follow `lastHeight` (undefined: empty store). */
export function checkAppend (lastHeight: number | undefined, record: BlockRecord): void {
  checkHeight(record.height)
  if (!Number.isSafeInteger(record.epoch) || record.epoch < 0) throw new RangeError(`epoch must be a non-negative integer (got ${String(record.epoch)})`)
  if (!Number.isSafeInteger(record.holder) || record.holder < 0) throw new RangeError(`holder must be a non-negative integer (got ${String(record.holder)})`)
  if (!(record.block instanceof Uint8Array)) throw new TypeError('block must be a Uint8Array')
  if (!(record.head instanceof Uint8Array) || record.head.length !== 32) throw new RangeError('head must be 32 bytes')
  if (!Array.isArray(record.certificate) || record.certificate.some(c => !(c instanceof Uint8Array))) throw new TypeError('certificate must be a list of Uint8Array')
  if (lastHeight !== undefined && record.height !== lastHeight + 1) {
    throw new StoreOrderError(`cannot append height ${record.height}: the stored head is ${lastHeight} (expected ${lastHeight + 1})`)
  }
}

/** 8-byte big-endian key of a height: byte order = numeric order, as LevelDB and IndexedDB sort. */
export function heightKey (height: number): Uint8Array {
  checkHeight(height)
  const key = new Uint8Array(8)
  const view = new DataView(key.buffer)
  view.setUint32(0, Math.floor(height / 2 ** 32))
  view.setUint32(4, height >>> 0)
  return key
}

export function keyHeight (key: Uint8Array): number {
  if (key.length !== 8) throw new LedgerStoreError(`a height key is 8 bytes (got ${key.length})`)
  const view = new DataView(key.buffer, key.byteOffset, 8)
  return view.getUint32(0) * 2 ** 32 + view.getUint32(4)
}
