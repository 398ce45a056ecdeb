/**
 * `novacron ledger verify` on a stopped peer: opens `<data-dir>/ledger` itself and replays it from
 * genesis with core/ledger's `verifyChain` (every certificate, microblock signature and head hash).
 *
 * The root of trust is the genesis peer id: the running peer records the one it was given
 * (`<data-dir>/ledger-genesis.json`: the bootstrap's id from --bootstrap, or its own for `start`);
 * `--genesis <peer id>` overrides it. Without either, the id listed first in the stored genesis is
 * used (trust on first use) and the result says so.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { binomialCdf, binomialSf, initCoreWasm } from '../../core-wasm/index.ts'
import { createConsensusCrypto, nobleSignatures } from '../../core/consensus/crypto.ts'
import { nativeSignatures } from './native-ed25519.ts'
import { readGenesis } from '../../core/ledger/codec.ts'
import { LedgerVerifyError } from '../../core/ledger/errors.ts'
import { verifyChain } from '../../core/ledger/verify.ts'
import { openLevelStore } from './level-store.ts'

export const GENESIS_FILE = 'ledger-genesis.json'

export interface OfflineVerifyResult { height: number, head: string, blocks: number, genesisPeerId: string, genesisFrom: 'flag' | 'data-dir' | 'store' }

export function recordGenesisId (dataDir: string, genesisPeerId: string): void {
  writeFileSync(join(dataDir, GENESIS_FILE), JSON.stringify({ genesisPeerId }) + '\n')
}

function recordedGenesisId (dataDir: string): string | undefined {
  try {
    const v = JSON.parse(readFileSync(join(dataDir, GENESIS_FILE), 'utf8')) as { genesisPeerId?: unknown }
    return typeof v.genesisPeerId === 'string' ? v.genesisPeerId : undefined
  } catch {
    return undefined
  }
}

export async function verifyOffline (dataDir: string, genesis?: string): Promise<OfflineVerifyResult> {
  const store = await openLevelStore(dataDir)
  try {
    let genesisPeerId = genesis
    let genesisFrom: OfflineVerifyResult['genesisFrom'] = 'flag'
    if (genesisPeerId == null) {
      genesisPeerId = recordedGenesisId(dataDir)
      genesisFrom = 'data-dir'
    }
    if (genesisPeerId == null) {
      const g = await store.getGenesis()
      if (g == null) throw new LedgerVerifyError(-1, `no genesis in ${dataDir}/ledger`)
      try { genesisPeerId = readGenesis(g).members[0].peerId } catch (err) { throw new LedgerVerifyError(-1, `genesis does not decode (${(err as Error).message})`) }
      genesisFrom = 'store'
    }
    await initCoreWasm()
    const r = await verifyChain(store, { genesisPeerId, math: { binomialSf, binomialCdf }, crypto: createConsensusCrypto({ signatures: nativeSignatures() ?? nobleSignatures }) })
    return { height: r.height, head: r.head, blocks: r.blocks, genesisPeerId, genesisFrom }
  } finally {
    await store.close()
  }
}
