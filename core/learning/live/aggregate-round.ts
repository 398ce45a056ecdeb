/**
 * One live round's aggregation, deterministic so that any peer holding the round's updates
 * recomputes the committed hash (`recomputeRound`):
 *
 *   1. each update body is decoded with the engine's codec and validated (relay.ts `admit`: size,
 *      finiteness, norm bound; under DP projected onto the clip ball) — a rejected one is counted by
 *      reason and left out;
 *   2. the admitted updates are ordered by sender peer id (string order), optionally scaled to their
 *      median norm, and aggregated by the engine's rule (`aggregate`: FedAvg weighted by samples,
 *      or median / trimmed mean / Krum / multi-Krum); under DP with FedAvg the weights are uniform
 *      over a fixed denominator m (DP-FedAvg, sensitivity C/m) and Gaussian noise σ·C/m is added,
 *      drawn from `createRng(seed).fork('noise:<round>:<base hash>')`;
 *   3. the new model is `base + aggregate` in float32 (each sum rounded to float32 once); with the
 *      FedAdam server step (`serverOpt`), the round also carries the server state S = m ‖ s
 *      (2 × size float32, zeros before round 1, committed by its SHA-256 as `state`) and
 *        m' = β1·m + (1−β1)·Δ,  s' = β2·s + (1−β2)·Δ²,  w' = w + η·m' / (√s' + τ)
 *      each value rounded to float32 once, in index order (server-opt.ts's rule, no bias
 *      correction): any peer holding S and the round's updates recomputes both hashes;
 *   4. with a quantised downlink (`downBits` b > 0, the task's `--down-quantize`) the committed
 *      model is not that exact w' but **model(r) = model(r−1) + dequantised(delta(r))**, where
 *      delta(r) is the engine's update encoding (codec.ts: b-bit stochastic quantisation in
 *      chunks of 256, LZ4-framed when a compressor is given) of w' − model(r−1) (float32), its
 *      rounding drawn from `createRng(seed).fork('down:<round>:<base hash>')`. The dequantised
 *      values depend only on the encoded levels, chunk minima and steps, so a peer holding
 *      model(r−1) that receives the delta body rebuilds model(r) bit for bit (each sum rounded to
 *      float32 once) and checks it against the committed hash (delta.ts). The FedAdam state stays
 *      the exact m' ‖ s'; what the quantisation drops is not carried over (no error feedback:
 *      it would be more server state for every verifier to fetch).
 *
 * The arithmetic is IEEE double on the decoded float32 values with float32 results, in a fixed
 * order; V8 (every Node and Chromium peer) gives bit-identical results. The hash is weights.ts's.
 */
import { aggregate, clipToMedianNorm, type AggregatorName } from '../aggregate.ts'
import { encodeUpdate, maxRawBodyLength, type Compressor } from '../codec.ts'
import { addGaussianNoise } from '../dp.ts'
import { admit, type HopContext } from '../relay.ts'
import { createRng, type Rng } from '../rng.ts'
import { emptyRejections, type RejectionCounts } from '../validate.ts'
import type { DpRecord } from './entries.ts'
import { weightsHash } from './weights.ts'
import { carryOf, withCarry } from './carry.ts'

export interface RoundRule {
  rule: AggregatorName
  clipMedian: boolean
  /** trimmed mean's cut / Krum's assumed Byzantine share @default 0.2 */
  trimFraction?: number
  dp: DpRecord | null
  /** updates with a larger L2 norm are rejected @default Infinity, or 3 × the clip norm under DP */
  maxNorm?: number
  /** the task's seed (the DP noise stream) */
  seed: number
  /** FedAdam server step; null or absent = FedAvg (w' = w + Δ) */
  serverOpt?: ServerAdam | null
  /** quantised downlink: the committed model is base + the b-bit delta (step 4 above); 0 or absent = the exact model */
  downBits?: number
  /** error feedback on the quantised downlink (carry.ts); ignored without `downBits` @default false */
  downFeedback?: boolean
}

/** What a round produces: the committed weights, the server state, and (quantised downlink) the delta body peers fetch. */
export interface RoundOutcome {
  weights: Float32Array
  state: Float32Array | null
  delta: Uint8Array | null
  /** the residual this round carries to the next (`downFeedback`), and the body that rebuilds it from zeros */
  carry: { values: Float32Array, body: Uint8Array } | null
}

/** The server state before round 1 (FedAdam's m ‖ s, zeros), or null without a server optimiser. */
export function initialServerState (rule: RoundRule, size: number): Float32Array | null {
  return rule.serverOpt != null ? new Float32Array(2 * size) : null
}

/** FedAdam as the live server step (Reddi et al. 2021), part of the task. */
export interface ServerAdam { learningRate: number, beta1: number, beta2: number, tau: number }

export interface AdmittedUpdate { peer: string, samples: number, values: Float32Array }

/** Largest claimed sample count honoured by FedAvg's weights (a peer cannot outweigh all others by claiming more). */
export const MAX_SAMPLES = 1_000_000

/** Decodes and validates one update body; null (and a counted reason) when it is rejected. */
export function admitUpdate (peer: string, body: Uint8Array, size: number, rule: RoundRule, rejected: RejectionCounts, compressor?: Compressor): AdmittedUpdate | null {
  const clip = rule.dp?.clip
  const ctx: HopContext = {
    round: 0, size, bits: 0, maxNorm: rule.maxNorm ?? (clip != null ? 3 * clip : Infinity), compressor, rng: createRng(0),
    rejected, maxBytes: maxRawBodyLength(size) + 64, ...(clip != null ? { clipNorm: clip } : {})
  }
  const msg = admit(body, ctx)
  if (msg == null) return null
  return { peer, samples: Math.min(Math.max(1, msg.samples), MAX_SAMPLES), values: msg.values }
}

/**
 * The new model (and server state, with `serverOpt`) from `base`, the server state of the base
 * (`state`, 2 × size; null without `serverOpt`) and the admitted updates (any order: they are
 * sorted here), and with `downFeedback` the residual the last round carried (`carryIn`, null = none).
 */
export function aggregateRound (base: Float32Array, admitted: readonly AdmittedUpdate[], rule: RoundRule, round: number, baseHash: string, state: Float32Array | null = null, compressor?: Compressor, carryIn: Float32Array | null = null): RoundOutcome {
  const exact = exactRound(base, admitted, rule, round, baseHash, state)
  const bits = rule.downBits ?? 0
  if (bits <= 0) return { ...exact, delta: null, carry: null }
  const feedback = rule.downFeedback === true
  const target = feedback && carryIn != null ? withCarry(exact.weights, carryIn) : exact.weights
  const step = quantisedStep(base, target, bits, createRng(rule.seed).fork(`down:${round}:${baseHash}`), round, compressor)
  const carry = feedback ? carryOf(target, step.weights, createRng(rule.seed).fork(`carry:${round}:${baseHash}`), round, compressor) : null
  return { ...step, state: exact.state, carry }
}

/**
 * model(r) = base + dequantised(Q_b(exact − base)) (step 4 above): the encoded delta and the
 * weights any holder of `base` rebuilds from it (delta.ts `applyDelta` gives the same bits).
 */
export function quantisedStep (base: Float32Array, exact: Float32Array, bits: number, rng: Rng, round: number, compressor?: Compressor): { weights: Float32Array, delta: Uint8Array } {
  const diff = new Float32Array(base.length)
  for (let i = 0; i < diff.length; i++) diff[i] = exact[i] - base[i]
  const enc = encodeUpdate({ round, sender: 0, samples: 0, clients: 0, values: diff }, rng, { bits, compressor })
  const weights = new Float32Array(base.length)
  for (let i = 0; i < weights.length; i++) weights[i] = base[i] + enc.delivered[i]
  return { weights, delta: enc.bytes }
}

function exactRound (base: Float32Array, admitted: readonly AdmittedUpdate[], rule: RoundRule, round: number, baseHash: string, state: Float32Array | null): { weights: Float32Array, state: Float32Array | null } {
  if (admitted.length === 0) throw new RangeError('aggregateRound: no updates')
  const sorted = [...admitted].sort((a, b) => (a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0))
  const values = rule.clipMedian ? clipToMedianNorm(sorted.map(a => a.values)) : sorted.map(a => a.values)
  const m = sorted.length
  let agg: Float32Array
  if (rule.dp != null && rule.rule === 'fedavg') {
    agg = new Float32Array(base.length)
    for (const v of values) for (let i = 0; i < agg.length; i++) agg[i] += v[i] / m
  } else {
    agg = aggregate(rule.rule, values, sorted.map(a => a.samples), { trimFraction: rule.trimFraction })
  }
  if (rule.dp != null && rule.dp.sigma > 0) addGaussianNoise(agg, rule.dp.sigma * rule.dp.clip / m, createRng(rule.seed).fork(`noise:${round}:${baseHash}`))
  const next = new Float32Array(base.length)
  const opt = rule.serverOpt
  if (opt == null) {
    for (let i = 0; i < next.length; i++) next[i] = base[i] + agg[i]
    return { weights: next, state: null }
  }
  const n = base.length
  if (state == null || state.length !== 2 * n) throw new RangeError(`aggregateRound: FedAdam needs the base's server state of ${2 * n} values`)
  const out = new Float32Array(2 * n)
  for (let i = 0; i < n; i++) {
    out[i] = opt.beta1 * state[i] + (1 - opt.beta1) * agg[i]
    out[n + i] = opt.beta2 * state[n + i] + (1 - opt.beta2) * agg[i] * agg[i]
    const m = out[i]
    const s = out[n + i]
    // m and s are read back as stored (float32), so a recomputation from the committed state agrees
    next[i] = base[i] + opt.learningRate * m / (Math.sqrt(s) + opt.tau)
  }
  return { weights: next, state: out }
}

/**
 * Recomputes a committed round from its base weights and the update bodies of its participants:
 * the hash of what `aggregateRound` gives, and what was rejected (a committed round's updates
 * should all be admitted).
 */
export function recomputeRound (base: Float32Array, bodies: ReadonlyArray<{ peer: string, body: Uint8Array }>, rule: RoundRule, round: number, baseHash: string, compressor?: Compressor, state: Float32Array | null = initialServerState(rule, base.length), carryIn: Float32Array | null = null): { hash: string, weights: Float32Array, state: Float32Array | null, stateHash: string | null, carryHash: string | null, rejected: RejectionCounts } {
  const rejected = emptyRejections()
  const admitted = bodies.map(b => admitUpdate(b.peer, b.body, base.length, rule, rejected, compressor)).filter((a): a is AdmittedUpdate => a != null)
  const next = aggregateRound(base, admitted, rule, round, baseHash, state, compressor, carryIn)
  return { hash: weightsHash(next.weights), weights: next.weights, state: next.state, stateHash: next.state != null ? weightsHash(next.state) : null, carryHash: next.carry != null ? weightsHash(next.carry.values) : null, rejected }
}
