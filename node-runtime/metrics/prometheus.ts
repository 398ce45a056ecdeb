/**
 * Prometheus export of a peer's `MetricsRegistry` (core/metrics) through `prom-client`, plus
 * prom-client's default process metrics (resident memory, heap, event-loop lag, open handles)
 * under the `novacron_` prefix.
 *
 * The registry stays the single source of truth: each of its metrics gets a prom-client twin
 * whose `collect()` copies the current samples at scrape time, so metrics registered later
 * (ledger, learning) appear on the next scrape without any wiring here.
 */
import { collectDefaultMetrics, Counter as PromCounter, Gauge as PromGauge, Registry } from 'prom-client'
import type { MetricsRegistry } from '../../core/metrics/index.ts'

export interface PrometheusExport {
  contentType: string
  /** The Prometheus text exposition of every metric, as of now. */
  text: () => Promise<string>
}

export function prometheusExport (registry: MetricsRegistry, opts: { processMetrics?: boolean } = {}): PrometheusExport {
  const prom = new Registry()
  if (opts.processMetrics !== false) collectDefaultMetrics({ register: prom, prefix: 'novacron_' })
  const twins = new Set<string>()
  const sync = (): void => {
    for (const name of registry.names()) {
      if (twins.has(name)) continue
      const metric = registry.get(name)
      if (metric == null) continue
      twins.add(name)
      const labelNames = [...metric.labelNames]
      if (metric.type === 'counter') {
        const twin: PromCounter = new PromCounter({
          name, help: metric.help, labelNames, registers: [prom],
          collect () {
            twin.reset()
            for (const s of metric.snapshot().samples) twin.inc(s.labels, s.value)
          }
        })
      } else {
        const twin: PromGauge = new PromGauge({
          name, help: metric.help, labelNames, registers: [prom],
          collect () {
            twin.reset()
            for (const s of metric.snapshot().samples) twin.set(s.labels, s.value)
          }
        })
      }
    }
  }
  return {
    contentType: prom.contentType,
    text: async () => { sync(); return await prom.metrics() }
  }
}
