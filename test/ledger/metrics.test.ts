/**
 * The ledger's gauges on a metrics registry (core/ledger/metrics.ts): every figure of `status()`
 * is read at scrape time, at most once per half second, and a second registration (a restarted
 * ledger) points the same gauges at the new ledger. The live path (a Node peer's /metrics) is
 * asserted in test/hostile/_scenario.ts.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MetricsRegistry } from '../../core/metrics/index.ts'
import { registerLedgerMetrics } from '../../core/ledger/metrics.ts'
import type { LedgerStatus } from '../../core/ledger/types.ts'

function status (height: number, rejected: Record<string, number> = {}): LedgerStatus {
  return {
    meshId: 'm', epoch: 2, epochStart: 10, replicas: [{ index: 0, peerId: 'a', since: -1 }, { index: 1, peerId: 'b', since: 10 }], f: 0, protocol: 'probft',
    sampleSize: 1, quorum: 2, replica: true, height, head: '00', latency: { p50: 40, p99: 300, samples: 9 }, decisionsPerSecond: 1.5, entriesPerSecond: 3,
    rejected, wire: { framesSent: 7, bytesSent: 700, framesReceived: 8, bytesReceived: 800, dropped: 1 }, pending: 4
  } as LedgerStatus
}

const value = (r: MetricsRegistry, name: string, labels: Record<string, string> = {}): number | undefined =>
  r.get(name)?.snapshot().samples.find(s => JSON.stringify(s.labels) === JSON.stringify(labels))?.value

test('every status figure is a gauge, read at scrape time', () => {
  const r = new MetricsRegistry()
  let reads = 0
  registerLedgerMetrics(r, { status: () => { reads++; return status(12, { badVrf: 3, malformed: 1 }) } })
  assert.equal(reads, 0, 'nothing read before a scrape')
  assert.equal(value(r, 'novacron_ledger_height'), 12)
  assert.equal(value(r, 'novacron_ledger_epoch'), 2)
  assert.equal(value(r, 'novacron_ledger_replicas'), 2)
  assert.equal(value(r, 'novacron_ledger_is_replica'), 1)
  assert.equal(value(r, 'novacron_ledger_pending_entries'), 4)
  assert.equal(value(r, 'novacron_ledger_decisions_per_second'), 1.5)
  assert.equal(value(r, 'novacron_ledger_commit_latency_ms', { quantile: '0.99' }), 300)
  assert.equal(value(r, 'novacron_ledger_wire', { counter: 'bytesReceived' }), 800)
  assert.equal(value(r, 'novacron_ledger_wire', { counter: 'dropped' }), 1)
  assert.equal(value(r, 'novacron_ledger_rejected', { reason: 'badVrf' }), 3)
  assert.equal(reads, 1, 'one status() per scrape, shared by every gauge')
})

test('registering again follows the new ledger', () => {
  const r = new MetricsRegistry()
  registerLedgerMetrics(r, { status: () => status(5) })
  assert.equal(value(r, 'novacron_ledger_height'), 5)
  registerLedgerMetrics(r, { status: () => status(99) })
  assert.equal(value(r, 'novacron_ledger_height'), 99)
})
