/**
 * Issue ids that peers mint without coordinating: `<prefix>-<hash>`, e.g. `nc-4k2x9q`.
 *
 * The hash is SHA-256 over the creating peer's id, the time and 16 random bytes, written in base 36
 * and cut to 6 characters (36^6 ≈ 2.2e9, so two peers colliding on the same board is negligible);
 * if the id is already taken locally, one more character is used, up to 12. Short, lowercase and
 * without look-alike punctuation, so they can be typed from a screen.
 */
import { sha256 } from '@noble/hashes/sha2.js'

export const DEFAULT_PREFIX = 'nc'
const MIN_LEN = 6
const MAX_LEN = 12

export interface IdSource {
  actor: string
  now: () => number
  random: (n: number) => Uint8Array
}

export function defaultRandom (n: number): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(n))
}

export function mintIssueId (src: IdSource, prefix: string, taken: (id: string) => boolean): string {
  const input = new TextEncoder().encode(`${src.actor}:${src.now()}:`)
  const seed = new Uint8Array(input.length + 16)
  seed.set(input)
  seed.set(src.random(16), input.length)
  const digest = sha256(seed)
  let n = 0n
  for (let i = 0; i < 10; i++) n = (n << 8n) | BigInt(digest[i])
  const text = n.toString(36).padStart(MAX_LEN, '0')
  for (let len = MIN_LEN; len <= MAX_LEN; len++) {
    const id = `${prefix}-${text.slice(0, len)}`
    if (!taken(id)) return id
  }
  // 12 characters all taken: only possible with a broken random source.
  throw new Error('could not mint a free issue id')
}
