/**
 * The sync protocol's two sides, `/novacron/ledger/sync/1.0.0`: a request names a height, the
 * response carries the genesis, the responder's height and up to 64 records (≤ 1 MiB) from that
 * height. The requester verifies everything it takes (the caller feeds records through
 * `checkRecord`); the responder bounds what a request can cost.
 */
import { MAX_SYNC_BYTES, MAX_SYNC_RECORDS, writeRecord, writeSyncResponse, readSyncRequest } from './codec.ts'
import type { LedgerStore } from './types.ts'

export const SYNC_PROTOCOL = '/novacron/ledger/sync/1.0.0'

export async function serveSync (store: LedgerStore, request: Uint8Array): Promise<Uint8Array> {
  const req = readSyncRequest(request)
  const genesis = await store.getGenesis() ?? new Uint8Array(0)
  const last = await store.last()
  const records: Uint8Array[] = []
  let bytes = 0
  const limit = Math.min(MAX_SYNC_RECORDS, Math.max(0, req.limit))
  if (limit > 0 && last != null && req.from <= last.height) {
    for await (const r of store.iterate(req.from)) {
      const b = writeRecord(r)
      if (bytes + b.length > MAX_SYNC_BYTES && records.length > 0) break
      records.push(b); bytes += b.length
      if (records.length >= limit) break
    }
  }
  return writeSyncResponse({ genesis, height: last?.height ?? -1, records })
}
