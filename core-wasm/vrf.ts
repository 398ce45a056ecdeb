/**
 * The curve half of ECVRF-EDWARDS25519-SHA512-TAI verification (RFC 9381 §5.3) in the WASM core
 * (assembly/ecvrf.ts). The hashes stay with the caller (core/vrf/ecvrf-wasm.ts), so a verify is a
 * short sequence of calls on one module-wide state, synchronous and never interleaved:
 *
 *   if (!ecvrfDecode(publicKey, proof)) → INVALID      key and proof checks
 *   for each try-and-increment hash: if (ecvrfTryCandidate(hash32)) break
 *   const enc = ecvrfFinish()                            H ‖ U ‖ V ‖ 8·Γ encodings (128 bytes)
 *
 * Everything is variable-time: only public keys and proofs go through it (proving, which handles
 * a secret scalar, stays in @noble/curves).
 */
import { view, wasm } from './_instance.ts'

const PK = 0
const PI = 32
const CAND = 112
const ENC = 144

/**
 * Decodes and checks a 32-byte public key (strict RFC 8032, not of small order) and an 80-byte
 * proof (Γ strict, s below the group order); false is RFC 9381's INVALID. Throws RangeError for
 * other lengths (the caller checks them first).
 */
export function ecvrfDecode (publicKey: Uint8Array, proof: Uint8Array): boolean {
  if (publicKey.length !== 32 || proof.length !== 80) throw new RangeError('ecvrfDecode: publicKey must be 32 bytes and proof 80')
  const w = wasm()
  const io = w.vrfIo()
  const buf = view(io, 112)
  buf.set(publicKey, PK)
  buf.set(proof, PI)
  return w.vrfDecode() === 1
}

/** One encode_to_curve candidate (the first 32 bytes of a try-and-increment hash): true when it is a point. */
export function ecvrfTryCandidate (candidate: Uint8Array): boolean {
  if (candidate.length < 32) throw new RangeError('ecvrfTryCandidate: candidate must be at least 32 bytes')
  const w = wasm()
  view(w.vrfIo() + CAND, 32).set(candidate.subarray(0, 32))
  return w.vrfTryH() === 1
}

/** U = s·B − c·Y and V = s·H − c·Γ; returns point_to_string of H, U, V and 8·Γ (4 × 32 bytes). */
export function ecvrfFinish (): Uint8Array {
  const w = wasm()
  w.vrfFinish()
  return view(w.vrfIo() + ENC, 128).slice()
}
