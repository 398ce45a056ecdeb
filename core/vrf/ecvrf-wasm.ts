/**
 * ECVRF-EDWARDS25519-SHA512-TAI verify (RFC 9381 §5.3) with the curve arithmetic in core-wasm
 * (field, points, the two double-scalar walks: ~10× faster than @noble/curves' BigInt path) and
 * the hashes here (./suite-hashes.ts, the same steps as the noble path's). `verify` in ./ecvrf.ts
 * takes this path once core-wasm is initialised and noble's otherwise; both give the same verdict and the same beta on every input
 * (test/vrf/ecvrf-wasm.test.ts and test/wasm/ecvrf-fuzz.test.ts check that against noble).
 *
 * Steps, as §5.3 orders them: validate_key and decode_proof (wasm), encode_to_curve by
 * try-and-increment (hash here, decode there), U and V (wasm), the challenge over
 * (Y, H, Γ, U, V) and its comparison with c (here), beta from 8·Γ (here).
 */
import { equalBytes } from '@noble/curves/utils.js'
import { ecvrfDecode, ecvrfFinish, ecvrfTryCandidate } from '../../core-wasm/index.ts'
import { C_LEN, challengeString, hashOfGamma8, tryAndIncrement } from './suite-hashes.ts'

/** beta_string for a VALID proof, null for INVALID (sizes already checked by the caller) */
export function verifyTaiWasm (publicKey: Uint8Array, alpha: Uint8Array, pi: Uint8Array): Uint8Array | null {
  if (publicKey.length !== 32 || pi.length !== 80) return null
  if (!ecvrfDecode(publicKey, pi)) return null
  // §5.4.1.1: the hashes here, each candidate decoded there (H stays in the module for ecvrfFinish)
  tryAndIncrement(publicKey, alpha, candidate => ecvrfTryCandidate(candidate) ? true : null)
  const enc = ecvrfFinish() // H ‖ U ‖ V ‖ 8·Γ
  // §5.4.3 challenge over Y, H, Γ, U, V (Y and Γ as received: strict decoding admits one encoding)
  const c = challengeString('TAI', [publicKey, enc.subarray(0, 32), pi.subarray(0, 32), enc.subarray(32, 64), enc.subarray(64, 96)])
  if (!equalBytes(c, pi.subarray(32, 32 + C_LEN))) return null
  return hashOfGamma8('TAI', enc.subarray(96, 128)) // §5.2 proof_to_hash
}
