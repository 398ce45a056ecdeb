/**
 * The encoding of a libp2p identity in Web Storage (which identity a tab takes: tab-identity.ts).
 *
 * The Ed25519 private key is stored protobuf-marshalled (`@libp2p/crypto`'s own format, the one
 * Node peers write to `--data-dir`) and base64-encoded in `localStorage`, so a reload keeps the
 * peer id. Storage is injected (a `Storage`-shaped object) so the logic runs under Node tests.
 */
import { privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'

/** The subset of the Web Storage API used here. */
export interface KeyStorage {
  getItem: (key: string) => string | null
  setItem: (key: string, value: string) => void
}

export const DEFAULT_STORAGE_KEY = 'novacron:identity'

/**
 * Where the tab's identity came from (see tab-identity.ts): its own from before a reload, the
 * browser's saved one, generated now (none saved, or the saved one is in use by another tab), or
 * generated for this page only because the browser refuses storage.
 */
export type IdentityOrigin = 'tab' | 'browser' | 'new' | 'new-in-use' | 'ephemeral'

/**
 * The page's `localStorage`, or a throwaway in-memory store when the browser refuses storage
 * (e.g. blocked site data), in which case the identity lasts only as long as the page.
 */
export function pageStorage (get: () => KeyStorage = () => globalThis.localStorage): { storage: KeyStorage, persistent: boolean } {
  try {
    const storage = get()
    storage.getItem(DEFAULT_STORAGE_KEY)
    return { storage, persistent: true }
  } catch {
    const data = new Map<string, string>()
    return { storage: { getItem: k => data.get(k) ?? null, setItem: (k, v) => { data.set(k, v) } }, persistent: false }
  }
}

export class IdentityError extends Error {
  static override name = 'IdentityError'
  override name = 'IdentityError'
}

export function bytesToBase64 (bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += String.fromCharCode(b)
  return btoa(s)
}

export function base64ToBytes (text: string): Uint8Array {
  let bin: string
  try {
    bin = atob(text)
  } catch {
    throw new IdentityError('stored identity is not valid base64')
  }
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  return out
}

/** Decodes a stored identity; throws `IdentityError` when it is not a marshalled private key. */
export function decodeIdentity (text: string): PrivateKey {
  const bytes = base64ToBytes(text)
  try {
    return privateKeyFromProtobuf(bytes)
  } catch (err) {
    throw new IdentityError(`stored identity is not a libp2p private key: ${(err as Error).message}`)
  }
}

export function encodeIdentity (key: PrivateKey): string {
  return bytesToBase64(privateKeyToProtobuf(key))
}
