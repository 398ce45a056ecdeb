/**
 * Binomial and hypergeometric distributions in log space, accurate far into the tails.
 *
 * Point probabilities use Catherine Loader's saddle-point form ("Fast and Accurate Computation of
 * Binomial Probabilities", 2000 — the algorithm behind R's dbinom/dhyper): the Stirling error
 * `stirlerr(n) = ln n! - ln(sqrt(2 pi n) (n/e)^n)` and the deviance `bd0(x, np)` are each computed
 * without cancellation, so ln P is accurate to ~1e-14 absolute even when P is 1e-300 or smaller.
 * Tails are sums of point probabilities, started at the largest term inside the tail and summed
 * (scaled by that term, so nothing underflows) outwards until the terms no longer matter.
 * Counts are f64 holding integers (exact up to 2^53).
 */

const LN_2PI: f64 = 1.8378770664093454835606594728112
const NEG_INF: f64 = -Infinity
const STIRLERR_SMALL: i32 = 16
const stirTable = memory.data(16 * 8)
let stirReady = false

function initStirling (): void {
  // Exact definition for n < 16: ln n! - (n + 1/2) ln n + n - ln sqrt(2 pi).
  let lf: f64 = 0
  store<f64>(stirTable, 0)
  for (let n = 1; n < STIRLERR_SMALL; n++) {
    lf += Math.log(<f64>n)
    const x = <f64>n
    store<f64>(stirTable + (<usize>n << 3), lf - (x + 0.5) * Math.log(x) + x - 0.5 * LN_2PI)
  }
  stirReady = true
}

/** Stirling's error term for integer n >= 0. */
function stirlerr (n: f64): f64 {
  if (n < <f64>STIRLERR_SMALL) {
    if (!stirReady) initStirling()
    return load<f64>(stirTable + (<usize>n << 3))
  }
  const S0: f64 = 1.0 / 12.0
  const S1: f64 = 1.0 / 360.0
  const S2: f64 = 1.0 / 1260.0
  const S3: f64 = 1.0 / 1680.0
  const S4: f64 = 1.0 / 1188.0
  const nn = n * n
  if (n > 500) return (S0 - S1 / nn) / n
  if (n > 80) return (S0 - (S1 - S2 / nn) / nn) / n
  if (n > 35) return (S0 - (S1 - (S2 - S3 / nn) / nn) / nn) / n
  return (S0 - (S1 - (S2 - (S3 - S4 / nn) / nn) / nn) / nn) / n
}

/** Deviance term x ln(x/np) + np - x, evaluated without cancellation near x = np. */
function bd0 (x: f64, np: f64): f64 {
  if (Math.abs(x - np) < 0.1 * (x + np)) {
    let v = (x - np) / (x + np)
    let s = (x - np) * v
    let ej = 2 * x * v
    v = v * v
    for (let j = 1; j < 1000; j++) {
      ej *= v
      const s1 = s + ej / <f64>(2 * j + 1)
      if (s1 == s) return s1
      s = s1
    }
    return s
  }
  return x * Math.log(x / np) + np - x
}

/** ln P[Bin(n, p) = x] with q = 1 - p passed separately (keeps precision when p is near 1). */
function logDbinomRaw (x: f64, n: f64, p: f64, q: f64): f64 {
  if (p == 0) return x == 0 ? 0 : NEG_INF
  if (q == 0) return x == n ? 0 : NEG_INF
  if (x == 0) {
    if (n == 0) return 0
    return p < 0.1 ? n * Math.log1p(-p) : n * Math.log(q)
  }
  if (x == n) return q < 0.1 ? n * Math.log1p(-q) : n * Math.log(p)
  if (x < 0 || x > n) return NEG_INF
  const lc = stirlerr(n) - stirlerr(x) - stirlerr(n - x) - bd0(x, n * p) - bd0(n - x, n * q)
  const lf = LN_2PI + Math.log(x) + Math.log1p(-x / n)
  return lc - 0.5 * lf
}

export function logBinomialPmf (n: f64, k: f64, p: f64): f64 {
  if (k < 0 || k > n) return NEG_INF
  return logDbinomRaw(k, n, p, 1 - p)
}

/** ln P[Hypergeometric(N population, K successes, n draws) = k]. */
export function logHypergeomPmf (N: f64, K: f64, n: f64, k: f64): f64 {
  if (k < 0 || k < n - (N - K) || k > n || k > K) return NEG_INF
  if (n == 0) return k == 0 ? 0 : NEG_INF
  if (n == N) return k == K ? 0 : NEG_INF
  const p = n / N
  const q = (N - n) / N
  return logDbinomRaw(k, K, p, q) + logDbinomRaw(n - k, N - K, p, q) - logDbinomRaw(n, N, p, q)
}

// Summation of a unimodal pmf over [lo, hi], starting at `start` (the largest term in range).
// Terms more than e^-46 (~1e-20) below the largest cannot change an f64 sum.
const CUTOFF: f64 = -46

let distKind: i32 = 0 // 0 = binomial, 1 = hypergeometric
let dA: f64 = 0
let dB: f64 = 0
let dC: f64 = 0

// @ts-ignore: decorator
@inline function term (k: f64): f64 {
  return distKind == 0 ? logBinomialPmf(dA, k, dB) : logHypergeomPmf(dA, dB, dC, k)
}

function logSumRange (lo: f64, hi: f64, mode: f64): f64 {
  if (lo > hi) return NEG_INF
  const start = mode < lo ? lo : (mode > hi ? hi : mode)
  const ref = term(start)
  if (ref == NEG_INF) return NEG_INF
  let sum: f64 = 1
  for (let k = start + 1; k <= hi; k++) {
    const t = term(k) - ref
    if (t < CUTOFF) break
    sum += Math.exp(t)
  }
  for (let k = start - 1; k >= lo; k--) {
    const t = term(k) - ref
    if (t < CUTOFF) break
    sum += Math.exp(t)
  }
  return ref + Math.log(sum)
}

// @ts-ignore: decorator
@inline function clamp0 (x: f64): f64 { return x > 0 ? 0 : x } // ln P <= 0 despite rounding

/** ln P[Bin(n,p) <= k]. */
export function logBinomialCdf (n: f64, k: f64, p: f64): f64 {
  if (k < 0) return NEG_INF
  if (k >= n) return 0
  distKind = 0; dA = n; dB = p
  return clamp0(logSumRange(0, k, Math.floor((n + 1) * p)))
}

/** ln P[Bin(n,p) >= k]. */
export function logBinomialSf (n: f64, k: f64, p: f64): f64 {
  if (k <= 0) return 0
  if (k > n) return NEG_INF
  distKind = 0; dA = n; dB = p
  return clamp0(logSumRange(k, n, Math.floor((n + 1) * p)))
}

/** ln P[H <= k] for Hypergeometric(N, K, n). */
export function logHypergeomCdf (N: f64, K: f64, n: f64, k: f64): f64 {
  const lo = Math.max(0, n - (N - K))
  const hi = Math.min(n, K)
  if (k < lo) return NEG_INF
  if (k >= hi) return 0
  distKind = 1; dA = N; dB = K; dC = n
  return clamp0(logSumRange(lo, k, Math.floor((n + 1) * (K + 1) / (N + 2))))
}

/** ln P[H >= k] for Hypergeometric(N, K, n). */
export function logHypergeomSf (N: f64, K: f64, n: f64, k: f64): f64 {
  const lo = Math.max(0, n - (N - K))
  const hi = Math.min(n, K)
  if (k <= lo) return 0
  if (k > hi) return NEG_INF
  distKind = 1; dA = N; dB = K; dC = n
  return clamp0(logSumRange(k, hi, Math.floor((n + 1) * (K + 1) / (N + 2))))
}
