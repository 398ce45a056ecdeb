/**
 * memoizeVerification: a cache hit returns exactly what a fresh verification returns, every
 * distinct input (altered signature, proof, message or key) is verified for real, signature and
 * VRF results never mix, and the cache stays bounded.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createConsensusCrypto, deriveReplicaKeys, memoizeVerification, vrfAlpha, PHASE_PREPARE, type VerificationStats } from '../../core/consensus/crypto.ts'

const base = createConsensusCrypto()
const k = deriveReplicaKeys(new Uint8Array(32).fill(7))
const msg = new TextEncoder().encode('memoized message')
const sig = base.sign(k.signSecret, msg)
const alpha = vrfAlpha(PHASE_PREPARE, 3, 1)
const proof = base.vrfProve(k.vrfSecret, alpha)
const counts = (s: VerificationStats): { signatures: number, vrfProofs: number, hits: number } => ({ signatures: s.signatures, vrfProofs: s.vrfProofs, hits: s.hits })

test('signatures: hits return the real answer, altered bytes are verified for real', () => {
  const m = memoizeVerification(base)
  assert.equal(m.verifySignature(k.signPublic, msg, sig), true)
  assert.equal(m.verifySignature(k.signPublic, msg, sig), true)
  assert.deepEqual(counts(m.stats), { signatures: 1, vrfProofs: 0, hits: 1 })
  const bad = sig.slice(); bad[5] ^= 1
  assert.equal(m.verifySignature(k.signPublic, msg, bad), false)
  assert.equal(m.verifySignature(k.signPublic, msg, bad), false, 'a cached rejection stays a rejection')
  assert.equal(m.verifySignature(k.signPublic, msg.slice(1), sig), false)
  assert.deepEqual(counts(m.stats), { signatures: 3, vrfProofs: 0, hits: 2 })
})

test('VRF proofs: the cached beta equals the fresh one; invalid proofs stay null', () => {
  const m = memoizeVerification(base)
  const beta = base.vrfVerify(k.vrfPublic, alpha, proof)
  assert.ok(beta != null)
  assert.deepEqual(m.vrfVerify(k.vrfPublic, alpha, proof), beta)
  assert.deepEqual(m.vrfVerify(k.vrfPublic, alpha, proof), beta)
  const bad = proof.slice(); bad[40] ^= 4
  assert.equal(m.vrfVerify(k.vrfPublic, alpha, bad), null)
  assert.equal(m.vrfVerify(k.vrfPublic, alpha, bad), null)
  assert.deepEqual(counts(m.stats), { signatures: 0, vrfProofs: 2, hits: 2 })
})

test('signature and VRF caches are separate, and the cache is bounded', () => {
  const m = memoizeVerification(base, 2)
  // the same three byte strings asked as a signature and as a proof: two real checks, no cross hit
  assert.equal(m.verifySignature(k.vrfPublic, alpha, proof), false)
  assert.ok(m.vrfVerify(k.vrfPublic, alpha, proof) != null)
  assert.equal(m.stats.hits, 0)
  for (let i = 0; i < 3; i++) m.verifySignature(k.signPublic, Uint8Array.of(i), sig)
  // the bound (2) cleared the cache on the way: the first input is verified again, for real
  const before = m.stats.signatures
  m.verifySignature(k.signPublic, Uint8Array.of(0), sig)
  assert.equal(m.stats.signatures, before + 1)
})

test('the time spent in real checks is counted per kind, hits add none', () => {
  const m = memoizeVerification(base)
  m.verifySignature(k.signPublic, msg, sig)
  m.vrfVerify(k.vrfPublic, alpha, proof)
  assert.ok(m.stats.signatureMs > 0 && m.stats.vrfMs > 0)
  const before = { ...m.stats }
  m.verifySignature(k.signPublic, msg, sig)
  m.vrfVerify(k.vrfPublic, alpha, proof)
  assert.equal(m.stats.signatureMs, before.signatureMs)
  assert.equal(m.stats.vrfMs, before.vrfMs)
})

test('a proof computed ahead (prewarmProof) is the same bytes vrfProve makes, and is not made twice', () => {
  const m = memoizeVerification(base)
  const a2 = vrfAlpha(PHASE_PREPARE, 9, 0)
  m.prewarmProof(k.vrfSecret, a2)
  m.prewarmProof(k.vrfSecret, a2)
  assert.deepEqual(m.proofs, { made: 1, ahead: 1, prewarmed: 0 })
  const p = m.vrfProve(k.vrfSecret, a2)
  assert.deepEqual(p, base.vrfProve(k.vrfSecret, a2))
  assert.deepEqual(m.proofs, { made: 1, ahead: 1, prewarmed: 1 })
  assert.ok(m.vrfVerify(k.vrfPublic, a2, p) != null)
  // another input is proved for real; the ahead-of-time store stays bounded (16)
  for (let s = 0; s < 20; s++) m.prewarmProof(k.vrfSecret, vrfAlpha(PHASE_PREPARE, 100 + s, 0))
  m.vrfProve(k.vrfSecret, vrfAlpha(PHASE_PREPARE, 100, 0))
  assert.equal(m.proofs.prewarmed, 1, 'the oldest was evicted: proved again')
})
