/**
 * ECVRF (RFC 9381) over edwards25519, TAI and ELL2 suites, plus VRF sortition of recipient sets.
 */
export {
  keygen, prove, verify, proofToHash, publicKeyFromSecret, decodeProof, validateKey, encodeToCurve,
  PROOF_LENGTH, OUTPUT_LENGTH, PUBLIC_KEY_LENGTH, SECRET_KEY_LENGTH, SUITE_STRING
} from './ecvrf.ts'
export type { VrfSuite, VrfKeyPair } from './ecvrf.ts'
export { sampleFromOutput } from './sample.ts'
export { VrfError, VrfLengthError } from './errors.ts'
