/**
 * Starts the tab's ledger for app/main.ts (one call): core/ledger's `createLedger` over the tab's
 * MeshNode and key, with core-wasm's quorum math, WebCrypto Ed25519 checks where the browser has
 * them (core/consensus/webcrypto-ed25519.ts), and the IndexedDB store (./tab-ledger.ts). A
 * ledger that cannot start (no IndexedDB in a private window, a damaged store) is logged and the
 * page runs without it; the Ledger panel then says so. Exposes `__novacronLedger` and
 * `__novacronPeerId` on the page for tests, as the state panels expose `__novacronState`.
 */
import type { PrivateKey } from '@libp2p/interface'
import type { MeshNode } from '../../core/net/index.ts'
import { startTabLedger, type TabLedgerRuntime } from './tab-ledger.ts'

export async function startPageLedger (mesh: MeshNode, privateKey: PrivateKey, genesisPeerId: string, beforeStart?: (ledger: TabLedgerRuntime) => void): Promise<TabLedgerRuntime | undefined> {
  try {
    const [{ createLedger }, wasm, { webCryptoEd25519 }] = await Promise.all([import('../../core/ledger/index.ts'), import('../../core-wasm/index.ts'), import('../../core/consensus/webcrypto-ed25519.ts')])
    await wasm.initCoreWasm()
    const quorumMath = { binomialSf: wasm.binomialSf, binomialCdf: wasm.binomialCdf }
    // WebCrypto Ed25519 where the browser has it (checked ahead of the engine), else noble alone
    const asyncSignatures = await webCryptoEd25519()
    const { ledger } = await startTabLedger({ mesh, privateKey, genesisPeerId }, async (init, c) => createLedger(init, { ...c, quorumMath, ...(asyncSignatures != null ? { asyncSignatures } : {}) }), beforeStart)
    Object.assign(globalThis, { __novacronLedger: ledger, __novacronPeerId: mesh.peerId.toString() })
    return ledger
  } catch (err) {
    console.error('the ledger could not start in this tab:', err)
    return undefined
  }
}
