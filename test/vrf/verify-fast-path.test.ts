/**
 * ECVRF verify's fast path (validated keys remembered per key bytes, V as one Strauss–Shamir walk)
 * against a plain transcription of RFC 9381 §5.3 written here (fresh key validation, two separate
 * multiplications, every point encoded on its own): the same verdict and the same beta on valid
 * proofs and on every kind of tampering, including a small-order key asked twice (the remembered
 * verdict stays INVALID). The fast path hashes the key's and Γ's bytes as received (no re-encoding):
 * that holds because strict decoding accepts only the one canonical encoding of a point.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ed25519 } from '@noble/curves/ed25519.js'
import { bytesToNumberLE, concatBytes } from '@noble/curves/utils.js'
import { sha512 } from '@noble/hashes/sha2.js'
import { decodeProof, encodeToCurve, keygen, proofToHash, prove, validateKey, verify } from '../../core/vrf/index.ts'

function referenceVerify (publicKey: Uint8Array, alpha: Uint8Array, pi: Uint8Array): Uint8Array | null {
  const Y = validateKey(publicKey)
  const D = decodeProof(pi)
  if (Y == null || D == null) return null
  const H = encodeToCurve('TAI', publicKey, alpha)
  const U = ed25519.Point.BASE.multiplyUnsafe(D.s).subtract(Y.multiplyUnsafe(D.c))
  const V = H.multiplyUnsafe(D.s).subtract(D.Gamma.multiplyUnsafe(D.c))
  const c = bytesToNumberLE(sha512(concatBytes(Uint8Array.of(0x03, 0x02), ...[Y, H, D.Gamma, U, V].map(p => p.toBytes()), Uint8Array.of(0))).subarray(0, 16))
  return c === D.c ? proofToHash('TAI', pi) : null
}

test('fast verify = RFC transcription on valid and tampered proofs (seeded)', () => {
  for (let i = 0; i < 12; i++) {
    const k = keygen(sha512(Uint8Array.of(i)).subarray(0, 32))
    const alpha = sha512(Uint8Array.of(i, 7)).subarray(0, 9 + i)
    const pi = prove('TAI', k.secretKey, alpha)
    const cases: Array<[Uint8Array, Uint8Array, Uint8Array]> = [[k.publicKey, alpha, pi]]
    for (const at of [3, 40, 60]) { const bad = pi.slice(); bad[at] ^= 1 << (i % 8); cases.push([k.publicKey, alpha, bad]) }
    const otherAlpha = alpha.slice(); otherAlpha[0] ^= 1; cases.push([k.publicKey, otherAlpha, pi])
    const otherKey = keygen(sha512(Uint8Array.of(i, 9)).subarray(0, 32)).publicKey; cases.push([otherKey, alpha, pi])
    for (const [pk, a, p] of cases) {
      for (let round = 0; round < 2; round++) assert.deepEqual(verify('TAI', pk, a, p), referenceVerify(pk, a, p))
    }
    assert.ok(verify('TAI', k.publicKey, alpha, pi) != null)
  }
})

test('a strictly decoded key or Γ re-encodes to the bytes it came from (so verify hashes them as received)', () => {
  let decoded = 0
  for (let i = 0; i < 64; i++) {
    const k = keygen(sha512(Uint8Array.of(i, 1)).subarray(0, 32))
    const pi = prove('TAI', k.secretKey, Uint8Array.of(i))
    // the key, Γ, and Γ with one bit flipped (some of those still decode: other points)
    const flipped = pi.slice(0, 32); flipped[i % 32] ^= 1 << (i % 8)
    for (const bytes of [k.publicKey, pi.subarray(0, 32), flipped]) {
      let point
      try { point = ed25519.Point.fromBytes(bytes, false) } catch { continue }
      decoded++
      assert.deepEqual(point.toBytes(), Uint8Array.from(bytes))
    }
  }
  assert.ok(decoded > 128, `${decoded} decoded`)
})

test('a small-order key stays INVALID when asked again', () => {
  const k = keygen(new Uint8Array(32).fill(1))
  const alpha = Uint8Array.of(1, 2, 3)
  const pi = prove('TAI', k.secretKey, alpha)
  const identity = Uint8Array.from([1, ...new Uint8Array(31)])
  for (let round = 0; round < 3; round++) assert.equal(verify('TAI', identity, alpha, pi), null)
})

test('remembered keys are bounded: 100 distinct keys leave at most 64 tables (~106 KB each)', async () => {
  const { _validatedKeyCount } = await import('../../core/vrf/ecvrf.ts')
  const alpha = Uint8Array.of(4, 5, 6)
  const first = keygen(sha512(Uint8Array.of(200)).subarray(0, 32))
  const firstPi = prove('TAI', first.secretKey, alpha)
  for (let i = 0; i < 100; i++) {
    const k = keygen(sha512(Uint8Array.of(201, i)).subarray(0, 32))
    assert.ok(verify('TAI', k.publicKey, alpha, prove('TAI', k.secretKey, alpha)) != null)
    assert.ok(_validatedKeyCount() <= 64, `${_validatedKeyCount()} keys remembered after ${i + 1} new ones`)
  }
  assert.equal(_validatedKeyCount(), 64)
  // an evicted key is validated afresh: same verdicts as before
  assert.ok(verify('TAI', first.publicKey, alpha, firstPi) != null)
  const bad = firstPi.slice(); bad[50] ^= 1
  assert.equal(verify('TAI', first.publicKey, alpha, bad), null)
})
