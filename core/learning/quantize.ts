/**
 * Lossy update compression: b-bit (1..8) affine quantisation with stochastic rounding, and top-k
 * sparsification with error feedback.
 *
 * Quantisation works on chunks of `chunkSize` values. Each chunk stores its minimum `lo` and step
 * `s = (hi − lo) / (2^b − 1)`; a value v maps to level ⌊(v − lo)/s + u⌋ with u ~ U[0, 1), so the
 * dequantised value is unbiased (E[v̂] = v) and |v̂ − v| < s (tests check both). Levels are packed
 * LSB-first, b bits each.
 *
 * Top-k (Stich et al. 2018 / Lin et al. 2018 "Deep Gradient Compression"): a client keeps a
 * residual r; it sends the k largest-magnitude coordinates of u + r and keeps everything not
 * delivered (including the quantisation error of what was sent) in r for the next round.
 */
import type { Rng } from './rng.ts'

export interface QuantizedChunks {
  bits: number
  chunkSize: number
  /** Per chunk: minimum and step. */
  lo: Float32Array
  step: Float32Array
  /** Packed levels, ceil(count * bits / 8) bytes. */
  packed: Uint8Array
  count: number
}

export function packedLength (count: number, bits: number): number {
  return Math.ceil(count * bits / 8)
}

export function quantize (values: Float32Array, bits: number, rng: Rng, chunkSize = 256): QuantizedChunks {
  if (!Number.isInteger(bits) || bits < 1 || bits > 8) throw new RangeError(`bits must be an integer in 1..8 (got ${bits})`)
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RangeError(`chunkSize must be a positive integer (got ${chunkSize})`)
  const count = values.length
  const chunks = Math.ceil(count / chunkSize)
  const lo = new Float32Array(chunks)
  const step = new Float32Array(chunks)
  const packed = new Uint8Array(packedLength(count, bits))
  const levels = (1 << bits) - 1
  let bitPos = 0
  for (let c = 0; c < chunks; c++) {
    const start = c * chunkSize
    const end = Math.min(count, start + chunkSize)
    let mn = Infinity
    let mx = -Infinity
    for (let i = start; i < end; i++) { if (values[i] < mn) mn = values[i]; if (values[i] > mx) mx = values[i] }
    lo[c] = mn
    // step stored as float32; recompute hi from it so the encoder uses exactly what the decoder sees
    step[c] = mx > mn ? (mx - mn) / levels : 0
    const s = step[c]
    const l = lo[c]
    for (let i = start; i < end; i++) {
      let q = s > 0 ? Math.floor((values[i] - l) / s + rng.next()) : 0
      if (q < 0) q = 0
      else if (q > levels) q = levels
      // write `bits` bits of q at bitPos (LSB-first)
      for (let b = 0; b < bits; b++, bitPos++) if ((q >> b) & 1) packed[bitPos >> 3] |= 1 << (bitPos & 7)
    }
  }
  return { bits, chunkSize, lo, step, packed, count }
}

export function dequantize (q: QuantizedChunks): Float32Array {
  const out = new Float32Array(q.count)
  let bitPos = 0
  for (let i = 0; i < q.count; i++) {
    let v = 0
    for (let b = 0; b < q.bits; b++, bitPos++) if ((q.packed[bitPos >> 3] >> (bitPos & 7)) & 1) v |= 1 << b
    const c = Math.floor(i / q.chunkSize)
    out[i] = q.lo[c] + v * q.step[c]
  }
  return out
}

export interface Sparse {
  /** Strictly increasing coordinate indices. */
  indices: Uint32Array
  values: Float32Array
  size: number
}

/** The k largest-|v| coordinates of `v` (ties to the lower index), in index order. */
export function topK (v: Float32Array, k: number): Sparse {
  const n = v.length
  const kk = Math.max(0, Math.min(n, Math.floor(k)))
  if (kk === n) return { indices: Uint32Array.from({ length: n }, (_, i) => i), values: Float32Array.from(v), size: n }
  // threshold by selecting on magnitudes (sort a copy; n is a model size, sort is fine here)
  const order = Uint32Array.from({ length: n }, (_, i) => i)
  order.sort((a, b) => Math.abs(v[b]) - Math.abs(v[a]) || a - b)
  const indices = order.slice(0, kk).sort()
  const values = new Float32Array(kk)
  indices.forEach((ix, j) => { values[j] = v[ix] })
  return { indices, values, size: n }
}

export function densify (s: Sparse): Float32Array {
  const out = new Float32Array(s.size)
  s.indices.forEach((ix, j) => { out[ix] = s.values[j] })
  return out
}

/** Per-client residual memory for error feedback. */
export class ErrorFeedback {
  private residual: Float32Array | null = null

  /** u + residual (a new array); call `settle` with what was actually delivered. */
  compensate (update: Float32Array): Float32Array {
    const out = Float32Array.from(update)
    if (this.residual != null && this.residual.length === out.length) for (let i = 0; i < out.length; i++) out[i] += this.residual[i]
    return out
  }

  /** Stores `intended − delivered` as the new residual. */
  settle (intended: Float32Array, delivered: Float32Array): void {
    const r = new Float32Array(intended.length)
    for (let i = 0; i < r.length; i++) r[i] = intended[i] - delivered[i]
    this.residual = r
  }

  get norm (): number {
    if (this.residual == null) return 0
    let s = 0
    for (const x of this.residual) s += x * x
    return Math.sqrt(s)
  }
}
