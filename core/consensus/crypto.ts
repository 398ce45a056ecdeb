/**
 * The cryptography a replica needs, as one small component: ed25519 signatures (@noble/curves)
 * and ECVRF-EDWARDS25519-SHA512-TAI proofs (core/vrf) over a per-(phase, slot, view) input.
 *
 * `memoizeVerification` wraps the verify functions in a cache keyed by the exact bytes (public
 * key, message, signature/proof). Verification is a pure function of those bytes, so a cache hit
 * returns what a fresh verification would; forged or altered bytes are different keys and are
 * verified for real. The in-process simulator shares one cache between all replicas because there
 * the same signed PREPARE reaches s replicas (each would verify it once on its own machine).
 *
 * The Ed25519 check is injected (`createConsensusCrypto({ signatures })`): core/ must import no
 * platform module, so a Node peer passes node-runtime's native verifier (node:crypto), and
 * everything else gets @noble/curves' strict RFC 8032 check (`nobleSignatures`). Any injected
 * verifier must give noble's verdict on every input (see node-runtime/ledger/native-ed25519.ts for
 * how the native one guarantees that), so peers on different platforms never disagree on a vote.
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import { isCanonicalPointEncoding, isCanonicalS } from './ed25519-canonical.ts'
import { keygen as vrfKeygen, proofToHash as vrfProofToHash, prove as vrfProve, verify as vrfVerify } from '../vrf/index.ts'

export const PHASE_PREPARE = 1
export const PHASE_COMMIT = 2

export interface ReplicaKeys {
  signSecret: Uint8Array
  signPublic: Uint8Array
  vrfSecret: Uint8Array
  vrfPublic: Uint8Array
}

export interface PublicIdentity {
  signPublic: Uint8Array
  vrfPublic: Uint8Array
}

export interface ConsensusCrypto {
  sign: (secret: Uint8Array, message: Uint8Array) => Uint8Array
  verifySignature: (publicKey: Uint8Array, message: Uint8Array, sig: Uint8Array) => boolean
  vrfProve: (secret: Uint8Array, alpha: Uint8Array) => Uint8Array
  /** beta (64 bytes) or null when the proof is invalid */
  vrfVerify: (publicKey: Uint8Array, alpha: Uint8Array, proof: Uint8Array) => Uint8Array | null
  /** beta of one's own (trusted) proof, without verifying it */
  vrfHash: (proof: Uint8Array) => Uint8Array | null
  digest: (value: Uint8Array) => Uint8Array
}

/** Deterministic keys from a 32-byte seed (separate keys for signing and for the VRF). */
export function deriveReplicaKeys (seed: Uint8Array): ReplicaKeys {
  const signSeed = sha256(new Uint8Array([...new TextEncoder().encode('sign'), ...seed]))
  const vrfSeed = sha256(new Uint8Array([...new TextEncoder().encode('vrf'), ...seed]))
  const s = ed25519.keygen(signSeed)
  const v = vrfKeygen(vrfSeed)
  return { signSecret: s.secretKey, signPublic: s.publicKey, vrfSecret: v.secretKey, vrfPublic: v.publicKey }
}

/** alpha = "novacron/probft/v1" • phase • slot(u32 LE) • view(u32 LE) */
export function vrfAlpha (phase: number, slot: number, view: number): Uint8Array {
  const tag = new TextEncoder().encode('novacron/probft/v1')
  const out = new Uint8Array(tag.length + 9)
  out.set(tag, 0)
  const dv = new DataView(out.buffer)
  dv.setUint8(tag.length, phase)
  dv.setUint32(tag.length + 1, slot, true)
  dv.setUint32(tag.length + 5, view, true)
  return out
}

/**
 * A synchronous Ed25519 verifier; its verdict must equal `nobleSignatures`' on every input. It may
 * sign too (RFC 8032 signatures are deterministic: the same bytes as noble's, tested).
 */
export interface SignatureVerifier {
  /** for reports: 'noble', 'node:crypto', … */
  readonly name: string
  verify: (publicKey: Uint8Array, message: Uint8Array, sig: Uint8Array) => boolean
  /** signs with a 32-byte RFC 8032 secret key @default noble's ed25519.sign */
  sign?: (secret: Uint8Array, message: Uint8Array) => Uint8Array
}

/** @noble/curves Ed25519, RFC 8032 strict decoding (zip215: false): the reference verdict. */
export const nobleSignatures: SignatureVerifier = {
  name: 'noble',
  verify: (publicKey, message, sig) => {
    try {
      // RFC 8032 strict decoding (zip215: false): one valid encoding per signature
      return ed25519.verify(sig, message, publicKey, { zip215: false })
    } catch {
      return false // malformed key/signature bytes from a peer: simply invalid
    }
  }
}

export interface ConsensusCryptoInit {
  /** the Ed25519 verifier (a platform's native one) @default nobleSignatures */
  signatures?: SignatureVerifier
}

export function createConsensusCrypto (init: ConsensusCryptoInit = {}): ConsensusCrypto {
  const signatures = init.signatures ?? nobleSignatures
  return {
    sign: signatures.sign ?? ((secret, message) => ed25519.sign(message, secret)),
    verifySignature: (publicKey, message, sig) => signatures.verify(publicKey, message, sig),
    vrfProve: (secret, alpha) => vrfProve('TAI', secret, alpha),
    vrfVerify: (publicKey, alpha, proof) => vrfVerify('TAI', publicKey, alpha, proof),
    vrfHash: proof => vrfProofToHash('TAI', proof),
    digest: value => sha256(value)
  }
}

/**
 * Counts of real verifications and cache hits, and the milliseconds the real ones took, for
 * reports: wall time around each synchronous check by default (`clock`), so on a busy machine it
 * also counts time the process was not scheduled. (Node's process.cpuUsage() would give CPU time
 * but costs ~14 µs a call and showed up in peer profiles.)
 */
export interface VerificationStats { signatures: number, vrfProofs: number, hits: number, signatureMs: number, vrfMs: number }

const clockMs = (): number => globalThis.performance?.now() ?? Date.now()

/** An asynchronous native Ed25519 check (WebCrypto); only its "valid" verdicts are used. */
export type AsyncSignatureCheck = (publicKey: Uint8Array, message: Uint8Array, sig: Uint8Array) => Promise<boolean>

export interface MemoizedCrypto extends ConsensusCrypto {
  stats: VerificationStats
  /**
   * Checks signatures with an asynchronous native verifier ahead of the synchronous engine and
   * enters each "valid" whose S and public key are canonical encodings (then noble says valid
   * too, see ed25519-canonical.ts) in the cache. Anything else is left to the synchronous
   * verifier: a "no" from the native side never decides. Counted like a real check.
   */
  preverify: (triples: Array<{ publicKey: Uint8Array, message: Uint8Array, sig: Uint8Array }>, check: AsyncSignatureCheck) => Promise<void>
  /**
   * Computes a VRF proof ahead of need (ECVRF proofs are deterministic in (key, input), and a
   * replica's inputs — phase, slot, view — are known before the slot starts), so `vrfProve` for
   * it later returns the same bytes at once. Bounded (the last 16 inputs).
   */
  prewarmProof: (secret: Uint8Array, alpha: Uint8Array) => void
  /**
   * proofs made (`made`), of those the ones `prewarmProof` made (`ahead`; the rest were made when
   * needed, on the critical path), and proofs served from `prewarmProof` (`prewarmed`)
   */
  proofs: { made: number, ahead: number, prewarmed: number }
}

export function memoizeVerification (inner: ConsensusCrypto, maxEntries = 200_000, clock: () => number = clockMs): MemoizedCrypto {
  const stats: VerificationStats = { signatures: 0, vrfProofs: 0, hits: 0, signatureMs: 0, vrfMs: 0 }
  const msKey = { signatures: 'signatureMs', vrfProofs: 'vrfMs' } as const
  // one cache per kind of check, so a signature and a proof over the same bytes never collide
  const caches = { signatures: new Map<string, unknown>(), vrfProofs: new Map<string, unknown>() }
  /** Looks the exact bytes up; on a miss counts a real verification, computes and stores it. */
  const cached = <V>(kind: keyof typeof caches, parts: Uint8Array[], compute: () => V): V => {
    const cache = caches[kind]
    const k = parts.map(p => bytesToHex(p.length > 96 ? sha256(p) : p)).join('.')
    if (cache.has(k)) { stats.hits++; return cache.get(k) as V }
    stats[kind]++
    const t = clock()
    const v = compute()
    stats[msKey[kind]] += clock() - t
    if (cache.size >= maxEntries) cache.clear()
    cache.set(k, v)
    return v
  }
  // What this replica signs or proves itself is valid by construction: entered in the cache as it
  // is made, so a certificate holding our own vote is not re-checked. A peer's bytes are always
  // verified for real (they can only hit an entry if they are exactly our own bytes).
  const publicOf = new Map<string, Uint8Array>()
  const ownPublic = (secret: Uint8Array): Uint8Array => {
    const k = bytesToHex(secret)
    let p = publicOf.get(k)
    if (p == null) {
      p = ed25519.getPublicKey(secret) // the VRF key pair is an RFC 8032 key pair too (core/vrf keygen)
      if (publicOf.size >= 16) publicOf.clear()
      publicOf.set(k, p)
    }
    return p
  }
  const remember = (kind: keyof typeof caches, parts: Uint8Array[], value: unknown): void => {
    const cache = caches[kind]
    if (cache.size >= maxEntries) cache.clear()
    cache.set(parts.map(p => bytesToHex(p.length > 96 ? sha256(p) : p)).join('.'), value)
  }
  const keyOf = (parts: Uint8Array[]): string => parts.map(p => bytesToHex(p.length > 96 ? sha256(p) : p)).join('.')
  const proofsAhead = new Map<string, Uint8Array>()
  const proofs = { made: 0, ahead: 0, prewarmed: 0 }
  const prove = (secret: Uint8Array, alpha: Uint8Array): Uint8Array => {
    proofs.made++
    const proof = inner.vrfProve(secret, alpha)
    const beta = inner.vrfHash(proof)
    if (beta != null) remember('vrfProofs', [ownPublic(secret), alpha, proof], beta)
    return proof
  }
  return {
    ...inner,
    stats,
    preverify: async (triples, check) => {
      const seen = new Set<string>() // a message may carry the same signed header several times
      await Promise.all(triples.map(async ({ publicKey, message, sig }) => {
        const k = keyOf([publicKey, message, sig])
        if (seen.has(k) || caches.signatures.has(k) || !isCanonicalS(sig) || !isCanonicalPointEncoding(publicKey)) return
        seen.add(k)
        const t = clock()
        let ok = false
        try { ok = await check(publicKey, message, sig) } catch { ok = false }
        stats.signatures++
        stats.signatureMs += clock() - t
        if (ok) remember('signatures', [publicKey, message, sig], true)
      }))
    },
    sign: (secret, message) => {
      const sig = inner.sign(secret, message)
      remember('signatures', [ownPublic(secret), message, sig], true)
      return sig
    },
    vrfProve: (secret, alpha) => {
      const k = keyOf([secret, alpha])
      const ready = proofsAhead.get(k)
      if (ready != null) { proofs.prewarmed++; return ready }
      return prove(secret, alpha)
    },
    prewarmProof: (secret, alpha) => {
      const k = keyOf([secret, alpha])
      if (proofsAhead.has(k)) return
      proofs.ahead++
      const proof = prove(secret, alpha)
      if (proofsAhead.size >= 16) proofsAhead.delete(proofsAhead.keys().next().value as string)
      proofsAhead.set(k, proof)
    },
    proofs,
    verifySignature: (publicKey, message, sig) => cached('signatures', [publicKey, message, sig], () => inner.verifySignature(publicKey, message, sig)),
    vrfVerify: (publicKey, alpha, proof) => cached('vrfProofs', [publicKey, alpha, proof], () => inner.vrfVerify(publicKey, alpha, proof))
  }
}
