/**
 * Server-side moving average of the global model (Polyak–Ruppert averaging of the server's
 * iterates; in its exponential form the "EMA weights" of centralised training, at β = 1 the
 * uniform tail average of SWA). The server optimiser keeps stepping its raw model exactly as
 * before and the clients keep training from that raw model; the average is only what is evaluated
 * and returned. An adaptive server step (FedAdam) moves every coordinate by about η each round, so
 * late in training the raw model jumps between nearby points of a basin; their average sits
 * nearer its middle.
 *
 *   ê_t = Σ_{k ≤ t} β^{t−k}·w_k / Σ_{k ≤ t} β^{t−k}
 *
 * i.e. the EMA e_t = β·e_{t−1} + (1 − β)·w_t (e_0 = 0) with Adam's bias correction e_t / (1 − β^t):
 * ê_1 = w_1, so the first averaged round is not pulled towards zero. Kept as the weighted sum and
 * its weight (both multiplied by 1/(1 − β)), which stays defined at β = 1. β = 0 is off: ê_t = w_t.
 * Averaging the released models is post-processing, so under DP it costs no privacy.
 */
import { LearningConfigError } from './errors.ts'

export interface ModelEma {
  /** β in [0, 1]: 0 = off (the latest model), 1 = the uniform mean of every model folded in. */
  readonly decay: number
  /** Models folded in so far. */
  readonly steps: number
  /** Folds in the server's new model `w_t` and returns ê_t (a fresh array; `w` is not modified). */
  update: (w: Float32Array) => Float32Array
}

/**
 * The first round (1-based) folded into an average that starts after the fraction `start` in
 * [0, 1) of `rounds`: ⌊start·rounds⌋ + 1 (rounds before it report the raw model).
 */
export function emaStartRound (start: number, rounds: number): number {
  if (!(start >= 0 && start < 1)) throw new LearningConfigError(`serverEmaStart must be in [0, 1) (got ${start})`)
  return Math.floor(start * rounds) + 1
}

export function createModelEma (size: number, decay: number): ModelEma {
  if (!(decay >= 0 && decay <= 1)) throw new LearningConfigError(`server EMA decay must be in [0, 1] (got ${decay})`)
  // float64: the weighted sum must not lose the small late models to rounding over many rounds
  const sum = new Float64Array(size)
  let weight = 0 // Σ β^{t−k}
  let steps = 0
  return {
    decay,
    get steps () { return steps },
    update (w) {
      if (w.length !== size) throw new RangeError(`model EMA: expected ${size} values (got ${w.length})`)
      steps++
      weight = decay * weight + 1
      const out = new Float32Array(size)
      for (let i = 0; i < size; i++) {
        sum[i] = decay * sum[i] + w[i]
        out[i] = sum[i] / weight
      }
      return out
    }
  }
}
