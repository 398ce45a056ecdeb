/**
 * The hashing half of RFC 9381's ECVRF-EDWARDS25519-SHA512 suites: the steps both verify paths
 * share — ./ecvrf.ts on @noble/curves and ./ecvrf-wasm.ts on core-wasm's curve arithmetic — so
 * the two differ only in how points are decoded, multiplied and encoded.
 */
import { concatBytes } from '@noble/curves/utils.js'
import { sha512 } from '@noble/hashes/sha2.js'

export type VrfSuite = 'TAI' | 'ELL2'
export const SUITE_STRING: Readonly<Record<VrfSuite, number>> = { TAI: 0x03, ELL2: 0x04 }
/** cLen: the challenge's length in bytes */
export const C_LEN = 16

/**
 * §5.4.1.1 ECVRF_encode_to_curve_try_and_increment, its hashing: hash(suite ‖ 0x01 ‖ salt ‖ alpha ‖
 * ctr ‖ 0x00) for ctr = 0, 1, … until `decode` accepts the first 32 bytes of one as a point.
 */
export function tryAndIncrement<T> (salt: Uint8Array, alpha: Uint8Array, decode: (candidate: Uint8Array) => T | null): T {
  const input = new Uint8Array(2 + salt.length + alpha.length + 2)
  input[0] = SUITE_STRING.TAI
  input[1] = 0x01
  input.set(salt, 2)
  input.set(alpha, 2 + salt.length)
  for (let ctr = 0; ctr < 256; ctr++) {
    input[input.length - 2] = ctr
    const point = decode(sha512(input).subarray(0, 32))
    if (point != null) return point
  }
  // Probability 2^-256: the RFC lets this fail; no input reaches it in practice.
  throw new Error('ECVRF try-and-increment exhausted 256 counters')
}

/** §5.4.3 ECVRF_challenge_generation over the five points' encodings (Y, H, Γ, U, V): c as a cLen-byte string. */
export function challengeString (suite: VrfSuite, encodings: Uint8Array[]): Uint8Array {
  return sha512(concatBytes(Uint8Array.of(SUITE_STRING[suite], 0x02), ...encodings, Uint8Array.of(0x00))).subarray(0, C_LEN)
}

/** §5.2 ECVRF_proof_to_hash's hash over point_to_string(cofactor · Γ): beta_string. */
export function hashOfGamma8 (suite: VrfSuite, gamma8: Uint8Array): Uint8Array {
  return sha512(concatBytes(Uint8Array.of(SUITE_STRING[suite], 0x03), gamma8, Uint8Array.of(0x00)))
}
