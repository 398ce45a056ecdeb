/**
 * VRF sortition: turns a VRF output (beta) into a uniformly random set of `size` distinct replica
 * indices out of `n`, excluding the prover itself. Anyone holding beta recomputes the same set, so
 * a receiver checks "was I legitimately chosen?" by verifying the proof and looking itself up.
 *
 * The random stream is SHA-512(domain || beta || counter) blocks read as 32-bit little-endian
 * words; indices come from a partial Fisher–Yates shuffle with rejection sampling (no modulo bias).
 */
import { sha512 } from '@noble/hashes/sha2.js'

const DOMAIN = new TextEncoder().encode('novacron/vrf-sample/v1')

class WordStream {
  private block = new Uint8Array(0)
  private offset = 0
  private counter = 0
  constructor (private readonly seed: Uint8Array) {}
  next (): number {
    if (this.offset + 4 > this.block.length) {
      const input = new Uint8Array(DOMAIN.length + this.seed.length + 4)
      input.set(DOMAIN, 0)
      input.set(this.seed, DOMAIN.length)
      new DataView(input.buffer).setUint32(DOMAIN.length + this.seed.length, this.counter++, true)
      this.block = sha512(input)
      this.offset = 0
    }
    const v = new DataView(this.block.buffer, this.block.byteOffset + this.offset, 4).getUint32(0, true)
    this.offset += 4
    return v
  }

  /** Uniform integer in [0, bound). */
  below (bound: number): number {
    const limit = Math.floor(0x100000000 / bound) * bound
    for (;;) {
      const v = this.next()
      if (v < limit) return v % bound
    }
  }
}

/**
 * `size` distinct indices in [0, n) \ {self}, sorted ascending. `size` is clamped to n − 1.
 * Deterministic in (beta, n, size, self).
 */
export function sampleFromOutput (beta: Uint8Array, n: number, size: number, self: number): number[] {
  if (!Number.isInteger(n) || n < 1) throw new RangeError('n must be a positive integer')
  const others: number[] = []
  for (let i = 0; i < n; i++) if (i !== self) others.push(i)
  const k = Math.max(0, Math.min(size, others.length))
  const stream = new WordStream(beta)
  for (let i = 0; i < k; i++) {
    const j = i + stream.below(others.length - i)
    const t = others[i]; others[i] = others[j]; others[j] = t
  }
  return others.slice(0, k).sort((a, b) => a - b)
}
