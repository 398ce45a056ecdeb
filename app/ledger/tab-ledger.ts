/**
 * The tab's ledger: the same core/ledger shell the Node peers run, with an IndexedDB store
 * (./idb-store.ts), the tab's own libp2p key (the MeshNode's, from app/identity.ts), the bootstrap's
 * peer id from /bootstrap.json as the genesis id, and quorum math from core-wasm.
 *
 * On `pagehide` it stops the ledger, which submits `leave` (best effort: the page may be gone
 * before the entry commits; the replicas then remove the tab once it stops answering their probes).
 */
import { registerLedgerMetrics } from '../../core/ledger/metrics.ts'
import type { PrivateKey } from '@libp2p/interface'
import type { MeshNode } from '../../core/net/index.ts'
import type { LedgerApi, LedgerStore } from '../../core/ledger/types.ts'
import { openIdbStore } from './idb-store.ts'

export interface TabLedgerRuntime extends LedgerApi, Pick<EventTarget, 'addEventListener' | 'removeEventListener'> {
  start: () => Promise<void>
  stop: () => Promise<void>
}

/** What the tab needs from core/ledger (filled by ./core-binding.ts). */
export type CreateTabLedger = (init: { genesisPeerId: string }, components: { mesh: MeshNode, privateKey: PrivateKey, store: LedgerStore }) => Promise<TabLedgerRuntime>

export interface TabLedgerInit {
  mesh: MeshNode
  privateKey: PrivateKey
  genesisPeerId: string
  /** IndexedDB database name @default 'novacron-ledger' */
  dbName?: string
}

export async function startTabLedger (init: TabLedgerInit, create: CreateTabLedger, beforeStart?: (ledger: TabLedgerRuntime) => void): Promise<{ ledger: TabLedgerRuntime, stop: () => Promise<void> }> {
  const store = await openIdbStore(init.dbName)
  const ledger = await create({ genesisPeerId: init.genesisPeerId }, { mesh: init.mesh, privateKey: init.privateKey, store })
  registerLedgerMetrics(init.mesh.metrics, ledger) // the Health panel
  try {
    beforeStart?.(ledger) // e.g. jobs register their entry kinds
    await ledger.start()
  } catch (err) {
    await store.close()
    throw err
  }
  let stopping: Promise<void> | undefined
  const stop = async (): Promise<void> => {
    stopping ??= (async () => {
      try { await ledger.stop() } finally { await store.close() }
    })()
    await stopping
  }
  globalThis.addEventListener?.('pagehide', () => {
    stop().catch(err => { console.warn('ledger: leave on pagehide failed:', (err as Error).message) })
  }, { once: true })
  return { ledger, stop }
}
