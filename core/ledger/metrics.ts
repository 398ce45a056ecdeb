/**
 * The ledger's counters on the node's metrics registry (core/metrics): Prometheus `/metrics` on a
 * Node peer and the Health panel in a tab read them. Every value is read from `status()` at scrape
 * time (cached for half a second, so one scrape reads it once): height, epoch, replicas, whether
 * this peer is one, pending entries, decisions/s, commit latency p50/p99, the wire counters, and
 * rejected messages by reason.
 *
 * A registry serves one ledger at a time: registering again (a ledger restarted in the same
 * process) points the same gauges at the new one.
 */
import type { Gauge, MetricsRegistry } from '../metrics/index.ts'
import type { LedgerStatus } from './types.ts'

interface Source { ledger?: { status: () => LedgerStatus }, at: number, last?: LedgerStatus }

const sources = new WeakMap<MetricsRegistry, Source>()

export function registerLedgerMetrics (registry: MetricsRegistry, ledger: { status: () => LedgerStatus }): void {
  const existing = sources.get(registry)
  if (existing != null) {
    existing.ledger = ledger
    existing.last = undefined
    return
  }
  const source: Source = { ledger, at: 0 }
  sources.set(registry, source)
  const read = (): LedgerStatus | undefined => {
    const now = Date.now()
    if (source.last == null || now - source.at > 500) {
      source.last = source.ledger?.status()
      source.at = now
    }
    return source.last
  }
  const gauge = (name: string, help: string, fill: (g: Gauge, s: LedgerStatus) => void, labelNames: string[] = []): void => {
    registry.registerGauge({ name, help, labelNames, collect: g => { const s = read(); if (s != null) fill(g, s) } })
  }
  gauge('novacron_ledger_height', 'Height of the last committed ledger block (-1 before genesis)', (g, s) => { g.set({}, s.height) })
  gauge('novacron_ledger_epoch', 'Current ledger epoch', (g, s) => { g.set({}, s.epoch) })
  gauge('novacron_ledger_replicas', 'Replicas of the current epoch', (g, s) => { g.set({}, s.replicas.length) })
  gauge('novacron_ledger_is_replica', '1 when this peer is a replica of the current epoch, else 0 (a follower)', (g, s) => { g.set({}, s.replica ? 1 : 0) })
  gauge('novacron_ledger_pending_entries', "Entries waiting in this peer's pool", (g, s) => { g.set({}, s.pending) })
  gauge('novacron_ledger_decisions_per_second', 'Decided slots per second over the last 10 s', (g, s) => { g.set({}, s.decisionsPerSecond) })
  gauge('novacron_ledger_commit_latency_ms', 'Commit latency of entries this peer submitted', (g, s) => {
    if (s.latency.p50 != null) g.set({ quantile: '0.5' }, s.latency.p50)
    if (s.latency.p99 != null) g.set({ quantile: '0.99' }, s.latency.p99)
  }, ['quantile'])
  gauge('novacron_ledger_wire', 'Ledger frames and bytes that crossed links (forwarded copies included), and frames a full send queue dropped', (g, s) => {
    g.set({ counter: 'framesSent' }, s.wire.framesSent)
    g.set({ counter: 'bytesSent' }, s.wire.bytesSent)
    g.set({ counter: 'framesReceived' }, s.wire.framesReceived)
    g.set({ counter: 'bytesReceived' }, s.wire.bytesReceived)
    g.set({ counter: 'dropped' }, s.wire.dropped ?? 0)
  }, ['counter'])
  gauge('novacron_ledger_rejected', 'Ledger messages rejected since the peer started, by reason', (g, s) => {
    for (const [reason, n] of Object.entries(s.rejected)) g.set({ reason }, n)
  }, ['reason'])
}
