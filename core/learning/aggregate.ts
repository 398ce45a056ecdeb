/**
 * Aggregation rules over client updates (flat Float32Array deltas of equal length):
 * FedAvg (sample-weighted mean), coordinate-wise median, coordinate-wise trimmed mean, Krum and
 * multi-Krum. All are pure functions; the robust ones ignore the weights by design (a Byzantine
 * client could otherwise claim a huge sample count).
 *
 * References: FedAvg — McMahan et al. 2017; median / trimmed mean — Yin et al. 2018 ("Byzantine-
 * Robust Distributed Learning: Towards Optimal Statistical Rates"); Krum / multi-Krum — Blanchard et
 * al. 2017. Multi-Krum here scores every update once and averages the m best-scored (the common
 * one-pass form), rather than re-running Krum after each removal.
 */
import { LearningConfigError } from './errors.ts'

export type AggregatorName = 'fedavg' | 'median' | 'trimmed-mean' | 'krum' | 'multi-krum'
export const AGGREGATORS: readonly AggregatorName[] = ['fedavg', 'median', 'trimmed-mean', 'krum', 'multi-krum']

export interface AggregateOptions {
  /** Trimmed mean: fraction trimmed from EACH end per coordinate. @default 0.2 */
  trimFraction?: number
  /** Krum: assumed number of Byzantine updates f. @default floor((n - 3) / 2) capped by the trim fraction */
  byzantine?: number
  /** Multi-Krum: how many best-scored updates to average. @default n - f */
  multiKrumM?: number
}

function checkShapes (updates: Float32Array[]): number {
  if (updates.length === 0) throw new LearningConfigError('aggregate: no updates')
  const d = updates[0].length
  for (const u of updates) if (u.length !== d) throw new RangeError(`aggregate: update length ${u.length} != ${d}`)
  return d
}

export function fedAvg (updates: Float32Array[], weights?: number[]): Float32Array {
  const d = checkShapes(updates)
  const w = weights ?? updates.map(() => 1)
  const total = w.reduce((a, b) => a + b, 0)
  if (!(total > 0)) throw new LearningConfigError('fedAvg: weights must sum to > 0')
  const acc = new Float64Array(d)
  updates.forEach((u, k) => {
    const s = w[k] / total
    for (let i = 0; i < d; i++) acc[i] += s * u[i]
  })
  return Float32Array.from(acc)
}

/** Applies `reduce(sortedColumn)` to every coordinate. */
function perCoordinate (updates: Float32Array[], reduce: (col: Float64Array) => number): Float32Array {
  const d = checkShapes(updates)
  const n = updates.length
  const col = new Float64Array(n)
  const out = new Float32Array(d)
  for (let i = 0; i < d; i++) {
    for (let k = 0; k < n; k++) {
      // insertion sort: n is small (clients per round)
      const v = updates[k][i]
      let j = k - 1
      while (j >= 0 && col[j] > v) { col[j + 1] = col[j]; j-- }
      col[j + 1] = v
    }
    out[i] = reduce(col)
  }
  return out
}

export function coordinateMedian (updates: Float32Array[]): Float32Array {
  const n = updates.length
  return perCoordinate(updates, col => n % 2 === 1 ? col[n >> 1] : (col[n / 2 - 1] + col[n / 2]) / 2)
}

/** Drops `b = floor(trimFraction * n)` values from each end of every coordinate, averages the rest. */
export function trimmedMean (updates: Float32Array[], trimFraction = 0.2): Float32Array {
  const n = updates.length
  if (!(trimFraction >= 0 && trimFraction < 0.5)) throw new LearningConfigError(`trimFraction must be in [0, 0.5) (got ${trimFraction})`)
  const b = Math.floor(trimFraction * n)
  return perCoordinate(updates, col => {
    let s = 0
    for (let k = b; k < n - b; k++) s += col[k]
    return s / (n - 2 * b)
  })
}

function sqDist (a: Float32Array, b: Float32Array): number {
  let s = 0
  for (let i = 0; i < a.length; i++) { const t = a[i] - b[i]; s += t * t }
  return s
}

/** Krum scores: for each update, the sum of squared distances to its n - f - 2 nearest others. */
export function krumScores (updates: Float32Array[], f: number): number[] {
  const n = updates.length
  const closest = n - f - 2
  if (closest < 1) throw new LearningConfigError(`krum needs n > f + 2 (n=${n}, f=${f})`)
  const dist: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0))
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) { const d = sqDist(updates[i], updates[j]); dist[i][j] = d; dist[j][i] = d }
  return dist.map((row, i) => row.filter((_, j) => j !== i).sort((a, b) => a - b).slice(0, closest).reduce((a, b) => a + b, 0))
}

/** Indices of the `m` best (lowest) Krum scores, ties broken by index. */
export function multiKrumSelect (updates: Float32Array[], f: number, m: number): number[] {
  const scores = krumScores(updates, f)
  return scores.map((s, i) => ({ s, i })).sort((a, b) => a.s - b.s || a.i - b.i).slice(0, Math.max(1, m)).map(e => e.i)
}

export function krum (updates: Float32Array[], f: number): Float32Array {
  return Float32Array.from(updates[multiKrumSelect(updates, f, 1)[0]])
}

export function multiKrum (updates: Float32Array[], f: number, m?: number): Float32Array {
  return fedAvg(multiKrumSelect(updates, f, m ?? updates.length - f).map(i => updates[i]))
}

/** The default f for Krum with n updates: as many as the trim fraction would tolerate, and Krum's n > 2f + 2 bound. */
export function defaultByzantine (n: number, trimFraction = 0.2): number {
  return Math.max(0, Math.min(Math.floor((n - 3) / 2), Math.ceil(trimFraction * n)))
}

/**
 * Norm clipping to the median (Sun et al. 2019 "Can you really backdoor federated learning?" use a
 * fixed bound; the median makes it scale-free): every update longer than the median L2 norm of the
 * set is scaled down to it. With fewer than half the updates Byzantine, the median norm is bounded
 * by honest norms, so a scaled-up attack (sign-flip ×4) loses its extra length before the robust
 * rule sees it. Returns new arrays; the inputs are not modified.
 */
export function clipToMedianNorm (updates: Float32Array[]): Float32Array[] {
  checkShapes(updates)
  const norms = updates.map(u => { let s = 0; for (const v of u) s += v * v; return Math.sqrt(s) })
  const sorted = [...norms].sort((a, b) => a - b)
  const n = sorted.length
  const med = n % 2 === 1 ? sorted[n >> 1] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
  return updates.map((u, k) => norms[k] > med && norms[k] > 0 ? u.map(v => v * med / norms[k]) : Float32Array.from(u))
}

export function aggregate (name: AggregatorName, updates: Float32Array[], weights: number[] | undefined, opts: AggregateOptions = {}): Float32Array {
  const trim = opts.trimFraction ?? 0.2
  const f = opts.byzantine ?? defaultByzantine(updates.length, trim)
  switch (name) {
    case 'fedavg': return fedAvg(updates, weights)
    case 'median': return coordinateMedian(updates)
    case 'trimmed-mean': return trimmedMean(updates, trim)
    case 'krum': return krum(updates, f)
    case 'multi-krum': return multiKrum(updates, f, opts.multiKrumM)
  }
}
