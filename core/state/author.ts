/**
 * Authorship of shared-state changes: which Yjs client ids a peer may write under, and the
 * signature every change carries.
 *
 * Yjs trusts whatever client id an update claims, so a peer could stamp its items with another
 * peer's id and next clock (issue 19, defect 1). Here a client id is *bound* to a peer: it is the
 * first 53 bits of SHA-256(domain • peer id • session), where `session` is a random number the peer
 * picks each time it starts. Anyone holding an entry (author, session, update, signature) recomputes
 * the client id and checks that every struct in the update is under it, and that the author's
 * Ed25519 key (inside its peer id) signed the entry. 53 bits (the largest integer a JS number holds
 * exactly; Yjs writes client ids as varints) make finding a session that maps another peer's id onto
 * a known client id a 2^53-hash search.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { sha256 } from '@noble/hashes/sha2.js'
import * as encoding from 'lib0/encoding'

const CLIENT_DOMAIN = 'novacron/state/client/1'
export const ENTRY_DOMAIN = 'novacron/state/entry/1'

/** The Yjs client id bound to `(author, session)`. */
export function boundClientId (author: string, session: number): number {
  const e = encoding.createEncoder()
  encoding.writeVarString(e, CLIENT_DOMAIN)
  encoding.writeVarString(e, author)
  encoding.writeVarUint(e, session)
  const h = sha256(encoding.toUint8Array(e))
  // 5 + 6·8 = 53 bits, big-endian
  let id = h[0] & 0x1f
  for (let i = 1; i < 7; i++) id = id * 256 + h[i]
  return id
}

/** What a provider needs to write as this peer: its id and a signer (the libp2p private key). */
export interface Signer {
  peerId: string
  sign: (data: Uint8Array) => Uint8Array | Promise<Uint8Array>
}

/** A fresh random session number (32 bits; the client id is derived from it, not equal to it). */
export function randomSession (): number {
  const b = new Uint32Array(1)
  globalThis.crypto.getRandomValues(b)
  return b[0]
}

type Verifier = (data: Uint8Array, sig: Uint8Array) => boolean | Promise<boolean>

/**
 * Verifies signatures by author; parsed public keys are cached (bounded: the cache is cleared past
 * `max` authors, which only costs re-parsing).
 */
export class AuthorKeys {
  private readonly keys = new Map<string, Verifier | null>()
  constructor (private readonly max = 4096) {}

  /** The author's verifier, or null when the string is no peer id with an embedded public key. */
  verifier (author: string): Verifier | null {
    let v = this.keys.get(author)
    if (v !== undefined) return v
    try {
      const key = peerIdFromString(author).publicKey
      v = key == null ? null : (data, sig) => key.verify(data, sig)
    } catch {
      v = null
    }
    if (this.keys.size >= this.max) this.keys.clear()
    this.keys.set(author, v)
    return v
  }
}
