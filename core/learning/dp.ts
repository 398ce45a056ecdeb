/**
 * Client-level differential privacy as in DP-FedAvg (McMahan et al. 2018, "Learning Differentially
 * Private Recurrent Language Models"): each client clips its model delta to L2 norm ≤ C before it
 * leaves the device; the coordinator adds N(0, (σ·C/m)²) per coordinate to the mean of the m
 * clipped deltas (the mean's sensitivity to adding/removing one client is C/m). σ is chosen with
 * the RDP accountant so that the planned rounds stay within the target ε at δ, with the round's
 * sampling rate q = (largest per-client selection probability) — exact for uniform sampling and
 * conservative for TCS-FEEL's non-uniform sampling.
 *
 * Scope of the guarantee (stated, not hidden): the accounting is exact for FedAvg over clipped
 * deltas. With median / trimmed-mean / Krum the same clipping and noise are applied, but those
 * aggregators' sensitivity is not analysed here, so the reported ε is labelled as FedAvg-equivalent.
 */
import { l2norm } from './validate.ts'
import type { Rng } from './rng.ts'

/** Scales `update` in place so that its L2 norm is at most `clip`; returns the factor applied. */
export function clipUpdate (update: Float32Array, clip: number): number {
  if (!(clip > 0)) throw new RangeError(`clip norm must be > 0 (got ${clip})`)
  const n = l2norm(update)
  if (n <= clip) return 1
  const s = clip / n
  for (let i = 0; i < update.length; i++) update[i] *= s
  return s
}

/** Adds N(0, std²) to every coordinate in place. */
export function addGaussianNoise (v: Float32Array, std: number, rng: Rng): void {
  if (!(std >= 0)) throw new RangeError(`noise std must be >= 0 (got ${std})`)
  if (std === 0) return
  for (let i = 0; i < v.length; i++) v[i] += std * rng.normal()
}

export interface DpConfig {
  /** Target ε at `delta` for the whole planned run. */
  targetEpsilon: number
  /** @default 1e-5 */
  delta?: number
  /** Per-client L2 clip norm C of the model delta. @default 1 */
  clipNorm?: number
  /** Fixed σ instead of calibrating it to the planned rounds (the budget may then run out early). */
  noiseMultiplier?: number
  /** What to do when the next round would exceed the target. @default 'stop' */
  onExhausted?: 'stop' | 'warn'
}
