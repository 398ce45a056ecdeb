/**
 * The one documented default configuration of a federated run: what `novacron fl-sim` uses when
 * no flag says otherwise, and what every row of `npm run bench -- learning` that is compared with
 * another row uses (bench/results/learning.json, docs/learning.md "Measured").
 *
 * - Server step: FedAdam (Reddi et al. 2021) with η = 0.03, β1 = 0.5, β2 = 0.99, τ = 1e-3, no
 *   warm-up. It recovers the progress that averaging short local runs on non-IID data loses.
 * - Reported model: the uniform average (SWA-style tail average, model-ema.ts with β = 1) of the
 *   server's models of the last quarter of the rounds (`serverEmaStart` 0.75: rounds ⌊0.75·T⌋+1..T).
 *   The clients keep training from the raw server model. FedAdam's sign-like steps keep the raw
 *   model swinging by ±0.5–1 point between late rounds (the federated CNN); the average does not
 *   swing and, unlike a decaying server rate, does not shrink the steps. Chosen on the MLP rows of
 *   seeds 1 and 2 (bench/learning-ema-probe.ts): decays from round 1 lag the still-rising MLP.
 * - Clients: SGD, E = 1 local epoch, batch 32, learning rate 0.1 decayed by a cosine over the
 *   rounds to 0.02 (small late steps: less client drift, and a final model that does not depend
 *   on which clients the last round happened to pick).
 * - Aggregation: the sample-weighted mean (FedAvg) when every client is trusted; with Byzantine
 *   clients expected, `ROBUST_AGGREGATION`: every update scaled to the round's median norm, then
 *   multi-Krum (f = ⌈0.2 · n⌉ capped by Krum's n > 2f + 2 bound, mean of the n − f best).
 * - Compression, when asked for (`COMPRESSED_UPDATES`): uplink top-10 % with error feedback and
 *   4-bit stochastic quantisation, downlink the dense 2-bit difference to each client's copy
 *   (per-client error feedback). FedAdam moves every coordinate each round, so a top-k downlink
 *   lags; a dense low-bit one does not.
 *
 * These are plain objects, spread into a `FederatedConfig`; `runFederated`'s own field defaults
 * (plain FedAvg, constant learning rate) are unchanged, so explicit configs keep their meaning.
 */
import type { FederatedConfig } from './federated.ts'

/** Server step and client schedule of the default configuration. */
export const DEFAULT_TRAINING = {
  serverOptimizer: 'adam',
  serverLearningRate: 0.03,
  serverMomentum: 0.5,
  serverTau: 1e-3,
  serverWarmupRounds: 0,
  serverEmaDecay: 1,
  serverEmaStart: 0.75,
  localEpochs: 1,
  batchSize: 32,
  learningRate: 0.1,
  finalLearningRate: 0.02,
  aggregator: 'fedavg'
} as const satisfies Partial<FederatedConfig>

/** The aggregation of the default configuration when Byzantine clients are expected. */
export const ROBUST_AGGREGATION = {
  aggregator: 'multi-krum',
  trimFraction: 0.2,
  clipToMedianNorm: true
} as const satisfies Partial<FederatedConfig>

/** The update compression of the default configuration (about 5–8 % of dense float32 bytes). */
export const COMPRESSED_UPDATES = {
  quantizeBits: 4,
  topK: 0.1,
  downlink: { bits: 2, topK: 1 }
} as const satisfies Partial<FederatedConfig>
