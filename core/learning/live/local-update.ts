/**
 * A learner's update for one round, as it goes on the wire: the delta of its trained weights from
 * the round's base, clipped under DP, sparsified to the task's top-k with error feedback (the
 * residual is carried to the next round), b-bit stochastically quantised and LZ4-framed by the
 * engine's codec. Under DP it claims 1 sample (DP-FedAvg weighs uniformly), else its row count.
 */
import { encodeUpdate, type Compressor } from '../codec.ts'
import { clipUpdate } from '../dp.ts'
import { topK, type ErrorFeedback } from '../quantize.ts'
import type { Rng } from '../rng.ts'
import type { LiveTaskConfig } from './task.ts'

export function encodeLocalUpdate (base: Float32Array, w: Float32Array, cfg: LiveTaskConfig, feedback: ErrorFeedback, opts: { round: number, samples: number, rng: Rng, compressor?: Compressor | undefined }): Uint8Array {
  const delta = new Float32Array(w.length)
  for (let i = 0; i < w.length; i++) delta[i] = w[i] - base[i]
  if (cfg.dp != null) clipUpdate(delta, cfg.dp.clip)
  const sparse = cfg.topK < 1
  const intended = sparse ? feedback.compensate(delta) : delta
  const values = sparse ? topK(intended, Math.max(1, Math.round(w.length * cfg.topK))) : intended
  const samples = cfg.dp != null ? 1 : opts.samples
  const enc = encodeUpdate({ round: opts.round, sender: 0, samples, clients: 1, values }, opts.rng.fork('quantize'), { bits: cfg.quantizeBits, compressor: opts.compressor })
  if (sparse) feedback.settle(intended, enc.delivered)
  return enc.bytes
}
