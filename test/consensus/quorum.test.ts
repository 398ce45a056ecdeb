/**
 * Quorum sizing: the model's tail probabilities against exact big-integer arithmetic, the solver
 * returns the smallest safe q, the monotonicity the model must have, PBFT's deterministic quorum,
 * and typed errors for impossible configurations.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { binomialCdf, binomialSf, initCoreWasm } from '../../core-wasm/index.ts'
import { ConsensusConfigError } from '../../core/consensus/errors.ts'
import { evalProbft, pbftQuorum, solveProbft } from '../../core/consensus/quorum.ts'

await initCoreWasm()
const math = { binomialSf, binomialCdf }

/** P[Bin(m, a/b) >= k], exactly, as a float from a big-integer fraction. */
function exactSf (m: number, k: number, a: number, b: number): number {
  const A = BigInt(a); const B = BigInt(b)
  let num = 0n
  let choose = 1n
  for (let i = 0; i <= m; i++) {
    if (i > 0) choose = choose * BigInt(m - i + 1) / BigInt(i)
    if (i >= k) num += choose * A ** BigInt(i) * (B - A) ** BigInt(m - i)
  }
  const den = B ** BigInt(m)
  return Number(num * 10n ** 18n / den) / 1e18
}

test('byzantineQuorum = P[Bin(f, s/(n-1)) >= q-1], checked against exact arithmetic', () => {
  for (const [n, f, s, q] of [[16, 5, 10, 7], [64, 21, 22, 14], [128, 42, 31, 19], [40, 13, 12, 9]]) {
    const r = evalProbft(math, n, f, s, q)
    const exact = exactSf(f, q - 1, s, n - 1)
    assert.ok(Math.abs(r.byzantineQuorum - exact) <= 1e-9 + 1e-6 * exact, `${n}: ${r.byzantineQuorum} vs ${exact}`)
  }
})

test('solveProbft returns the smallest q meeting the target, and s grows for liveness', () => {
  const r = solveProbft(math, { n: 128, f: 42, targetFailure: 1e-3 })
  assert.ok(r.safetyFailure <= 1e-3)
  assert.ok(evalProbft(math, 128, 42, r.sampleSize, r.quorum - 1).safetyFailure > 1e-3)
  assert.ok(r.livenessFailure <= 0.25)
  assert.ok(r.sampleSize >= Math.ceil(2.5 * Math.sqrt(128)) && r.sampleSize < 127)
  const stricter = solveProbft(math, { n: 128, f: 42, sampleSize: r.sampleSize, targetFailure: 1e-6 })
  assert.ok(stricter.quorum > r.quorum)
})

test('model monotonicity: safety failure falls and liveness failure rises with q', () => {
  let prevSafety = Infinity; let prevLive = -Infinity
  for (let q = 2; q <= 30; q++) {
    const r = evalProbft(math, 100, 33, 30, q)
    assert.ok(r.safetyFailure <= prevSafety + 1e-15, `safety at q=${q}`)
    assert.ok(r.livenessFailure >= prevLive - 1e-15, `liveness at q=${q}`)
    prevSafety = r.safetyFailure; prevLive = r.livenessFailure
  }
})

test('PBFT quorum is ceil((n+f+1)/2); bad configurations are typed errors', () => {
  assert.equal(pbftQuorum(4, 1), 3)
  assert.equal(pbftQuorum(7, 2), 5)
  assert.equal(pbftQuorum(16, 5), 11)
  assert.equal(pbftQuorum(128, 42), 86)
  for (const [n, f] of [[3, 0], [9, 3], [10, -1], [10.5, 1]]) {
    assert.throws(() => solveProbft(math, { n, f }), (e: Error) => e.name === ConsensusConfigError.name, `${n},${f}`)
  }
  assert.throws(() => solveProbft(math, { n: 16, f: 5, sampleSize: 16 }), (e: Error) => e.name === ConsensusConfigError.name)
})
