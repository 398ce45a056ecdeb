/**
 * The probability math against exact big-integer computation: binomial and hypergeometric point
 * probabilities, CDFs and upper tails as BigInt rationals for small and medium n, compared in log
 * space (so tails of 1e-30, 1e-300 and far below are checked too), and `solveQuorum` against the
 * same model evaluated exactly (core-wasm/README.md gives the model).
 */
import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import {
  binomialCdf, binomialSf, evaluateQuorum, hypergeomSf, initCoreWasm, logBinomialCdf, logBinomialPmf,
  logBinomialSf, logHypergeomCdf, logHypergeomPmf, logHypergeomSf, solveQuorum
} from '../../core-wasm/index.ts'

before(async () => { await initCoreWasm() })

/** Natural log of a positive BigInt, to ~1e-16 relative. */
function logBig (x: bigint): number {
  if (x <= 0n) return -Infinity
  const bits = x.toString(16).length * 4
  if (bits <= 900) return Math.log(Number(x))
  const shift = BigInt(bits - 900)
  return Math.log(Number(x >> shift)) + Number(shift) * Math.LN2
}

function close (got: number, want: number, what: string): void {
  if (want === -Infinity) { assert.equal(got, -Infinity, what); return }
  const tol = 1e-10 + 1e-12 * Math.abs(want)
  assert.ok(Math.abs(got - want) <= tol, `${what}: got ${got}, exact ${want} (diff ${got - want})`)
}

/** Exact binomial numerators C(n,k) a^k (b-a)^(n-k) over the common denominator b^n. */
function binomialNumerators (n: number, a: bigint, b: bigint): bigint[] {
  const c = b - a
  const powA = [1n]; const powC = [1n]
  for (let i = 1; i <= n; i++) { powA.push(powA[i - 1] * a); powC.push(powC[i - 1] * c) }
  const out: bigint[] = []
  let binom = 1n
  for (let k = 0; k <= n; k++) {
    out.push(binom * powA[k] * powC[n - k])
    binom = binom * BigInt(n - k) / BigInt(k + 1)
  }
  return out
}

const sum = (xs: bigint[]): bigint => xs.reduce((s, x) => s + x, 0n)

function checkBinomial (n: number, a: number, b: number, ks: number[]): void {
  const p = a / b
  const num = binomialNumerators(n, BigInt(a), BigInt(b))
  const lden = logBig(BigInt(b) ** BigInt(n))
  for (const k of ks) {
    const what = `Bin(${n}, ${a}/${b}) at ${k}`
    close(logBinomialPmf(n, k, p), logBig(num[k]) - lden, `pmf ${what}`)
    close(logBinomialCdf(n, k, p), logBig(sum(num.slice(0, k + 1))) - lden, `cdf ${what}`)
    close(logBinomialSf(n, k, p), logBig(sum(num.slice(k))) - lden, `sf ${what}`)
  }
}

test('binomial pmf, cdf and upper tail match exact rationals for small n (every k)', () => {
  for (const n of [1, 2, 5, 10, 37, 100]) {
    for (const [a, b] of [[1, 2], [1, 10], [3, 7], [99, 100], [1, 1000]]) {
      checkBinomial(n, a, b, Array.from({ length: n + 1 }, (_, k) => k))
    }
  }
})

test('binomial far tails for medium n: 1e-30, 1e-300 and beyond, without underflow', () => {
  checkBinomial(1000, 1, 10, [0, 1, 50, 100, 150, 200, 300, 500, 900, 1000])
  checkBinomial(3000, 1, 3, [0, 700, 1000, 1300, 1600, 2000, 2999, 3000])
  const tail = logBinomialSf(1000, 700, 0.1)
  assert.ok(tail < Math.log(1e-300), `expected a tail below 1e-300, got e^${tail}`)
  const mid = binomialSf(200, 60, 0.1)
  assert.ok(mid > 0 && mid < 1e-12, `linear tail ${mid} must not underflow`)
  close(Math.log(binomialCdf(200, 2, 0.3)), logBinomialCdf(200, 2, 0.3), 'binomialCdf is exp(logBinomialCdf)')
})

function choose (n: number, k: number): bigint {
  if (k < 0 || k > n) return 0n
  let r = 1n
  for (let i = 0; i < k; i++) r = r * BigInt(n - i) / BigInt(i + 1)
  return r
}

test('hypergeometric pmf, cdf and upper tail match exact rationals', () => {
  for (const [N, K, n] of [[10, 3, 4], [20, 10, 10], [50, 5, 30], [200, 60, 20], [1000, 333, 100], [2000, 100, 400]]) {
    const den = logBig(choose(N, n))
    const terms = Array.from({ length: n + 1 }, (_, k) => choose(K, k) * choose(N - K, n - k))
    for (let k = 0; k <= n; k += n > 50 ? 7 : 1) {
      const what = `H(${N}, ${K}, ${n}) at ${k}`
      close(logHypergeomPmf(N, K, n, k), logBig(terms[k]) - den, `pmf ${what}`)
      close(logHypergeomCdf(N, K, n, k), logBig(sum(terms.slice(0, k + 1))) - den, `cdf ${what}`)
      close(logHypergeomSf(N, K, n, k), logBig(sum(terms.slice(k))) - den, `sf ${what}`)
    }
  }
  assert.ok(hypergeomSf(2000, 100, 400, 100) < 1e-30)
})

// --- the quorum model, exactly ------------------------------------------------------------------

/** Exact ln safety bound of the documented model, for every q, as BigInt rationals. */
function exactSafety (n: number, f: number, s: number, q: number): number {
  const c = n - f
  // T(m) = P[Bin(m, s/n) >= q] = num(m) / n^m
  const T = (m: number): [bigint, bigint] => [sum(binomialNumerators(m, BigInt(s), BigInt(n)).slice(q)), BigInt(n) ** BigInt(m)]
  let best = -Infinity
  for (let a = 0; a <= c; a++) {
    const [n1, d1] = T(a + f)
    const [n2, d2] = T(c - a + f)
    const l1 = 2 * (logBig(n1) - logBig(d1)) // PREPARE and COMMIT quorums: T squared
    const l2 = 2 * (logBig(n2) - logBig(d2))
    const lc = Math.log(c)
    let v = Math.min(lc + l1, lc + l2, c >= 2 ? lc + Math.log(c - 1) + l1 + l2 : -Infinity, 0)
    if (c < 2) v = -Infinity
    best = Math.max(best, v)
  }
  return best
}

test('evaluateQuorum matches the exact model for small n at every q', () => {
  for (const [n, f, s] of [[10, 3, 5], [20, 4, 8], [31, 10, 12]]) {
    for (let q = 1; q <= n + 1; q++) {
      const r = evaluateQuorum({ n, f, sampleSize: s, targetFailure: 1e-6, q })
      close(r.logSafetyFailure, exactSafety(n, f, s, q), `safety n=${n} f=${f} s=${s} q=${q}`)
      const c = n - f
      const miss = sum(binomialNumerators(c, BigInt(s), BigInt(n)).slice(0, q))
      close(Math.log(r.perReplicaLivenessFailure), logBig(miss) - logBig(BigInt(n) ** BigInt(c)), `liveness n=${n} q=${q}`)
    }
  }
})

test('solveQuorum returns the smallest q meeting the target', () => {
  for (const [n, f, s, target] of [[20, 4, 8, 1e-3], [31, 10, 12, 1e-2], [100, 10, 40, 1e-6], [1000, 100, 126, 1e-9], [400, 40, 80, 1e-30]]) {
    const r = solveQuorum({ n, f, sampleSize: s, targetFailure: target })
    assert.ok(r.safetyFailure <= target, `q=${r.q} safety ${r.safetyFailure} > ${target}`)
    if (r.q > 1) {
      const below = evaluateQuorum({ n, f, sampleSize: s, targetFailure: target, q: r.q - 1 })
      assert.ok(below.logSafetyFailure > Math.log(target), `q-1=${r.q - 1} already meets the target`)
    }
    if (n <= 31) assert.ok(exactSafety(n, f, s, r.q) <= Math.log(target) + 1e-12)
    assert.equal(r.feasible, r.safetyFailure <= target && r.livenessFailure <= target)
  }
})

test('the solver behaves like the model says: stricter target -> larger q; more Byzantines -> larger q', () => {
  const base = { n: 1000, f: 100, sampleSize: 126 }
  const loose = solveQuorum({ ...base, targetFailure: 1e-3 })
  const strict = solveQuorum({ ...base, targetFailure: 1e-12 })
  assert.ok(strict.q > loose.q)
  assert.ok(strict.livenessFailure >= loose.livenessFailure)
  const more = solveQuorum({ ...base, f: 200, targetFailure: 1e-3 })
  assert.ok(more.q > loose.q)
  // n = 1000, f = 100: s = 8 sqrt(n) meets 1e-6 with live views (the model is conservative: union
  // bounds over replicas, no credit for detecting equivocation); s = 4 sqrt(n) is safe but views often fail.
  for (const sampleSize of [253, 506]) {
    const wide = solveQuorum({ ...base, sampleSize, targetFailure: 1e-6 })
    assert.equal(wide.feasible, true, JSON.stringify(wide))
    assert.ok(wide.q > wide.expectedMessages * 0.55 && wide.q < wide.expectedMessages, JSON.stringify(wide))
  }
  assert.equal(loose.feasible, false)
  // With everyone sampled (s = n) the model reduces to the deterministic Byzantine quorum q > (n + f) / 2.
  assert.equal(solveQuorum({ n: 100, f: 10, sampleSize: 100, targetFailure: 1e-9 }).q, 56)
  // Nothing underflows at absurd targets; the log fields carry the exact size.
  const tiny = solveQuorum({ ...base, targetFailure: 1e-300 })
  assert.ok(tiny.logSafetyFailure <= Math.log(1e-300))
})
