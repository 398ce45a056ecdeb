/**
 * Native Ed25519 signature checks for Node peers (node:crypto, OpenSSL), injected into core/'s
 * consensus crypto (`createConsensusCrypto({ signatures: nativeSignatures() })`): ~0.1 ms a check
 * against ~1.3 ms for @noble/curves.
 *
 * It must give exactly noble's verdict (`nobleSignatures`, RFC 8032 strict decoding, cofactored
 * equation), or a crafted signature could count on Node replicas and not in tabs. OpenSSL checks
 * the cofactorless equation [S]B = R + [k]A and compares R's canonical encoding, so an OpenSSL
 * "valid" implies noble's "valid" once S < L and A is a canonical encoding (both checked here
 * first, whatever a given OpenSSL version checks itself). The converse does not hold (R or A with a
 * small-order component can satisfy only the cofactored equation), so an OpenSSL "invalid" is
 * re-checked by noble: honest signatures take the fast path, forged ones cost a noble check (and
 * a rejection counted against their sender).
 *
 * Public keys become `KeyObject`s once (raw → SPKI DER), kept in a bounded map. Signing goes
 * native too (the replica's own key as PKCS #8): deterministic, so the bytes equal noble's.
 */
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto'
import { nobleSignatures, type SignatureVerifier } from '../../core/consensus/crypto.ts'
import { isCanonicalPointEncoding, isCanonicalS } from '../../core/consensus/ed25519-canonical.ts'

/** SPKI DER prefix of an Ed25519 public key (RFC 8410): SEQUENCE { algorithm id-Ed25519, BIT STRING } */
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')
/** PKCS #8 DER prefix of an Ed25519 private key (RFC 8410): version 0, id-Ed25519, OCTET STRING { OCTET STRING seed } */
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')
const MAX_KEYS = 4096

export { isCanonicalPointEncoding, isCanonicalS }

export interface NativeSignatures extends SignatureVerifier {
  /** checks that took the noble path after OpenSSL said invalid */
  readonly fallbacks: number
}

/** A node:crypto verifier, or null where this Node cannot do Ed25519 (then use noble). */
export function nativeSignatures (): NativeSignatures | null {
  const keys = new Map<string, KeyObject | null>()
  let fallbacks = 0
  const keyOf = (publicKey: Uint8Array): KeyObject | null => {
    const k = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.length).toString('latin1')
    let o = keys.get(k)
    if (o !== undefined) return o
    try {
      o = isCanonicalPointEncoding(publicKey) ? createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' }) : null
    } catch {
      o = null // not a point OpenSSL accepts: noble decides below
    }
    if (keys.size >= MAX_KEYS) keys.clear()
    keys.set(k, o)
    return o
  }
  const fast = (publicKey: Uint8Array, message: Uint8Array, sig: Uint8Array): boolean => {
    if (publicKey.length !== 32 || sig.length !== 64 || !isCanonicalS(sig)) return false
    const key = keyOf(publicKey)
    if (key == null) return false
    try { return verify(null, message, key, sig) } catch { return false }
  }
  // feature check: a Node without Ed25519 in OpenSSL throws here
  try {
    const probe = nobleProbe()
    if (!fast(probe.publicKey, probe.message, probe.sig)) return null
  } catch { return null }
  // signing keys: this peer's own, a handful at most
  const secrets = new Map<string, KeyObject>()
  const secretOf = (secret: Uint8Array): KeyObject => {
    const k = Buffer.from(secret.buffer, secret.byteOffset, secret.length).toString('latin1')
    let o = secrets.get(k)
    if (o == null) {
      if (secret.length !== 32) throw new RangeError(`an Ed25519 secret key is 32 bytes (got ${secret.length})`)
      o = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, secret]), format: 'der', type: 'pkcs8' })
      if (secrets.size >= 16) secrets.clear()
      secrets.set(k, o)
    }
    return o
  }
  return {
    name: 'node:crypto',
    get fallbacks () { return fallbacks },
    // RFC 8032 signing is deterministic: the same 64 bytes noble produces (tested)
    sign: (secret, message) => new Uint8Array(sign(null, message, secretOf(secret))),
    verify: (publicKey, message, sig) => {
      if (fast(publicKey, message, sig)) return true
      fallbacks++
      return nobleSignatures.verify(publicKey, message, sig)
    }
  }
}

/** A fixed RFC 8032 test vector (§7.1, TEST 2) to probe the native path once. */
function nobleProbe (): { publicKey: Uint8Array, message: Uint8Array, sig: Uint8Array } {
  const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'))
  return {
    publicKey: hex('3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c'),
    message: hex('72'),
    sig: hex('92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00')
  }
}
