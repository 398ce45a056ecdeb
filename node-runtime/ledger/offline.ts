/**
 * `novacron ledger verify` on a stopped peer: opens `<data-dir>/ledger` itself and re-checks every
 * stored certificate from genesis with core/ledger's chain verification.
 */
import { LedgerNotRunningError } from './errors.ts'

export interface OfflineVerifyResult { height: number, head: string, blocks: number }

export async function verifyOffline (dataDir: string): Promise<OfflineVerifyResult> {
  // core/ledger's verifyChain is not merged into this branch yet: until it is, verification runs
  // only inside a running peer
  throw new LedgerNotRunningError(`no peer is running on ${dataDir}, and offline verification needs core/ledger's verifyChain (not merged yet)`)
}
