/**
 * The shared state's metrics (docs/metrics.md), read from a `StateProvider` at scrape time:
 * its counters as they are (`provider.stats`: whatever it counts now — the hostile-state work adds
 * more, and every numeric field appears here without change), the bytes Yjs holds pending (updates
 * whose predecessors are missing) and the size of the document.
 */
import * as Y from 'yjs'
import type { MetricsRegistry } from '../metrics/index.ts'

/** What the metrics read from a provider. */
export interface StateMetricsSource {
  doc: Y.Doc
  stats: object
}

/** Bytes of updates Yjs keeps because their dependencies are missing (structs and delete sets). */
export function pendingBytes (doc: Y.Doc): number {
  const store = doc.store as { pendingStructs: { update: Uint8Array } | null, pendingDs: Uint8Array | null }
  return (store.pendingStructs?.update.length ?? 0) + (store.pendingDs?.length ?? 0)
}

export function registerStateMetrics (registry: MetricsRegistry, source: StateMetricsSource): void {
  registry.registerGauge({
    name: 'novacron_state_pending_bytes',
    help: 'Bytes of shared-state updates held because their causal predecessors are missing',
    collect: g => { g.set({}, pendingBytes(source.doc)) }
  })
  registry.registerGauge({
    name: 'novacron_state_size_bytes',
    help: 'Size of the shared document (its full Yjs update encoding)',
    collect: g => { g.set({}, Y.encodeStateAsUpdate(source.doc).length) }
  })
  registry.registerGauge({
    name: 'novacron_state_stats',
    help: "The state provider's counters (provider.stats), by name: syncs, syncFailures, badMessages, gossip and byte counts",
    labelNames: ['stat'],
    collect: g => {
      for (const [k, v] of Object.entries(source.stats)) if (typeof v === 'number') g.set({ stat: k }, v)
    }
  })
}
