/**
 * Hashes of microblocks whose signatures were already checked (own ones, and those of blocks
 * verified before), so a block that carries them is not checked twice. A cache: forgetting a key
 * costs one more signature check, never correctness. Bounded to `max` keys, oldest out first (a
 * Set keeps insertion order). It was a plain Set cleared at 50,000 keys on one of its three paths
 * (~100 bytes a key; noticed in issue 21's heap-snapshot diff): a cliff of re-checks after each clear.
 */
export const MAX_VERIFIED_KEYS = 20_000

export class VerifiedKeys {
  private readonly keys = new Set<string>()

  constructor (private readonly max = MAX_VERIFIED_KEYS) {}

  has (key: string): boolean { return this.keys.has(key) }

  add (key: string): void {
    if (this.keys.has(key)) return
    this.keys.add(key)
    if (this.keys.size > this.max) this.keys.delete(this.keys.values().next().value as string)
  }

  get size (): number { return this.keys.size }
}
