/** Typed errors of core/metrics: a bad metric or label name, a label set that does not match. */
export class MetricsError extends Error {
  static override name = 'MetricsError'
  override name = 'MetricsError'
}
