/**
 * A platform-neutral registry of counters and gauges: the one place a peer's subsystems put the
 * numbers an operator needs to see (rejections, scores, connections, state size).
 *
 * Shaped after Prometheus' data model (a metric is a name, a help text, a type and a set of label
 * names; each label-value combination is one sample) so the Node exporter can hand it to
 * `prom-client` one to one, and the page's Health panel reads the very same registry. No `node:`,
 * no DOM: it runs in a tab and in a Node peer alike.
 *
 * Cardinality is bounded: a metric keeps at most `maxSeries` label combinations (default 256);
 * further ones are folded into one series whose label values are all `"_other"`, so a hostile peer
 * that controls a label value (a protocol id it made up) cannot grow memory without bound.
 *
 * Gauges whose value lives elsewhere (a connection count, a peer's score) take a `collect`
 * callback that fills them at read time, as prom-client's `collect()` does; nothing polls.
 */
import { MetricsError } from './errors.ts'

export type Labels = Readonly<Record<string, string>>
export type MetricType = 'counter' | 'gauge'

/** One sample: a label-value combination and its value. */
export interface Sample {
  labels: Labels
  value: number
}

/** A metric as read at one instant. */
export interface MetricSnapshot {
  name: string
  help: string
  type: MetricType
  labelNames: readonly string[]
  samples: Sample[]
}

export interface MetricInit {
  /** Prometheus name: `[a-zA-Z_:][a-zA-Z0-9_:]*`, counters end in `_total`. */
  name: string
  help: string
  /** @default [] */
  labelNames?: readonly string[]
  /** Label combinations kept before folding into `_other`. @default 256 */
  maxSeries?: number
}

export interface GaugeInit extends MetricInit {
  /** Called at every read: set the gauge's current values (its old samples are cleared first). */
  collect?: (gauge: Gauge) => void
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/
export const OTHER = '_other'

abstract class Metric {
  readonly name: string
  readonly help: string
  readonly labelNames: readonly string[]
  abstract readonly type: MetricType
  protected readonly series = new Map<string, Sample>()
  private readonly maxSeries: number

  constructor (init: MetricInit) {
    if (!NAME.test(init.name)) throw new MetricsError(`invalid metric name '${init.name}'`)
    const labelNames = init.labelNames ?? []
    for (const l of labelNames) if (!LABEL.test(l) || l.startsWith('__')) throw new MetricsError(`invalid label name '${l}' on ${init.name}`)
    this.name = init.name
    this.help = init.help
    this.labelNames = Object.freeze([...labelNames])
    this.maxSeries = init.maxSeries ?? 256
  }

  /** The series for `labels`, created at 0 when new (or the `_other` series when over the cap). */
  protected sample (labels: Labels = {}): Sample {
    const values = this.labelNames.map(l => {
      const v = labels[l]
      if (typeof v !== 'string') throw new MetricsError(`${this.name}: label '${l}' missing`)
      return v
    })
    if (Object.keys(labels).length !== this.labelNames.length) throw new MetricsError(`${this.name}: unexpected labels ${Object.keys(labels).join(',')}`)
    const key = values.join('\u0000')
    let s = this.series.get(key)
    if (s != null) return s
    if (this.series.size >= this.maxSeries) {
      const other = Object.fromEntries(this.labelNames.map(l => [l, OTHER]))
      const otherKey = this.labelNames.map(() => OTHER).join('\u0000')
      s = this.series.get(otherKey)
      if (s == null) { s = { labels: Object.freeze(other), value: 0 }; this.series.set(otherKey, s) }
      return s
    }
    s = { labels: Object.freeze(Object.fromEntries(this.labelNames.map((l, i) => [l, values[i]]))), value: 0 }
    this.series.set(key, s)
    return s
  }

  /** Current value for `labels` (0 when never set). */
  get (labels: Labels = {}): number {
    return this.series.get(this.labelNames.map(l => labels[l] ?? '').join('\u0000'))?.value ?? 0
  }

  /** Sum over every label combination. */
  total (): number {
    let t = 0
    for (const s of this.series.values()) t += s.value
    return t
  }

  snapshot (): MetricSnapshot {
    return { name: this.name, help: this.help, type: this.type, labelNames: this.labelNames, samples: [...this.series.values()].map(s => ({ labels: s.labels, value: s.value })) }
  }
}

/** A value that only goes up (a count of events). */
export class Counter extends Metric {
  readonly type = 'counter'

  constructor (init: MetricInit) {
    super(init)
    if (!init.name.endsWith('_total')) throw new MetricsError(`counter name '${init.name}' must end in _total`)
  }

  inc (labels?: Labels, by = 1): void {
    if (!(by >= 0) || !Number.isFinite(by)) throw new RangeError(`${this.name}: a counter only grows (got ${by})`)
    this.sample(labels).value += by
  }
}

/** A value that goes up and down (a current count, a size, a score). */
export class Gauge extends Metric {
  readonly type = 'gauge'
  private readonly collector?: (gauge: Gauge) => void
  /** Reads whose collect callback threw (the gauge then reads empty); the last error is kept. */
  collectErrors = 0
  lastCollectError?: Error

  constructor (init: GaugeInit) {
    super(init)
    this.collector = init.collect
  }

  set (labels: Labels, value: number): void {
    this.sample(labels).value = Number.isFinite(value) ? value : 0
  }

  inc (labels: Labels = {}, by = 1): void { this.sample(labels).value += by }
  dec (labels: Labels = {}, by = 1): void { this.sample(labels).value -= by }

  /** Runs the collect callback (if any) on a cleared gauge; a failing callback leaves it empty. */
  collect (): void {
    if (this.collector == null) return
    this.series.clear()
    try {
      this.collector(this)
    } catch (err) {
      this.series.clear()
      this.collectErrors++
      this.lastCollectError = err instanceof Error ? err : new Error(String(err))
    }
  }

  override snapshot (): MetricSnapshot {
    this.collect()
    return super.snapshot()
  }
}

/** The registry: metrics by name. Registering a name twice returns the existing metric when it is the same kind. */
export class MetricsRegistry {
  private readonly metrics = new Map<string, Counter | Gauge>()

  /** A counter; the one already registered under `name` when there is one (same type and labels). */
  registerCounter (init: MetricInit): Counter {
    const old = this.metrics.get(init.name)
    if (old != null) return this.same(old, init, 'counter') as Counter
    const c = new Counter(init)
    this.metrics.set(init.name, c)
    return c
  }

  /** A gauge; with `collect`, filled at every read. */
  registerGauge (init: GaugeInit): Gauge {
    const old = this.metrics.get(init.name)
    if (old != null) return this.same(old, init, 'gauge') as Gauge
    const g = new Gauge(init)
    this.metrics.set(init.name, g)
    return g
  }

  get (name: string): Counter | Gauge | undefined { return this.metrics.get(name) }

  names (): string[] { return [...this.metrics.keys()].sort() }

  /** Every metric as it is now (collect callbacks run), sorted by name. */
  snapshot (): MetricSnapshot[] {
    return this.names().map(n => (this.metrics.get(n) as Counter | Gauge).snapshot())
  }

  private same (old: Counter | Gauge, init: MetricInit, type: MetricType): Counter | Gauge {
    const labels = init.labelNames ?? []
    if (old.type !== type || old.labelNames.length !== labels.length || old.labelNames.some((l, i) => l !== labels[i])) {
      throw new MetricsError(`metric ${init.name} is already registered as a ${old.type} with labels [${old.labelNames.join(', ')}]`)
    }
    return old
  }
}
