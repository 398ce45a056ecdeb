/**
 * node:crypto's Ed25519 check for libp2p's public keys, with each key imported once: installed
 * process-wide by the peer commands (core/net/libp2p-ed25519.ts says why). @libp2p/crypto's Node
 * path imports the key from a JWK (`createPublicKey`) for every signature it checks; this keeps the
 * `KeyObject`s, up to `maxKeys` (a key not seen again for a while goes first; one more import is all
 * an eviction costs). The verdict is OpenSSL's, as in @libp2p/crypto, and a signature of the wrong
 * length throws the same `TypeError` there.
 */
import { verify, type KeyObject } from 'node:crypto'
import { installEd25519Check, type Ed25519Check } from '../../core/net/libp2p-ed25519.ts'
import { ed25519PublicKeyObject } from './ed25519-key-object.ts'

export interface CachedEd25519Check {
  check: Ed25519Check
  /** signatures checked */
  readonly checks: number
  /** keys imported (checks with a key not held) */
  readonly imports: number
  /** keys held now */
  readonly held: number
}

/** A check over `KeyObject`s kept per public key, at most `maxKeys` of them (least recently used out). */
export function cachedEd25519Check (maxKeys = 4096): CachedEd25519Check {
  const keys = new Map<string, KeyObject>()
  let checks = 0
  let imports = 0
  const keyOf = (raw: Uint8Array): KeyObject => {
    const k = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1')
    let o = keys.get(k)
    if (o != null) {
      // most recently used last, so the first key in the map is the one to evict
      keys.delete(k)
      keys.set(k, o)
      return o
    }
    o = ed25519PublicKeyObject(raw) // throws for bytes OpenSSL refuses, as @libp2p/crypto's import does
    imports++
    if (keys.size >= maxKeys) keys.delete(keys.keys().next().value as string)
    keys.set(k, o)
    return o
  }
  return {
    check: (publicKey, data, sig) => {
      if (sig.byteLength !== 64) throw new TypeError('"sig" must be 64 bytes in length.')
      checks++
      return verify(null, data, keyOf(publicKey), sig)
    },
    get checks () { return checks },
    get imports () { return imports },
    get held () { return keys.size }
  }
}

let processCheck: CachedEd25519Check | undefined

/** Installs the cached check for every libp2p Ed25519 key of this process (once); returns its counters. */
export function installNativeLibp2pEd25519 (): CachedEd25519Check {
  if (processCheck == null) {
    processCheck = cachedEd25519Check()
    installEd25519Check(processCheck.check)
  }
  return processCheck
}
