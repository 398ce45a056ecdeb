/**
 * Gossipsub's signature check with each author's key imported once, not once per message.
 *
 * Gossipsub (StrictSign, @libp2p/gossipsub 17) checks every new message's Ed25519 signature with
 * its author's libp2p public key, which it rebuilds from the message's `from` each time
 * (`peerIdFromMultihash`: a fresh `Ed25519PublicKey`). That class's `verify` (@libp2p/crypto 5)
 * imports the raw key into the platform's crypto on every call — Node: `crypto.createPublicKey`
 * from a JWK; a tab: `subtle.importKey` — and the import costs more than the check itself.
 * Gossipsub offers no hook there (it checks the signature before any topic validator runs), so
 * `installEd25519Check` replaces `verify` on @libp2p/crypto's Ed25519 public-key class with a check
 * that keeps the imported keys (Node: node-runtime/mesh/libp2p-ed25519.ts, `KeyObject`s; a tab:
 * core/consensus/webcrypto-ed25519.ts, `CryptoKey`s).
 *
 * Only the imported key is kept, never a verdict: every signature is still checked, by the same
 * primitive as before (OpenSSL in Node, WebCrypto in a tab), so a forged or altered message is
 * rejected as before (test/net/libp2p-ed25519.test.ts). The class is shared, so every user of
 * @libp2p/crypto's Ed25519 public keys in the process gains (the ledger's microblock and genesis
 * checks, identify's signed peer records, noise's handshake). Installing again swaps the check;
 * the function returned puts the library's own `verify` back.
 */
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import type { AbortOptions, PublicKey } from '@libp2p/interface'

/** A platform's Ed25519 check over raw bytes: the 32-byte key, the signed bytes, the signature. */
export type Ed25519Check = (publicKey: Uint8Array, data: Uint8Array, sig: Uint8Array) => boolean | Promise<boolean>

type Verify = PublicKey['verify']
interface KeyClass { verify: Verify }

let installed: { proto: KeyClass, original: Verify } | undefined

/** Routes every libp2p Ed25519 public key's `verify` through `check`; returns the undo. */
export function installEd25519Check (check: Ed25519Check): () => void {
  // the class is not exported: reach its prototype through an instance (any 32 bytes make one;
  // the bytes are only checked when used)
  const proto = Object.getPrototypeOf(publicKeyFromRaw(new Uint8Array(32))) as KeyClass
  if (installed == null) installed = { proto, original: proto.verify }
  proto.verify = function (this: { raw: Uint8Array }, data: Parameters<Verify>[0], sig: Uint8Array, options?: AbortOptions) {
    options?.signal?.throwIfAborted()
    return check(this.raw, data instanceof Uint8Array ? data : data.subarray(), sig)
  } as Verify
  return uninstallEd25519Check
}

/** Puts @libp2p/crypto's own Ed25519 `verify` back (nothing to do when none was installed). */
export function uninstallEd25519Check (): void {
  if (installed == null) return
  installed.proto.verify = installed.original
  installed = undefined
}
