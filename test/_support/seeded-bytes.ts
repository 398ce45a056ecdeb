/**
 * Seeded bytes for blob and checkpoint tests: mulberry32, so they are reproducible, do not
 * compress to nothing, and FastCDC cuts them into several chunks.
 */
export function seededBytes (n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n)
  let a = seed >>> 0
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0
    let t = Math.imul(a ^ (a >>> 15), a | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    out[i] = ((t ^ (t >>> 14)) >>> 0) & 0xff
  }
  return out
}

/** A seeded stream of 32-bit unsigned integers (an LCG): reproducible choices of pages, offsets, sizes. */
export function seededInts (seed: number): () => number {
  let s = seed >>> 0
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s }
}
