/**
 * What the simulator's Byzantine clients send instead of an honest update. Used by the simulator
 * and the tests; an honest node never runs this code.
 *
 * - `sign-flip`: −scale × the honest update (scale 4): drags FedAvg the wrong way.
 * - `gaussian`: N(0, σ²) noise with σ = scale × the honest update's RMS: a "random" model.
 * - `nan`: the honest update with NaN entries (malformed; must be rejected, never aggregated).
 * - `wrong-shape`: a truncated vector (malformed).
 */
import type { Rng } from './rng.ts'

export type AttackKind = 'sign-flip' | 'gaussian' | 'nan' | 'wrong-shape'
export const ATTACKS: readonly AttackKind[] = ['sign-flip', 'gaussian', 'nan', 'wrong-shape']

export function byzantineUpdate (kind: AttackKind, honest: Float32Array, rng: Rng, scale = 4): Float32Array {
  switch (kind) {
    case 'sign-flip': return honest.map(v => -scale * v)
    case 'gaussian': {
      let s = 0
      for (const v of honest) s += v * v
      const rms = Math.sqrt(s / Math.max(1, honest.length))
      return honest.map(() => scale * 10 * rms * rng.normal())
    }
    case 'nan': {
      const out = Float32Array.from(honest)
      for (let i = 0; i < out.length; i += 97) out[i] = Number.NaN
      return out
    }
    case 'wrong-shape': return honest.slice(0, Math.max(1, honest.length >> 1))
  }
}
