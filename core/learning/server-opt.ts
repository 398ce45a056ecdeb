/**
 * The coordinator's step on the aggregated update Δ (the "server optimiser" of Reddi et al. 2021,
 * "Adaptive Federated Optimization"). The aggregate is treated as a pseudo-gradient pointing
 * downhill, and the global weights move along it:
 *
 *   sgd  (FedAvg / FedAvgM, Hsu et al. 2019):  v ← β·v + Δ;                       w ← w + η·v
 *   adam (FedAdam):  m ← β1·m + (1−β1)·Δ;  s ← β2·s + (1−β2)·Δ²;  w ← w + η·m / (√s + τ)
 *
 * with no bias correction (as in Reddi et al.). Plain FedAvg is sgd with β = 0, η = 1. Under DP the
 * noise is already in Δ, so either step is post-processing of the DP release.
 *
 * Warm-up: with `warmupRounds` W > 0, step t (1-based) uses η_t = η · min(1, t / W). Without bias
 * correction FedAdam's first steps are the largest it takes (m/√s starts at (1−β1)/√(1−β2) ≈ 5 per
 * coordinate with β1 = 0.5, β2 = 0.99, i.e. a sign step of 5η); a linear warm-up keeps those early
 * steps from throwing a convolutional model far off its initialisation.
 *
 * Decay: with `finalLearningRate` η_end and `decaySteps` D, η follows a cosine from η at step 1
 * to η_end at step D and stays there (multiplied by the warm-up factor when both are set).
 *
 * A pure state machine over flat Float32Arrays: the simulation and a live coordinator can share it.
 */
import { cosineDecay } from './model.ts'
import { LearningConfigError } from './errors.ts'

export type ServerOptimizerName = 'sgd' | 'adam'

export interface ServerOptimizerInit {
  /** @default 'sgd' */
  kind?: ServerOptimizerName
  /** Server learning rate η. @default 1 (sgd), 0.01 (adam) */
  learningRate?: number
  /** Momentum β (sgd) or β1 (adam). @default 0 (sgd), 0.9 (adam) */
  momentum?: number
  /** Adam's second-moment decay β2. @default 0.99 */
  beta2?: number
  /** Adam's adaptivity τ: larger = closer to momentum SGD on small coordinates. @default 1e-3 */
  tau?: number
  /** Linear warm-up of η over the first W steps (η_t = η · min(1, t / W)); 0 = none. @default 0 */
  warmupRounds?: number
  /**
   * Decay η by a cosine to `finalLearningRate` at step `decaySteps` (and keep it there): the
   * late rounds then move the model less, so the final round's accuracy does not depend on
   * which clients it happened to pick. Both or neither. @default no decay
   */
  finalLearningRate?: number
  decaySteps?: number
}

export interface ServerOptimizer {
  readonly kind: ServerOptimizerName
  readonly learningRate: number
  readonly momentum: number
  readonly warmupRounds: number
  /** Steps taken so far. */
  readonly steps: number
  /** The next global weights after applying `aggregate` to `global` (neither input is modified). */
  step: (global: Float32Array, aggregate: Float32Array) => Float32Array
}

export function createServerOptimizer (size: number, init: ServerOptimizerInit = {}): ServerOptimizer {
  const kind = init.kind ?? 'sgd'
  if (kind !== 'sgd' && kind !== 'adam') throw new LearningConfigError(`unknown server optimiser '${String(kind)}'`)
  const adam = kind === 'adam'
  const eta = init.learningRate ?? (adam ? 0.01 : 1)
  const beta = init.momentum ?? (adam ? 0.9 : 0)
  const beta2 = init.beta2 ?? 0.99
  const tau = init.tau ?? 1e-3
  const warmup = init.warmupRounds ?? 0
  if (!(eta > 0)) throw new LearningConfigError(`server learning rate must be > 0 (got ${eta})`)
  if (!(beta >= 0 && beta < 1)) throw new LearningConfigError(`server momentum must be in [0, 1) (got ${beta})`)
  if (!(beta2 >= 0 && beta2 < 1)) throw new LearningConfigError(`server beta2 must be in [0, 1) (got ${beta2})`)
  if (!(tau > 0)) throw new LearningConfigError(`server tau must be > 0 (got ${tau})`)
  if (!(Number.isInteger(warmup) && warmup >= 0)) throw new LearningConfigError(`server warm-up rounds must be an integer >= 0 (got ${warmup})`)
  const etaEnd = init.finalLearningRate
  const decaySteps = init.decaySteps
  if ((etaEnd == null) !== (decaySteps == null)) throw new LearningConfigError('server learning-rate decay needs both finalLearningRate and decaySteps')
  if (etaEnd != null && !(etaEnd > 0 && etaEnd <= eta)) throw new LearningConfigError(`server final learning rate must be in (0, ${eta}] (got ${etaEnd})`)
  if (decaySteps != null && !(Number.isInteger(decaySteps) && decaySteps >= 1)) throw new LearningConfigError(`server decay steps must be an integer >= 1 (got ${decaySteps})`)
  const first = new Float32Array(size)
  const second = adam ? new Float32Array(size) : null
  let steps = 0
  return {
    kind,
    learningRate: eta,
    momentum: beta,
    warmupRounds: warmup,
    get steps () { return steps },
    step (global, agg) {
      if (global.length !== size || agg.length !== size) throw new RangeError(`server step: expected ${size} values (got ${global.length}, ${agg.length})`)
      steps++
      const base = etaEnd != null && decaySteps != null ? cosineDecay(eta, etaEnd, Math.min(1, (steps - 1) / Math.max(1, decaySteps - 1))) : eta
      const lr = warmup > 0 ? base * Math.min(1, steps / warmup) : base
      const next = new Float32Array(size)
      if (second == null) {
        for (let i = 0; i < size; i++) { first[i] = beta * first[i] + agg[i]; next[i] = global[i] + lr * first[i] }
        return next
      }
      for (let i = 0; i < size; i++) {
        first[i] = beta * first[i] + (1 - beta) * agg[i]
        second[i] = beta2 * second[i] + (1 - beta2) * agg[i] * agg[i]
        next[i] = global[i] + lr * first[i] / (Math.sqrt(second[i]) + tau)
      }
      return next
    }
  }
}
