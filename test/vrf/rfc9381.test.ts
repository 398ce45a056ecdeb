/**
 * RFC 9381 conformance of core/vrf: every Appendix B.3 (TAI) and B.4 (ELL2) example, read from
 * test/vectors/rfc9381/, checked step by step (public key, encode_to_curve H, the proof pi and
 * beta from prove, verify and proof_to_hash), then what the RFC says to reject.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import { ed25519, ED25519_TORSION_SUBGROUP } from '@noble/curves/ed25519.js'
import { bytesToHex, bytesToNumberLE, hexToBytes, numberToBytesLE } from '@noble/curves/utils.js'
import { encodeToCurve, keygen, proofToHash, prove, publicKeyFromSecret, verify, VrfLengthError, type VrfSuite } from '../../core/vrf/index.ts'

interface Vector { name: string, SK: string, PK: string, alpha: string, H: string, pi: string, beta: string }
const dir = new URL('../vectors/rfc9381/', import.meta.url)
const load = (file: string): Vector[] => (JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as { vectors: Vector[] }).vectors
const suites: Array<[VrfSuite, Vector[]]> = [
  ['TAI', load('ecvrf-edwards25519-sha512-tai.json')],
  ['ELL2', load('ecvrf-edwards25519-sha512-ell2.json')]
]

for (const [suite, vectors] of suites) {
  describe(`RFC 9381 ECVRF-EDWARDS25519-SHA512-${suite}`, () => {
    test('has the three Appendix B examples', () => assert.equal(vectors.length, 3))
    for (const v of vectors) {
      test(`${v.name}: PK, H, pi, beta`, () => {
        const sk = hexToBytes(v.SK)
        const alpha = hexToBytes(v.alpha)
        const pk = publicKeyFromSecret(sk)
        assert.equal(bytesToHex(pk), v.PK)
        assert.equal(bytesToHex(encodeToCurve(suite, pk, alpha).toBytes()), v.H)
        assert.equal(bytesToHex(prove(suite, sk, alpha)), v.pi)
        const beta = verify(suite, pk, alpha, hexToBytes(v.pi))
        assert.ok(beta != null, 'the RFC proof verifies')
        assert.equal(bytesToHex(beta), v.beta)
        assert.equal(bytesToHex(proofToHash(suite, hexToBytes(v.pi)) ?? new Uint8Array()), v.beta)
      })
    }
    test('a proof of one suite does not verify under the other', () => {
      const v = vectors[0]
      const other: VrfSuite = suite === 'TAI' ? 'ELL2' : 'TAI'
      assert.equal(verify(other, hexToBytes(v.PK), hexToBytes(v.alpha), hexToBytes(v.pi)), null)
    })
  })
}

const P = 2n ** 255n - 19n
const L = ed25519.Point.Fn.ORDER
const [tai16] = suites[0][1]
const pk16 = hexToBytes(tai16.PK)
const pi16 = hexToBytes(tai16.pi)
const alpha16 = hexToBytes(tai16.alpha)

/** Little-endian 32-byte encoding of y with the sign bit of x. */
function encodeY (y: bigint, sign: boolean): Uint8Array {
  const b = numberToBytesLE(y, 32)
  if (sign) b[31] |= 0x80
  return b
}

describe('RFC 9381 rejections', () => {
  test('baseline: the unmodified proof verifies', () => {
    assert.ok(verify('TAI', pk16, alpha16, pi16) != null)
  })

  test('s >= group order is rejected, even though s - q would verify (§5.4.4)', () => {
    const s = bytesToNumberLE(pi16.subarray(48))
    const bad = Uint8Array.from(pi16)
    bad.set(numberToBytesLE(s + L, 32), 48)
    assert.equal(verify('TAI', pk16, alpha16, bad), null)
    assert.equal(proofToHash('TAI', bad), null)
  })

  test('tampered c, s, Gamma, alpha or key are rejected', () => {
    for (const at of [0, 33, 60, 79]) {
      const bad = Uint8Array.from(pi16)
      bad[at] ^= 0x01
      assert.equal(verify('TAI', pk16, alpha16, bad), null, `byte ${at}`)
    }
    assert.equal(verify('TAI', pk16, Uint8Array.of(1), pi16), null)
    assert.equal(verify('TAI', hexToBytes(suites[0][1][1].PK), alpha16, pi16), null)
  })

  test('non-canonical encodings (y >= p, negative zero) are rejected for Gamma and the key', () => {
    const nonCanonicalIdentity = encodeY(P + 1n, false) // y = 1 + p encodes the identity non-canonically
    assert.ok(ed25519.Point.fromBytes(nonCanonicalIdentity, true).equals(ed25519.Point.ZERO), 'ZIP-215 would accept it')
    const negativeZero = encodeY(1n, true) // x = 0 with the sign bit set
    for (const enc of [nonCanonicalIdentity, negativeZero]) {
      const bad = Uint8Array.from(pi16)
      bad.set(enc, 0)
      assert.equal(verify('TAI', pk16, alpha16, bad), null)
      assert.equal(proofToHash('TAI', bad), null)
      assert.equal(verify('TAI', enc, alpha16, pi16), null)
    }
  })

  test('encodings of points not on the curve are rejected', () => {
    let notOnCurve: Uint8Array | undefined
    for (let y = 2n; notOnCurve == null; y++) {
      const enc = encodeY(y, false)
      try { ed25519.Point.fromBytes(enc, true) } catch { notOnCurve = enc }
    }
    const bad = Uint8Array.from(pi16)
    bad.set(notOnCurve, 0)
    assert.equal(verify('TAI', pk16, alpha16, bad), null)
    assert.equal(verify('TAI', notOnCurve, alpha16, pi16), null)
  })

  test('small-order public keys are rejected (validate_key, §5.4.5)', () => {
    assert.equal(ED25519_TORSION_SUBGROUP.length, 8)
    for (const hex of ED25519_TORSION_SUBGROUP) {
      const Y = hexToBytes(hex)
      assert.equal(verify('TAI', Y, alpha16, pi16), null, hex)
      assert.equal(verify('ELL2', Y, alpha16, pi16), null, hex)
    }
  })

  test('wrong lengths: verify says INVALID, prove throws a typed error', () => {
    assert.equal(verify('TAI', pk16, alpha16, pi16.subarray(0, 79)), null)
    assert.equal(verify('TAI', pk16.subarray(0, 31), alpha16, pi16), null)
    assert.throws(() => prove('TAI', new Uint8Array(31), alpha16), (e: Error) => e.name === VrfLengthError.name)
  })

  test('fresh keys: prove/verify round trip, output = proofToHash', () => {
    for (const suite of ['TAI', 'ELL2'] as const) {
      const { secretKey, publicKey } = keygen(new Uint8Array(32).fill(7))
      const alpha = new TextEncoder().encode('slot 1 view 0 prepare')
      const pi = prove(suite, secretKey, alpha)
      const beta = verify(suite, publicKey, alpha, pi)
      assert.ok(beta != null)
      assert.deepEqual(beta, proofToHash(suite, pi))
    }
  })
})
