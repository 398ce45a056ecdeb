/**
 * Quorum sizing for ProBFT and PBFT.
 *
 * ProBFT: every replica sends PREPARE and COMMIT to a VRF-chosen set of s others (out of n − 1),
 * so a given correct replica is in a given sender's sample with p = s/(n − 1), independently per
 * sender and per phase, and counts its own vote. With q matching votes needed:
 *
 *   T(m)      = P[Bin(m, p) >= q − 1]        m senders' support (plus the receiver's own vote) reaches q
 *   liveness  = P[1 + Bin(n − f − 1, p) < q] one correct replica misses the quorum in one phase,
 *                                            Byzantine replicas silent
 *   safety    = max over a, b >= 1, a + b <= n − f of X(a, b) · X(b, a),
 *               X(a, b) = min(1, a · (T(f)² + (T(f + a − 1)² − T(f)²) · (1 − p)^b))
 *
 * `safety` bounds one view with an equivocating leader: it shows x to a correct replicas and y to
 * b others, and Byzantine replicas vote for both. For a replica of side A to decide x it must reach
 * q PREPAREs and q COMMITs from at most f + a − 1 supporters (T², the two phases' samples are
 * independent) and must not have received any vote of side B carrying the leader's other signed
 * header ((1 − p)^b; such a vote is proof of equivocation and stops it, see README). Decisions the
 * Byzantine votes complete alone (T(f)²) get no such credit: the adversary can deliver its votes
 * before any honest one. a · (…) is a union bound over side A. The detection term assumes side B's
 * PREPAREs reach side A before A's commit quorum completes (true after GST; the simulator measures
 * what happens otherwise).
 *
 * The model needs only a binomial tail, injected as `QuorumMath` (core-wasm's `binomialSf` /
 * `binomialCdf`), so the consensus core stays free of WASM loading. core-wasm's own
 * `solveQuorum` assumes no equivocation detection and is reported next to ours by the benchmark.
 * PBFT: deterministic quorum ⌈(n + f + 1)/2⌉ of all n.
 */
import { ConsensusConfigError } from './errors.ts'

export interface QuorumMath {
  /** P[X >= k] for X ~ Bin(n, p) */
  binomialSf: (n: number, k: number, p: number) => number
  /** P[X <= k] for X ~ Bin(n, p) */
  binomialCdf: (n: number, k: number, p: number) => number
}

export interface ProbftParams {
  n: number
  f: number
  /** recipients per replica per phase */
  sampleSize: number
  /** matching votes needed (own vote included) */
  quorum: number
  /** model safety failure per view (see above) */
  safetyFailure: number
  /** model probability that one correct replica misses one phase's quorum */
  livenessFailure: number
  /** probability that f Byzantine votes plus the receiver's own reach q at one correct replica */
  byzantineQuorum: number
}

export interface ProbftSizing {
  n: number
  f: number
  /** s = ⌈o·√n⌉ (clamped to n − 1) @default 2.5 */
  sampleFactor?: number
  /** explicit sample size, overrides sampleFactor */
  sampleSize?: number
  /** target safety failure per view @default 1e-3 */
  targetFailure?: number
  /**
   * largest acceptable probability that a correct replica misses one phase's quorum with the f
   * Byzantine replicas silent; s grows from ⌈o·√n⌉ until it is met (ignored with sampleSize) @default 0.25
   */
  livenessTarget?: number
}

export function checkNF (n: number, f: number): void {
  if (!Number.isInteger(n) || n < 4) throw new ConsensusConfigError(`n must be an integer >= 4 (got ${n})`)
  if (!Number.isInteger(f) || f < 0 || 3 * f >= n) throw new ConsensusConfigError(`f must be an integer with 0 <= f < n/3 (got n=${n}, f=${f})`)
}

export function sampleSizeFor (n: number, sampleFactor = 2.5): number {
  return Math.min(n - 1, Math.ceil(sampleFactor * Math.sqrt(n)))
}

/** Evaluates the model at (n, f, s, q). */
export function evalProbft (math: QuorumMath, n: number, f: number, s: number, q: number): ProbftParams {
  const p = s / (n - 1)
  const c = n - f
  const tail = (m: number): number => q - 1 <= 0 ? 1 : math.binomialSf(m, q - 1, p)
  const T = new Float64Array(c + f + 1)
  for (let m = 0; m <= c + f; m++) T[m] = tail(m)
  // decisions the Byzantine votes alone can complete are not credited with detection (the adversary
  // can deliver its own votes before any honest one arrives); only the rest are
  const alone = T[f] ** 2
  const X = (a: number, b: number): number => Math.min(1, a * (alone + (T[f + a - 1] ** 2 - alone) * (1 - p) ** b))
  let safety = 0
  for (let a = 1; a < c; a++) {
    for (let b = 1; a + b <= c; b++) safety = Math.max(safety, X(a, b) * X(b, a))
  }
  const livenessFailure = q <= 1 ? 0 : math.binomialCdf(c - 1, q - 2, p)
  return { n, f, sampleSize: s, quorum: q, safetyFailure: safety, livenessFailure, byzantineQuorum: T[f] }
}

/** Smallest q whose model safety failure is <= target, or null if even q = s + 1 misses it. */
function smallestSafeQ (math: QuorumMath, n: number, f: number, s: number, target: number): ProbftParams | null {
  for (let q = 1; q <= s + 1; q++) {
    const r = evalProbft(math, n, f, s, q)
    if (r.safetyFailure <= target) return r
  }
  return null
}

/**
 * Sample size and quorum from the model: s starts at ⌈o·√n⌉ and grows until the smallest safe q
 * also meets the liveness target (an explicit sampleSize is taken as is).
 */
export function solveProbft (math: QuorumMath, sizing: ProbftSizing): ProbftParams {
  const { n, f } = sizing
  checkNF(n, f)
  const target = sizing.targetFailure ?? 1e-3
  if (!(target > 0 && target < 1)) throw new ConsensusConfigError(`targetFailure must be in (0, 1) (got ${target})`)
  if (sizing.sampleSize != null) {
    const s = sizing.sampleSize
    if (!Number.isInteger(s) || s < 1 || s > n - 1) throw new ConsensusConfigError(`sample size must be in [1, ${n - 1}] (got ${s})`)
    return smallestSafeQ(math, n, f, s, target) ?? evalProbft(math, n, f, s, s + 1)
  }
  const live = sizing.livenessTarget ?? 0.25
  let best: ProbftParams | null = null
  for (let s = sampleSizeFor(n, sizing.sampleFactor); s <= n - 1; s++) {
    const r = smallestSafeQ(math, n, f, s, target)
    if (r == null) continue
    best = r
    if (r.livenessFailure <= live) break
  }
  return best ?? evalProbft(math, n, f, n - 1, pbftQuorum(n, f))
}

/** PBFT's deterministic quorum: any two intersect in a correct replica. */
export function pbftQuorum (n: number, f: number): number {
  checkNF(n, f)
  return Math.ceil((n + f + 1) / 2)
}
