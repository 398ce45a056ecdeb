/**
 * ECVRF (RFC 9381) over edwards25519, TAI and ELL2 suites, plus VRF sortition of recipient sets.
 * TAI verification runs its curve arithmetic in core-wasm once `initCoreWasm()` has resolved
 * (ecvrf-wasm.ts; `verifyBackend` says which path is live) and on @noble/curves before that.
 */
export {
  keygen, prove, verify, verifyNoble, verifyBackend, preferNobleVerify, proofToHash, publicKeyFromSecret, decodeProof, validateKey, encodeToCurve,
  PROOF_LENGTH, OUTPUT_LENGTH, PUBLIC_KEY_LENGTH, SECRET_KEY_LENGTH, SUITE_STRING
} from './ecvrf.ts'
export type { VrfSuite, VrfKeyPair } from './ecvrf.ts'
export { sampleFromOutput } from './sample.ts'
export { VrfError, VrfLengthError } from './errors.ts'
