/**
 * Rényi-DP accountant for the (Poisson-)subsampled Gaussian mechanism, the accountant of DP-SGD and
 * DP-FedAvg. For integer orders α ≥ 2 the RDP of one step with sampling rate q and noise multiplier
 * σ is (Mironov, Talwar, Zhang 2019, "Rényi Differential Privacy of the Sampled Gaussian Mechanism",
 * Sec. 3.3):
 *
 *   ε_α = log A_α / (α − 1),   A_α = Σ_{k=0..α} C(α,k) (1−q)^(α−k) q^k exp((k² − k) / (2σ²))
 *
 * which for q = 1 reduces to α / (2σ²) (Mironov 2017). RDP composes additively over steps, and is
 * converted to (ε, δ)-DP with ε = min_α [ T·ε_α + log(1/δ) / (α − 1) ] (Mironov 2017, Prop. 3).
 * Only integer orders are used (2..256), which can only over-estimate ε slightly compared with
 * accountants that also scan fractional orders; the tests pin the published TF-Privacy values to
 * within a few percent.
 */
import { LearningConfigError } from './errors.ts'

export const DEFAULT_ORDERS: readonly number[] = [...Array.from({ length: 63 }, (_, i) => i + 2), 72, 80, 96, 112, 128, 160, 192, 256]

function logAdd (a: number, b: number): number {
  if (a === -Infinity) return b
  if (b === -Infinity) return a
  const m = Math.max(a, b)
  return m + Math.log1p(Math.exp(Math.min(a, b) - m))
}

function logBinomial (n: number, k: number): number {
  let s = 0
  for (let i = 1; i <= k; i++) s += Math.log(n - k + i) - Math.log(i)
  return s
}

/** RDP ε_α of ONE step of the sampled Gaussian mechanism at integer order α. */
export function rdpSampledGaussian (q: number, sigma: number, alpha: number): number {
  if (!(q >= 0 && q <= 1)) throw new LearningConfigError(`sampling rate must be in [0, 1] (got ${q})`)
  if (!(sigma > 0)) throw new LearningConfigError(`noise multiplier must be > 0 (got ${sigma})`)
  if (!Number.isInteger(alpha) || alpha < 2) throw new LearningConfigError(`order must be an integer >= 2 (got ${alpha})`)
  if (q === 0) return 0
  if (q === 1) return alpha / (2 * sigma * sigma)
  let logA = -Infinity
  for (let k = 0; k <= alpha; k++) {
    const term = logBinomial(alpha, k) + (alpha - k) * Math.log1p(-q) + k * Math.log(q) + (k * k - k) / (2 * sigma * sigma)
    logA = logAdd(logA, term)
  }
  return logA / (alpha - 1)
}

/** (ε, best order) for `steps` compositions at δ. */
export function epsilonFor (q: number, sigma: number, steps: number, delta: number, orders: readonly number[] = DEFAULT_ORDERS): { epsilon: number, order: number } {
  if (!(delta > 0 && delta < 1)) throw new LearningConfigError(`delta must be in (0, 1) (got ${delta})`)
  let best = { epsilon: Infinity, order: orders[0] }
  for (const a of orders) {
    const eps = steps * rdpSampledGaussian(q, sigma, a) + Math.log(1 / delta) / (a - 1)
    if (eps < best.epsilon) best = { epsilon: eps, order: a }
  }
  return best
}

/**
 * The smallest noise multiplier σ (to 1e-3 relative) for which `steps` steps at rate q stay within
 * `targetEpsilon` at δ; bisection on the monotone map σ -> ε.
 */
export function noiseForEpsilon (q: number, steps: number, targetEpsilon: number, delta: number): number {
  if (!(targetEpsilon > 0)) throw new LearningConfigError(`target epsilon must be > 0 (got ${targetEpsilon})`)
  let lo = 0.05
  let hi = 1
  while (epsilonFor(q, hi, steps, delta).epsilon > targetEpsilon) {
    hi *= 2
    if (hi > 1e4) throw new LearningConfigError(`no noise multiplier reaches epsilon ${targetEpsilon}`)
  }
  while ((hi - lo) / hi > 1e-3) {
    const mid = (lo + hi) / 2
    if (epsilonFor(q, mid, steps, delta).epsilon > targetEpsilon) lo = mid
    else hi = mid
  }
  return hi
}

/**
 * Running account: records each round's (q, σ) and reports the spent ε at δ. Heterogeneous rounds
 * compose by summing RDP per order.
 */
export class RdpAccountant {
  private readonly rdp: Float64Array
  private steps = 0
  constructor (readonly delta: number, readonly orders: readonly number[] = DEFAULT_ORDERS) {
    if (!(delta > 0 && delta < 1)) throw new LearningConfigError(`delta must be in (0, 1) (got ${delta})`)
    this.rdp = new Float64Array(orders.length)
  }

  step (q: number, sigma: number, count = 1): void {
    this.orders.forEach((a, i) => { this.rdp[i] += count * rdpSampledGaussian(q, sigma, a) })
    this.steps += count
  }

  get stepCount (): number { return this.steps }

  epsilon (): number {
    if (this.steps === 0) return 0
    let best = Infinity
    this.orders.forEach((a, i) => { best = Math.min(best, this.rdp[i] + Math.log(1 / this.delta) / (a - 1)) })
    return best
  }
}
