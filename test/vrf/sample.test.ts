/**
 * VRF sortition: sets are distinct, exclude the prover, are deterministic, and are close to
 * uniform (each index chosen about size/(n−1) of the time over many outputs).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sha512 } from '@noble/hashes/sha2.js'
import { sampleFromOutput } from '../../core/vrf/index.ts'

test('sample: distinct, sorted, excludes self, deterministic', () => {
  const beta = sha512(Uint8Array.of(1, 2, 3))
  const s = sampleFromOutput(beta, 64, 20, 5)
  assert.equal(s.length, 20)
  assert.equal(new Set(s).size, 20)
  assert.ok(!s.includes(5))
  assert.deepEqual(s, [...s].sort((a, b) => a - b))
  assert.deepEqual(sampleFromOutput(beta, 64, 20, 5), s)
  assert.notDeepEqual(sampleFromOutput(sha512(Uint8Array.of(9)), 64, 20, 5), s)
  assert.equal(sampleFromOutput(beta, 8, 100, 0).length, 7, 'clamped to n - 1')
})

test('sample: each index is chosen with frequency near size/(n-1)', () => {
  const n = 16
  const size = 6
  const counts = new Array<number>(n).fill(0)
  const trials = 3000
  for (let t = 0; t < trials; t++) {
    for (const i of sampleFromOutput(sha512(new TextEncoder().encode(`t${t}`)), n, size, 0)) counts[i]++
  }
  assert.equal(counts[0], 0)
  const expected = trials * size / (n - 1)
  for (let i = 1; i < n; i++) assert.ok(Math.abs(counts[i] - expected) < expected * 0.12, `index ${i}: ${counts[i]} vs ${expected}`)
})
