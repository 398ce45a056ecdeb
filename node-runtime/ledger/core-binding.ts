/**
 * The ledger port (./peer-ledger.ts `LedgerCore`) filled from core/ledger for Node peers:
 * `createLedger` over the peer's MeshNode with core-wasm's quorum math, native Ed25519 checks
 * (node:crypto, ./native-ed25519.ts), the in-memory store for
 * peers without a data dir, and the settings table.
 */
import { binomialCdf, binomialSf, initCoreWasm } from '../../core-wasm/index.ts'
import { createLedger, createMemoryStore } from '../../core/ledger/index.ts'
import { configPort } from './config-port.ts'
import { nativeSignatures } from './native-ed25519.ts'
import type { LedgerCore } from './peer-ledger.ts'
import { slotTraceFromEnv } from './slot-trace-file.ts'

export function nodeLedgerCore (log?: (message: string) => void): LedgerCore {
  return {
    createLedger: async (init, components) => {
      await initCoreWasm()
      const signatures = nativeSignatures() // node:crypto Ed25519, giving noble's verdicts; null: noble
      const trace = slotTraceFromEnv()
      return createLedger(init, { ...components, quorumMath: { binomialSf, binomialCdf }, ...(signatures != null ? { signatures } : {}), ...(log != null ? { log } : {}), ...(trace != null ? { trace } : {}) })
    },
    memoryStore: createMemoryStore,
    config: configPort
  }
}
