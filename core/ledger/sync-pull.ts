/**
 * Catching up in a `LedgerNode`: gossiped records (`onRecord`, the ledger's check behind MeshGuard's
 * topic validator: a gap makes us pull from the publisher), serving sync requests (sync.ts), and
 * pulling missing records — and the genesis, when we have none — from a peer, 64 at a time,
 * verifying every one through the commit queue, never trusting the sender.
 */
import { Chain } from './chain.ts'
import { readRecord, readSyncResponse, writeSyncRequest } from './codec.ts'
import { serveSync } from './sync.ts'
import type { RecordVerdict } from './transport.ts'
import type { BlockRecord } from './types.ts'
import { EpochInstances } from './epoch-instances.ts'

export abstract class SyncPulls extends EpochInstances {
  async onRecord (from: string, bytes: Uint8Array): Promise<RecordVerdict> {
    let r: BlockRecord
    try { r = readRecord(bytes) } catch { this.count('badRecord'); return 'malformed' }
    const chain = this.chain
    if (chain != null && r.height > chain.height + 1) this.background('sync pull', this.pull(from))
    const v = await this.ingest(r)
    return v === 'reject' ? 'forged' : v
  }

  async serveSync (_from: string, request: Uint8Array): Promise<Uint8Array> { return await serveSync(this.c.store, request) }

  /**
   * Pulls missing records (and the genesis, when we have none) from a peer, verifying each.
   * Resolves with the height the peer said it holds in its first answer (undefined: no answer).
   */
  async pull (peer?: string): Promise<number | undefined> {
    const peers = this.c.transport.connectedPeers()
    const target = peer ?? (peers.includes(this.init.genesisPeerId) && this.chain == null ? this.init.genesisPeerId : peers[Math.floor(Math.random() * peers.length)])
    if (target == null) return
    let said: number | undefined
    for (let round = 0; round < 64 && this.running; round++) {
      const from = (this.chain?.height ?? -1) + 1
      let res
      this.frames.counts.syncPulls++
      try { res = readSyncResponse(await this.c.transport.request(target, writeSyncRequest({ from, limit: 64 }))) } catch { return said }
      said ??= res.height
      if (this.chain == null) {
        if (res.genesis.length === 0 || !await this.adoptGenesis(res.genesis)) return said
        await this.c.store.putGenesis(res.genesis)
        this.enterEpoch((this.chain as unknown as Chain).current, 0)
      }
      if (res.records.length === 0) return said
      for (const b of res.records) {
        let r: BlockRecord
        try { r = readRecord(b) } catch { this.count('badRecord'); return said }
        if (await this.ingest(r) === 'reject') return said
      }
      if ((this.chain?.height ?? -1) >= res.height) return said
    }
    return said
  }
}
