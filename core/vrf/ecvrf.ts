/**
 * ECVRF over edwards25519 per RFC 9381 §5, both ciphersuites of §5.5:
 *
 *   ECVRF-EDWARDS25519-SHA512-TAI   suite 0x03, try-and-increment encode_to_curve (§5.4.1.1)
 *   ECVRF-EDWARDS25519-SHA512-ELL2  suite 0x04, RFC 9380 encode_to_curve,
 *                                   edwards25519_XMD:SHA-512_ELL2_NU_ (§5.4.1.2)
 *
 * Built on @noble/curves (field and point arithmetic, strict RFC 8032 point decoding,
 * RFC 9380 hash-to-curve, its Strauss–Shamir `mulAddUnsafe`) and @noble/hashes (SHA-512): this
 * file only strings the RFC's steps together. One exception, for speed: TAI *verification* (what
 * a ledger replica does ~12 times a decision) runs its curve arithmetic in core-wasm once
 * `initCoreWasm()` has resolved — ./ecvrf-wasm.ts, ~0.15 ms a check against noble's ~1.6 ms —
 * with noble's verdict and beta on every input (tested against `verifyNoble`, which keeps the
 * noble path; `verifyBackend` says which one is live). Proving stays on noble (constant-time
 * scalar multiplication for the secret key; the WASM walks are variable-time, for public data). The RFC text, not a draft, is followed: the
 * challenge hashes five points (Y, H, Γ, U, V) and ends with a 0x00 byte (§5.4.3), which is
 * what makes the proofs differ from draft ≤ 09 vectors.
 *
 * Verification is strict: public keys and Γ must be canonical RFC 8032 encodings of curve points,
 * the public key must not be of small order (§5.4.5 validate_key, always on), and s must be
 * below the group order (§5.4.4). Failures return `null` (the RFC's INVALID), never throw.
 */
import { mulAddUnsafe, normalizeZ } from '@noble/curves/abstract/curve.js'
import { ed25519, ed25519_hasher } from '@noble/curves/ed25519.js'
import { bytesToNumberLE, concatBytes, equalBytes, numberToBytesLE } from '@noble/curves/utils.js'
import { sha512 } from '@noble/hashes/sha2.js'
import { C_LEN, challengeString, hashOfGamma8, SUITE_STRING, tryAndIncrement, type VrfSuite } from './suite-hashes.ts'
import { isCoreWasmReady } from '../../core-wasm/index.ts'
import { verifyTaiWasm } from './ecvrf-wasm.ts'
import { VrfLengthError } from './errors.ts'

type Point = InstanceType<typeof ed25519.Point>
const Point = ed25519.Point
const L = Point.Fn.ORDER // prime subgroup order q of RFC 9381
const COFACTOR = 8n

export { SUITE_STRING, type VrfSuite }

export const PROOF_LENGTH = 80 // ptLen 32 + cLen 16 + qLen 32
export const OUTPUT_LENGTH = 64 // hLen of SHA-512
export const PUBLIC_KEY_LENGTH = 32
export const SECRET_KEY_LENGTH = 32

const ELL2_H2C_SUITE_ID = new TextEncoder().encode('edwards25519_XMD:SHA-512_ELL2_NU_')

export interface VrfKeyPair {
  secretKey: Uint8Array
  publicKey: Uint8Array
}

function assertLength (value: Uint8Array, length: number, what: string): void {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${what} must be a Uint8Array`)
  if (value.length !== length) throw new VrfLengthError(`${what} must be ${length} bytes (got ${value.length})`)
}

/** RFC 8032 §5.1.3 decoding, strict (canonical y < p, no "negative zero"); INVALID -> null. */
export function stringToPoint (bytes: Uint8Array): Point | null {
  if (bytes.length !== 32) return null
  try {
    return Point.fromBytes(bytes, false)
  } catch {
    return null // not on the curve or non-canonical: the RFC's INVALID, a normal outcome
  }
}

/** §5.4.1.1 ECVRF_encode_to_curve_try_and_increment. */
function encodeToCurveTai (salt: Uint8Array, alpha: Uint8Array): Point {
  return tryAndIncrement(salt, alpha, stringToPoint).clearCofactor()
}

/** §5.4.1.2 ECVRF_encode_to_curve_h2c_suite: RFC 9380 encode_to_curve with DST "ECVRF_" || suite id || suite_string. */
function encodeToCurveEll2 (salt: Uint8Array, alpha: Uint8Array): Point {
  const DST = concatBytes(new TextEncoder().encode('ECVRF_'), ELL2_H2C_SUITE_ID, Uint8Array.of(SUITE_STRING.ELL2))
  return ed25519_hasher.encodeToCurve(concatBytes(salt, alpha), { DST }) as Point
}

export function encodeToCurve (suite: VrfSuite, publicKey: Uint8Array, alpha: Uint8Array): Point {
  return suite === 'TAI' ? encodeToCurveTai(publicKey, alpha) : encodeToCurveEll2(publicKey, alpha)
}

/** §5.4.3 ECVRF_challenge_generation: five points, a 0x02 domain byte and a trailing 0x00. */
function challenge (suite: VrfSuite, points: Point[]): bigint {
  return challengeOfEncodings(suite, points.map(P => P.toBytes()))
}

/** §5.4.3 over the five points' encodings (point_to_string of each, in order). */
function challengeOfEncodings (suite: VrfSuite, encodings: Uint8Array[]): bigint {
  return bytesToNumberLE(challengeString(suite, encodings))
}

/**
 * point_to_string of several points with one field inversion: each encoding needs the affine y
 * (Y/Z) and x's sign, and noble's `toBytes` inverts Z once per point (a modular inversion costs
 * tens of multiplications). `normalizeZ` inverts all Zs together (Montgomery's trick) and returns
 * the same points with Z = 1, whose `toBytes` is the same bytes for no inversion.
 */
function encodeAll (points: Point[]): Uint8Array[] {
  return normalizeZ(Point, points).map(P => P.toBytes())
}

/**
 * RFC 8032 §5.1.5 key expansion: the secret scalar x and the nonce seed (second half of
 * SHA-512(SK)). A replica proves with one key thousands of times, and the expansion (a SHA-512
 * and a base-point multiplication) is a tenth of a proof: remembered for a few keys.
 */
type Expanded = { x: bigint, Y: Point, publicKey: Uint8Array, prefix: Uint8Array }
const expanded = new Map<string, Expanded>()
function expandSecret (secretKey: Uint8Array): Expanded {
  let k = ''
  for (let i = 0; i < secretKey.length; i++) k += String.fromCharCode(secretKey[i])
  const hit = expanded.get(k)
  if (hit != null) return hit
  const ext = ed25519.utils.getExtendedPublicKey(secretKey)
  const e = { x: ext.scalar, Y: ext.point, publicKey: ext.pointBytes, prefix: ext.prefix }
  if (expanded.size >= 16) expanded.clear()
  expanded.set(k, e)
  return e
}

export function publicKeyFromSecret (secretKey: Uint8Array): Uint8Array {
  assertLength(secretKey, SECRET_KEY_LENGTH, 'secretKey')
  return expandSecret(secretKey).publicKey
}

/** A VRF key pair; with `seed` (32 bytes) it is deterministic (the seed is the RFC 8032 secret key). */
export function keygen (seed?: Uint8Array): VrfKeyPair {
  const { secretKey, publicKey } = seed == null ? ed25519.keygen() : ed25519.keygen(Uint8Array.from(seed))
  return { secretKey, publicKey }
}

/** §5.1 ECVRF_prove: returns pi_string (80 bytes). */
export function prove (suite: VrfSuite, secretKey: Uint8Array, alpha: Uint8Array): Uint8Array {
  assertLength(secretKey, SECRET_KEY_LENGTH, 'secretKey')
  const { x, Y, publicKey, prefix } = expandSecret(secretKey)
  const H = encodeToCurve(suite, publicKey, alpha)
  const hString = H.toBytes()
  const Gamma = H.multiply(x)
  // §5.4.2.2 ECVRF_nonce_generation_RFC8032
  const k = Point.Fn.create(bytesToNumberLE(sha512(concatBytes(prefix, hString))))
  const c = challenge(suite, [Y, H, Gamma, Point.BASE.multiply(k), H.multiply(k)])
  const s = Point.Fn.create(k + c * x)
  return concatBytes(Gamma.toBytes(), numberToBytesLE(c, C_LEN), numberToBytesLE(s, 32))
}

/** §5.4.4 ECVRF_decode_proof; INVALID (bad Γ, s >= q, wrong length) -> null. */
export function decodeProof (pi: Uint8Array): { Gamma: Point, c: bigint, s: bigint } | null {
  if (pi.length !== PROOF_LENGTH) return null
  const Gamma = stringToPoint(pi.subarray(0, 32))
  if (Gamma == null) return null
  const c = bytesToNumberLE(pi.subarray(32, 32 + C_LEN))
  const s = bytesToNumberLE(pi.subarray(32 + C_LEN, PROOF_LENGTH))
  if (s >= L) return null
  return { Gamma, c, s }
}

/** §5.2 ECVRF_proof_to_hash; null when the proof does not decode. Does NOT verify the proof. */
export function proofToHash (suite: VrfSuite, pi: Uint8Array): Uint8Array | null {
  const D = decodeProof(pi)
  if (D == null) return null
  return gammaToHash(suite, D.Gamma)
}

function gammaToHash (suite: VrfSuite, Gamma: Point): Uint8Array {
  return hashOfGamma8(suite, Gamma.multiplyUnsafe(COFACTOR).toBytes())
}

/** §5.4.5 ECVRF_validate_key: a decodable, non-small-order point. */
export function validateKey (publicKey: Uint8Array): Point | null {
  const Y = stringToPoint(publicKey)
  if (Y == null || Y.isSmallOrder()) return null
  return Y
}

/**
 * validate_key's verdict per public key, remembered: a replica verifies thousands of proofs under
 * the same few keys, and decoding + the small-order check cost about as much as one scalar
 * multiplication. The result is a pure function of the 32 key bytes (the map key), so a hit is
 * exactly what a fresh validation returns. Valid points get a window-4 precomputation table (noble
 * keeps it per point: 520 points, ~106 KB of heap each), which speeds up c·Y.
 *
 * Bounded by count, least recently used first out: at 106 KB a key, the old bound (1,024 keys,
 * cleared when full) let a long-lived peer that meets new members over days hold ~108 MB of
 * tables (issue 21: a heap-snapshot diff of an idle soak peer found one key's table, 106 KB, as its
 * largest growth after JIT code). 64 keys is ~6.8 MB at most and twice the largest membership run
 * so far (n = 32).
 */
const KEY_CACHE_MAX = 64
const keyCache = new Map<string, Point | null>()
function validatedKey (publicKey: Uint8Array): Point | null {
  let k = ''
  for (let i = 0; i < publicKey.length; i++) k += String.fromCharCode(publicKey[i])
  const hit = keyCache.get(k)
  if (hit !== undefined) {
    // most recently used last (a Map iterates in insertion order)
    keyCache.delete(k)
    keyCache.set(k, hit)
    return hit
  }
  const Y = validateKey(publicKey)
  if (Y != null) Y.precompute(4, false)
  if (keyCache.size >= KEY_CACHE_MAX) keyCache.delete(keyCache.keys().next().value as string)
  keyCache.set(k, Y)
  return Y
}

/** How many keys `verify` remembers now (for tests of its bound). */
export function _validatedKeyCount (): number {
  return keyCache.size
}

/**
 * §5.3 ECVRF_verify with validate_key = TRUE. Returns beta_string (64 bytes) when the proof is
 * VALID, `null` when INVALID. Throws only for arguments of the wrong type. For TAI, once
 * `initCoreWasm()` has resolved, the curve arithmetic runs in core-wasm (./ecvrf-wasm.ts, ~10×
 * faster); before that, and for ELL2, on @noble/curves (`verifyNoble`). Same verdicts either way.
 */
export function verify (suite: VrfSuite, publicKey: Uint8Array, alpha: Uint8Array, pi: Uint8Array): Uint8Array | null {
  if (!(publicKey instanceof Uint8Array) || !(pi instanceof Uint8Array) || !(alpha instanceof Uint8Array)) {
    throw new TypeError('publicKey, alpha and pi must be Uint8Arrays')
  }
  // TAI with core-wasm ready: the same steps with WASM curve arithmetic (./ecvrf-wasm.ts), same verdicts
  if (verifyBackend(suite) === 'wasm') return verifyTaiWasm(publicKey, alpha, pi)
  return verifyNoble(suite, publicKey, alpha, pi)
}

let wasmAllowed = true

/**
 * Keeps `verify` on @noble/curves even when core-wasm is ready (`true`), or lets it take the WASM
 * path again (`false`): for A/B benchmarks only (a Node peer sets it from NOVACRON_VRF=noble).
 * The verdicts are the same either way; only the cost differs.
 */
export function preferNobleVerify (on: boolean): void {
  wasmAllowed = !on
}

/** Which arithmetic `verify` uses for `suite` right now: 'wasm' once core-wasm is ready (TAI only), else 'noble'. */
export function verifyBackend (suite: VrfSuite): 'wasm' | 'noble' {
  return suite === 'TAI' && wasmAllowed && isCoreWasmReady() ? 'wasm' : 'noble'
}

/** §5.3 ECVRF_verify on @noble/curves alone (the reference path; `verify` picks it before core-wasm is ready). */
export function verifyNoble (suite: VrfSuite, publicKey: Uint8Array, alpha: Uint8Array, pi: Uint8Array): Uint8Array | null {
  if (publicKey.length !== PUBLIC_KEY_LENGTH) return null
  const Y = validatedKey(publicKey)
  if (Y == null) return null
  const D = decodeProof(pi)
  if (D == null) return null
  const H = encodeToCurve(suite, publicKey, alpha)
  // U = s·B − c·Y, V = s·H − c·Γ (variable-time: public data; zero scalars allowed). B and Y
  // have precomputed tables; H and Γ are fresh, so V is one interleaved (Strauss–Shamir) walk,
  // which shares the doublings of the two products (~40% less work than two multiplications).
  const U = Point.BASE.multiplyUnsafe(D.s).subtract(Y.multiplyUnsafe(D.c))
  const V = mulAddUnsafe(Point, [H, D.Gamma.negate()], [D.s, D.c])
  // Y and Γ were decoded strictly (RFC 8032: y < p, no x = 0 with the sign bit set), so their
  // encodings are the very bytes they came from: used as they are instead of encoding them again.
  // H, U, V and the proof's output point 8·Γ (§5.2) are encoded together, with one inversion.
  const [h, u, v, gamma8] = encodeAll([H, U, V, D.Gamma.clearCofactor()])
  const c2 = challengeOfEncodings(suite, [publicKey, h, pi.subarray(0, 32), u, v])
  if (c2 !== D.c) return null
  return hashOfGamma8(suite, gamma8)
}

/** Constant-size comparison helper re-exported for callers comparing VRF outputs. */
export { equalBytes }
