/**
 * Quorum sizing for ProBFT-style probabilistic quorums (the model is documented, with its
 * derivation, in core-wasm/README.md):
 *
 * n replicas, f Byzantine, c = n - f correct. Every sender's recipients are a VRF-chosen uniform
 * s-subset, so a given receiver is in a given sender's sample with probability p = s/n,
 * independently across senders. A replica advances on q matching messages.
 *
 * T_q(m) = P[Bin(m, p) >= q]   (m senders could support a value)
 * D(m)   = T(m)^2               (a PREPARE quorum, then a COMMIT quorum, independent samples)
 * safety(q)   = max over splits a in [0, c] of min(1, c D(a+f), c D(c-a+f), c (c-1) D(a+f) D(c-a+f))
 * liveness(q) = min(1, 2 c P[Bin(c, p) <= q - 1])
 *
 * T(m) for every m is built by the recurrence T(m+1) = T(m) + p P[Bin(m, p) = q - 1] in log
 * space, so one safety evaluation is O(c) point probabilities.
 */
import { logBinomialCdf, logBinomialPmf, logBinomialSf } from './stats'

const NEG_INF: f64 = -Infinity

/** Results of the last solve/eval, read by the loader: see RESULT_* offsets. */
export const quorumResult = memory.data(8 * 8)
// 0 q, 1 ln safety, 2 ln liveness (view), 3 ln liveness (one replica, one phase), 4 worst split a

// @ts-ignore: decorator
@inline function logAddExp (a: f64, b: f64): f64 {
  if (a == NEG_INF) return b
  if (b == NEG_INF) return a
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b))
}

let scratch: usize = 0
let scratchCap: usize = 0
let worstSplit: f64 = 0

function logSafety (n: f64, f: f64, p: f64, q: f64): f64 {
  const c = n - f
  const count = <usize>c + 1
  if (scratchCap < count) {
    if (scratch != 0) heap.free(scratch)
    scratch = heap.alloc(count << 3)
    scratchCap = count
  }
  const lp = Math.log(p)
  let lt = logBinomialSf(f, q, p)
  store<f64>(scratch, lt)
  for (let i: usize = 1; i < count; i++) {
    const m = f + <f64>(i - 1) // T(m + 1) from T(m)
    lt = logAddExp(lt, lp + logBinomialPmf(m, q - 1, p))
    if (lt > 0) lt = 0
    store<f64>(scratch + (i << 3), lt)
  }
  const lc = Math.log(c)
  const lpairs = c >= 2 ? lc + Math.log(c - 1) : NEG_INF
  let best = NEG_INF
  worstSplit = 0
  for (let a: usize = 0; a < count; a++) {
    // Deciding needs a PREPARE quorum and then a COMMIT quorum at the same replica, from
    // independent VRF samples, each from at most a + f (resp. c - a + f) supporters: T squared.
    const l1 = 2 * load<f64>(scratch + (a << 3))
    const l2 = 2 * load<f64>(scratch + ((count - 1 - a) << 3))
    let v = lpairs + l1 + l2
    if (lc + l1 < v) v = lc + l1
    if (lc + l2 < v) v = lc + l2
    if (v > 0) v = 0
    if (c < 2) v = NEG_INF // a single correct replica cannot disagree with itself
    if (v > best) { best = v; worstSplit = <f64>a }
  }
  return best
}

function fill (n: f64, f: f64, p: f64, q: f64): void {
  const c = n - f
  const ls = logSafety(n, f, p, q)
  const perReplica = q <= 0 ? NEG_INF : logBinomialCdf(c, q - 1, p)
  let view = Math.log(2 * c) + perReplica
  if (view > 0) view = 0
  store<f64>(quorumResult, q)
  store<f64>(quorumResult, ls, 8)
  store<f64>(quorumResult, view, 16)
  store<f64>(quorumResult, perReplica, 24)
  store<f64>(quorumResult, worstSplit, 32)
}

/** Evaluates the model at a given quorum size q; results in quorumResult. */
export function evalQuorum (n: f64, f: f64, s: f64, q: f64): usize {
  fill(n, f, s / n, q)
  return quorumResult
}

/** Smallest q in [1, n + 1] whose safety failure is <= target; results in quorumResult. */
export function solveQuorum (n: f64, f: f64, s: f64, target: f64): usize {
  const p = s / n
  const lt = Math.log(target)
  let lo: f64 = 1
  let hi: f64 = n + 1 // T = 0 there, so the search always ends
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2)
    if (logSafety(n, f, p, mid) <= lt) hi = mid
    else lo = mid + 1
  }
  fill(n, f, p, lo)
  return quorumResult
}
