/**
 * The ledger port (./peer-ledger.ts `LedgerCore`) filled from core/ledger for Node peers:
 * `createLedger` over the peer's MeshNode with core-wasm's quorum math and ECVRF checks, native Ed25519 checks
 * (node:crypto, ./native-ed25519.ts), the in-memory store for
 * peers without a data dir, and the settings table.
 */
import { binomialCdf, binomialSf, initCoreWasm } from '../../core-wasm/index.ts'
import { createLedger, createMemoryStore } from '../../core/ledger/index.ts'
import { preferNobleVerify } from '../../core/vrf/index.ts'
import { configPort } from './config-port.ts'
import { nativeSignatures } from './native-ed25519.ts'
import type { LedgerCore } from './peer-ledger.ts'
import { slotTraceFromEnv } from './slot-trace-file.ts'

export function nodeLedgerCore (log?: (message: string) => void): LedgerCore {
  return {
    createLedger: async (init, components) => {
      await initCoreWasm() // also switches VRF checks to core-wasm's arithmetic (core/vrf verify)
      if (process.env.NOVACRON_VRF === 'noble') preferNobleVerify(true) // A/B benchmarks: noble's VRF checks
      const signatures = nativeSignatures() // node:crypto Ed25519, giving noble's verdicts; null: noble
      const trace = slotTraceFromEnv()
      return createLedger(init, { ...components, quorumMath: { binomialSf, binomialCdf }, ...(signatures != null ? { signatures } : {}), ...(log != null ? { log } : {}), ...(trace != null ? { trace } : {}) })
    },
    memoryStore: createMemoryStore,
    config: configPort
  }
}
