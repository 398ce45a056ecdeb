/**
 * core/metrics: a platform-neutral counter/gauge registry. Node peers export it as Prometheus
 * text (node-runtime/metrics), the page's Health panel reads it directly. Public names by name.
 */
export { MetricsRegistry, Counter, Gauge, OTHER } from './registry.ts'
export type { Labels, MetricType, Sample, MetricSnapshot, MetricInit, GaugeInit } from './registry.ts'
export { MetricsError } from './errors.ts'
