/**
 * A signature whose R has a small-order (torsion) component: valid under Ed25519's cofactored
 * verification equation only. noble accepts it, OpenSSL (and so a native verifier) may refuse it,
 * which is why the ledger lets noble decide. Shared by the native and WebCrypto verifier tests.
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import { sha512 } from '@noble/hashes/sha2.js'
import { bytesToNumberLE, numberToBytesLE } from '@noble/curves/utils.js'

/** A point of order 8 (any T with 8T = 0, T ≠ 0). */
export const ORDER_8_POINT = ed25519.Point.fromHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a')

export interface TorsionSignature { publicKey: Uint8Array, message: Uint8Array, sig: Uint8Array }

/** Signs `message` with the key from `secret`, using nonce r and R = rB + T. */
export function torsionSignature (secret: Uint8Array, message: Uint8Array, r: bigint): TorsionSignature {
  const { scalar: a, pointBytes: publicKey } = ed25519.utils.getExtendedPublicKey(secret)
  const R = ed25519.Point.BASE.multiply(r).add(ORDER_8_POINT).toBytes()
  const k = ed25519.Point.Fn.create(bytesToNumberLE(sha512(Uint8Array.from([...R, ...publicKey, ...message]))))
  const S = ed25519.Point.Fn.create(r + k * a)
  return { publicKey, message, sig: Uint8Array.from([...R, ...numberToBytesLE(S, 32)]) }
}
