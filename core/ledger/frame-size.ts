/**
 * What the ledger needs of the mesh's `maxFrameSize` (core/net/config.ts). Committed records
 * travel on gossip (links.ts), and gossipsub drops an inbound message longer than its
 * `maxInboundDataLength`, which is the mesh's `maxFrameSize` (core/net/libp2p-options.ts): below
 * the largest record, full blocks would silently never reach followers. The ledger's own streams
 * and its sync protocol set their frame sizes themselves; gossip is the only path that follows the
 * mesh's setting. core/net cannot know this number (it does not depend on the ledger), so the
 * ledger refuses such a mesh when it is created (`createLedger`, service.ts).
 */
import { MAX_BLOCK_BYTES } from './codec.ts'
import { MeshFrameSizeError } from './errors.ts'

/**
 * Room over the largest block for the rest of a record and the gossipsub message around it: a
 * certificate is q commits of ~280 bytes (at most ~18 KiB for 64 replicas), the envelope ~150 bytes
 * (test/ledger/frame-size.test.ts measures both with real votes and gossipsub's codec)
 */
export const RECORD_HEADROOM_BYTES = 64 * 1024

/** The smallest `maxFrameSize` a mesh carrying the ledger may have: 323,584 bytes (316 KiB). */
export const LEDGER_GOSSIP_FRAME_BYTES = MAX_BLOCK_BYTES + RECORD_HEADROOM_BYTES

/** Throws `MeshFrameSizeError` (naming both numbers) when `maxFrameSize` is below `LEDGER_GOSSIP_FRAME_BYTES`. */
export function checkMeshFrameSize (maxFrameSize: number): void {
  if (!(maxFrameSize >= LEDGER_GOSSIP_FRAME_BYTES)) throw new MeshFrameSizeError(maxFrameSize, LEDGER_GOSSIP_FRAME_BYTES)
}
