/**
 * Raw Ed25519 keys as node:crypto `KeyObject`s, through their DER encodings (RFC 8410): the
 * import the native checks (node-runtime/ledger/native-ed25519.ts, libp2p-ed25519.ts) do once per
 * key and keep, instead of once per signature.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto'

/** SPKI DER prefix of an Ed25519 public key: SEQUENCE { algorithm id-Ed25519, BIT STRING } */
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')
/** PKCS #8 DER prefix of an Ed25519 private key: version 0, id-Ed25519, OCTET STRING { OCTET STRING seed } */
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')

/** The 32-byte public key `raw` as a `KeyObject`; throws where OpenSSL refuses the bytes. */
export function ed25519PublicKeyObject (raw: Uint8Array): KeyObject {
  if (raw.length !== 32) throw new RangeError(`an Ed25519 public key is 32 bytes (got ${raw.length})`)
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' })
}

/** The 32-byte secret key (seed) `secret` as a `KeyObject`. */
export function ed25519PrivateKeyObject (secret: Uint8Array): KeyObject {
  if (secret.length !== 32) throw new RangeError(`an Ed25519 secret key is 32 bytes (got ${secret.length})`)
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, secret]), format: 'der', type: 'pkcs8' })
}
