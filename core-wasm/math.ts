/**
 * Probability math for quorum sizing, computed in the WASM core (assembly/stats.ts,
 * assembly/quorum.ts). `log*` functions return natural logarithms, so probabilities far below
 * 1e-300 stay representable; the plain versions are `Math.exp` of those. The model behind
 * `solveQuorum` is written out in core-wasm/README.md.
 */
import { wasm } from './_instance.ts'
import { assertInteger, assertNumber, assertOptions } from './_validate.ts'

const MAX_N = 2 ** 31 - 1 // counts are integers held exactly in f64; this keeps loops sane

function checkBinomial (n: number, k: number, p: number): void {
  assertInteger(n, 'n', 0, MAX_N)
  if (typeof k !== 'number') throw new TypeError(`k must be a number (got ${typeof k})`)
  if (!Number.isInteger(k)) throw new RangeError(`k must be an integer (got ${k})`)
  assertNumber(p, 'p', 0, 1)
}

function checkHypergeom (N: number, K: number, n: number, k: number): void {
  assertInteger(N, 'N', 0, MAX_N)
  assertInteger(K, 'K', 0, N)
  assertInteger(n, 'n', 0, N)
  if (typeof k !== 'number') throw new TypeError(`k must be a number (got ${typeof k})`)
  if (!Number.isInteger(k)) throw new RangeError(`k must be an integer (got ${k})`)
}

/** ln P[X = k], X ~ Binomial(n, p). */
export function logBinomialPmf (n: number, k: number, p: number): number {
  checkBinomial(n, k, p)
  return wasm().logBinomialPmf(n, k, p)
}
/** P[X = k], X ~ Binomial(n, p). */
export function binomialPmf (n: number, k: number, p: number): number { return Math.exp(logBinomialPmf(n, k, p)) }
/** ln P[X <= k]. */
export function logBinomialCdf (n: number, k: number, p: number): number {
  checkBinomial(n, k, p)
  return wasm().logBinomialCdf(n, k, p)
}
/** P[X <= k]. */
export function binomialCdf (n: number, k: number, p: number): number { return Math.exp(logBinomialCdf(n, k, p)) }
/** ln P[X >= k] (upper tail, k included). */
export function logBinomialSf (n: number, k: number, p: number): number {
  checkBinomial(n, k, p)
  return wasm().logBinomialSf(n, k, p)
}
/** P[X >= k] (upper tail, k included). */
export function binomialSf (n: number, k: number, p: number): number { return Math.exp(logBinomialSf(n, k, p)) }

/** ln P[H = k], H ~ Hypergeometric(population N, K successes in it, n draws). */
export function logHypergeomPmf (N: number, K: number, n: number, k: number): number {
  checkHypergeom(N, K, n, k)
  return wasm().logHypergeomPmf(N, K, n, k)
}
export function hypergeomPmf (N: number, K: number, n: number, k: number): number { return Math.exp(logHypergeomPmf(N, K, n, k)) }
/** ln P[H <= k]. */
export function logHypergeomCdf (N: number, K: number, n: number, k: number): number {
  checkHypergeom(N, K, n, k)
  return wasm().logHypergeomCdf(N, K, n, k)
}
export function hypergeomCdf (N: number, K: number, n: number, k: number): number { return Math.exp(logHypergeomCdf(N, K, n, k)) }
/** ln P[H >= k]. */
export function logHypergeomSf (N: number, K: number, n: number, k: number): number {
  checkHypergeom(N, K, n, k)
  return wasm().logHypergeomSf(N, K, n, k)
}
export function hypergeomSf (N: number, K: number, n: number, k: number): number { return Math.exp(logHypergeomSf(N, K, n, k)) }

export interface QuorumParams {
  /** Replicas. */
  n: number
  /** Byzantine replicas (0 <= f < n). */
  f: number
  /** VRF sample size s: recipients of each PREPARE/COMMIT (1..n). */
  sampleSize: number
  /** Acceptable probability of a safety violation per view (0 < target < 1). */
  targetFailure: number
  /**
   * Acceptable probability that a view with a correct leader fails somewhere (it then costs a view
   * change, not safety: ProBFT still terminates with probability 1 after GST). Only sets `feasible`.
   * @default 0.5
   */
  livenessTarget?: number
}

export interface QuorumSolution {
  /** Smallest quorum (matching messages to advance) whose safety failure <= targetFailure. */
  q: number
  /** Upper bound on P[two correct replicas decide differently in a view], worst leader split. */
  safetyFailure: number
  /** Upper bound on P[some correct replica misses a quorum in a view with a correct leader]. */
  livenessFailure: number
  /** P[one given correct replica misses the quorum in one phase] (correct leader, silent Byzantines). */
  perReplicaLivenessFailure: number
  /** ln of safetyFailure / livenessFailure (exact far below 1e-308). */
  logSafetyFailure: number
  logLivenessFailure: number
  /** Correct replicas the worst-case equivocating leader sends value A to (the rest get B). */
  worstSplit: number
  /** Expected matching messages a correct replica receives from correct senders: (n - f) s / n. */
  expectedMessages: number
  /** safetyFailure <= targetFailure and livenessFailure <= livenessTarget. */
  feasible: boolean
}

function checkQuorum (params: unknown): asserts params is QuorumParams {
  assertOptions(params, 'params')
  if (params === undefined) throw new TypeError('params must be an object')
  const p = params as Record<string, unknown>
  assertInteger(p.n, 'n', 1, 1_000_000) // O(n log n) per solve: a few seconds at the cap
  assertInteger(p.f, 'f', 0, p.n - 1)
  assertInteger(p.sampleSize, 'sampleSize', 1, p.n)
  assertNumber(p.targetFailure, 'targetFailure', Number.MIN_VALUE, 1)
  if (p.targetFailure === 1) throw new RangeError('targetFailure must be below 1')
  if (p.livenessTarget !== undefined) assertNumber(p.livenessTarget, 'livenessTarget', 0, 1)
}

function readResult (ptr: number, { n, f, sampleSize: s, targetFailure: target, livenessTarget }: QuorumParams): QuorumSolution {
  const r = new Float64Array(wasm().memory.buffer, ptr, 5)
  const [q, ls, lv, lr, split] = r
  return {
    q,
    safetyFailure: Math.exp(ls),
    livenessFailure: Math.exp(lv),
    perReplicaLivenessFailure: Math.exp(lr),
    logSafetyFailure: ls,
    logLivenessFailure: lv,
    worstSplit: split,
    expectedMessages: (n - f) * s / n,
    feasible: ls <= Math.log(target) && lv <= Math.log(livenessTarget ?? 0.5)
  }
}

/** Smallest quorum q meeting `targetFailure` for safety, with the resulting probabilities. */
export function solveQuorum (params: QuorumParams): QuorumSolution {
  checkQuorum(params)
  const { n, f, sampleSize, targetFailure } = params
  return readResult(wasm().solveQuorum(n, f, sampleSize, targetFailure), params)
}

/** The same model evaluated at a given q (`feasible` compares against `targetFailure`). */
export function evaluateQuorum (params: QuorumParams & { q: number }): QuorumSolution {
  checkQuorum(params)
  assertInteger(params.q, 'q', 1, params.n + 1)
  const { n, f, sampleSize, q } = params
  return readResult(wasm().evalQuorum(n, f, sampleSize, q), params)
}
