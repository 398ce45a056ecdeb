/**
 * The tab's libp2p identity, kept across reloads.
 *
 * The Ed25519 private key is stored protobuf-marshalled (`@libp2p/crypto`'s own format, the one
 * Node peers write to `--data-dir`) and base64-encoded in `localStorage`, so a reload keeps the
 * peer id. Storage is injected (a `Storage`-shaped object) so the logic runs under Node tests.
 * A stored value that does not decode is never silently overwritten: it is moved to a backup key,
 * reported, and a fresh key is generated.
 */
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'

/** The subset of the Web Storage API used here. */
export interface KeyStorage {
  getItem: (key: string) => string | null
  setItem: (key: string, value: string) => void
}

export interface IdentityInit {
  /** @default 'novacron:identity' */
  storageKey?: string
  /** Called when a stored key could not be decoded and was replaced. */
  onCorrupt?: (err: Error) => void
}

export interface LoadedIdentity {
  privateKey: PrivateKey
  /** True when the key was read from storage, false when it was generated now. */
  restored: boolean
}

export const DEFAULT_STORAGE_KEY = 'novacron:identity'

/** Where the identity came from: storage, generated and stored now, or generated for this page only. */
export type IdentityOrigin = 'restored' | 'new' | 'ephemeral'

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

/** Reads the stored key, or generates and stores a new Ed25519 key. */
export async function loadIdentity (storage: KeyStorage, init: IdentityInit = {}): Promise<LoadedIdentity> {
  const storageKey = init.storageKey ?? DEFAULT_STORAGE_KEY
  const stored = storage.getItem(storageKey)
  if (stored != null) {
    try {
      return { privateKey: decodeIdentity(stored), restored: true }
    } catch (err) {
      storage.setItem(`${storageKey}:corrupt`, stored)
      init.onCorrupt?.(err as Error)
    }
  }
  const privateKey = await generateKeyPair('Ed25519')
  storage.setItem(storageKey, encodeIdentity(privateKey))
  return { privateKey, restored: false }
}
