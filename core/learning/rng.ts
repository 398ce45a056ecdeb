/**
 * Seeded randomness for everything the learning engine draws: partitions, client selection,
 * stochastic rounding, DP noise, Byzantine behaviour, synthetic telemetry. One small generator
 * (mulberry32 over a splitmix32-mixed seed) so a run is reproducible from `--seed` alone, on every
 * platform; `Math.random` is never used. Streams for separate purposes are forked with `fork(tag)`
 * so adding a draw in one place does not shift the numbers seen everywhere else.
 */

export interface Rng {
  /** Uniform in [0, 1). */
  next: () => number
  /** Uniform integer in [0, n). */
  int: (n: number) => number
  /** Standard normal (Box–Muller, no caching so the stream position is simple to reason about). */
  normal: () => number
  /** Gamma(shape, 1) (Marsaglia–Tsang; shape < 1 boosted by U^(1/shape)). */
  gamma: (shape: number) => number
  /** A new independent stream derived from this seed and a tag. */
  fork: (tag: string | number) => Rng
}

function splitmix32 (x: number): number {
  x = (x + 0x9e3779b9) | 0
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b)
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35)
  return (x ^ (x >>> 16)) >>> 0
}

function hashTag (tag: string | number): number {
  const s = String(tag)
  let h = 0x811c9dc5 // FNV-1a
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  return h >>> 0
}

export function createRng (seed: number): Rng {
  const base = splitmix32(seed >>> 0)
  let state = base
  const next = (): number => {
    // mulberry32
    state = (state + 0x6d2b79f5) | 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const normal = (): number => {
    let u = next()
    while (u <= Number.EPSILON) u = next()
    const v = next()
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
  }
  const gamma = (shape: number): number => {
    if (!(shape > 0)) throw new RangeError(`gamma shape must be > 0 (got ${shape})`)
    if (shape < 1) return gamma(shape + 1) * Math.pow(Math.max(next(), Number.MIN_VALUE), 1 / shape)
    const d = shape - 1 / 3
    const c = 1 / Math.sqrt(9 * d)
    for (;;) {
      let x: number
      let v: number
      do {
        x = normal()
        v = 1 + c * x
      } while (v <= 0)
      v = v * v * v
      const u = next()
      if (u < 1 - 0.0331 * x * x * x * x) return d * v
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v
    }
  }
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    normal,
    gamma,
    fork: (tag: string | number) => createRng((base ^ hashTag(tag)) >>> 0)
  }
}

/** Fisher–Yates shuffle in place; returns the array. */
export function shuffle<T> (rng: Rng, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1)
    const t = items[i]
    items[i] = items[j]
    items[j] = t
  }
  return items
}

/** Dirichlet(alpha·1_k) sample via normalised gammas. */
export function dirichlet (rng: Rng, alpha: number, k: number): number[] {
  const g = Array.from({ length: k }, () => rng.gamma(alpha))
  const s = g.reduce((a, b) => a + b, 0)
  return s > 0 ? g.map(v => v / s) : g.map(() => 1 / k)
}

/**
 * Weighted sampling of `m` distinct indices without replacement (Efraimidis–Spirakis: keep the m
 * largest u^(1/w)). Zero-weight items are never chosen unless there are not enough others.
 */
export function weightedSampleWithoutReplacement (rng: Rng, weights: number[], m: number): number[] {
  const keys = weights.map((w, i) => {
    const u = Math.max(rng.next(), Number.MIN_VALUE)
    return { i, k: w > 0 ? Math.log(u) / w : -Infinity }
  })
  keys.sort((a, b) => b.k - a.k || a.i - b.i)
  return keys.slice(0, Math.min(m, weights.length)).map(e => e.i)
}
