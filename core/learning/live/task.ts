/**
 * A live training task: the settings every learner of it must share (they change the committed
 * models), and its id — the first 16 hex digits of the SHA-256 of their canonical JSON. Peers
 * started with other settings have another task id and ignore this task's entries and messages.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import type { AggregatorName } from '../aggregate.ts'
import type { ModelSpec } from '../model.ts'
import type { DpRecord } from './entries.ts'
import type { ServerAdam } from './aggregate-round.ts'

export interface LiveTaskConfig {
  model: ModelSpec
  /** seeds the initial weights, the local training order and the DP noise */
  seed: number
  /** @default 1 */
  localEpochs: number
  /** @default 32 */
  batchSize: number
  /** client SGD learning rate (constant) @default 0.1 */
  learningRate: number
  rule: AggregatorName
  clipMedian: boolean
  /** @default 0.2 */
  trimFraction: number
  /** uplink quantisation bits, 0 = float32 */
  quantizeBits: number
  /** uplink top-k fraction with error feedback, 1 = dense */
  topK: number
  /** client-level DP: every update clipped to `clip`, noise σ·clip/m added to the aggregate */
  dp: DpRecord | null
  /** peers selected per round, 0 = every linked learner */
  perRound: number
  /** a round commits only with at least this many admitted updates */
  minUpdates: number
  /** how long a coordinator waits for updates after starting a round, ms */
  deadlineMs: number
  /** FedAdam server step (aggregate-round.ts); null or absent = FedAvg @default null */
  serverOpt?: ServerAdam | null
  /**
   * downlink quantisation bits: the committed model of round r is model(r−1) + the round's
   * aggregated delta quantised to b bits (aggregate-round.ts step 4), and a peer holding model(r−1)
   * fetches only that delta; 0 or absent = the exact model, fetched whole @default 0
   */
  downBits?: number
  /**
   * error feedback on the quantised downlink: each round adds back what the last one's
   * quantisation dropped, committed by hash (carry.ts); ignored without `downBits` @default false
   */
  downFeedback?: boolean
  /**
   * local SGD steps the learners of a round train together, about: each trains at most ⌈N / k⌉
   * steps, k the participants of the head's round (step-budget.ts); 0 or absent = every learner its
   * full `localEpochs` @default 0
   */
  stepBudget?: number
}

export function taskId (cfg: LiveTaskConfig): string {
  const canonical = JSON.stringify({
    model: { kind: cfg.model.kind, inputDim: cfg.model.inputDim, classes: cfg.model.classes, hidden: cfg.model.hidden ?? null, filters: cfg.model.filters ?? null },
    seed: cfg.seed, localEpochs: cfg.localEpochs, batchSize: cfg.batchSize, learningRate: cfg.learningRate, rule: cfg.rule,
    clipMedian: cfg.clipMedian, trimFraction: cfg.trimFraction, quantizeBits: cfg.quantizeBits, topK: cfg.topK, dp: cfg.dp,
    perRound: cfg.perRound, minUpdates: cfg.minUpdates, deadlineMs: cfg.deadlineMs,
    // only when set, so FedAvg tasks keep the ids they had
    ...(cfg.serverOpt != null ? { serverOpt: { learningRate: cfg.serverOpt.learningRate, beta1: cfg.serverOpt.beta1, beta2: cfg.serverOpt.beta2, tau: cfg.serverOpt.tau } } : {}),
    ...((cfg.downBits ?? 0) > 0 ? { downBits: cfg.downBits } : {}),
    ...((cfg.downBits ?? 0) > 0 && cfg.downFeedback === true ? { downFeedback: true } : {}),
    ...((cfg.stepBudget ?? 0) > 0 ? { stepBudget: cfg.stepBudget } : {})
  })
  return bytesToHex(sha256(new TextEncoder().encode(canonical))).slice(0, 16)
}

/**
 * `novacron learn`'s defaults for the task-defining options (its `--help`): a tab that joins with
 * the Learning panel's defaults forms one task with Node peers started with theirs, on MNIST.
 */
export const LIVE_TASK_DEFAULTS = {
  hidden: 64, seed: 1, localEpochs: 1, batchSize: 32, learningRate: 0.1, rule: 'fedavg', clipMedian: false, trimFraction: 0.2,
  quantizeBits: 8, topK: 1, dp: null, perRound: 0, minUpdates: 2, deadlineMs: 30_000, downBits: 8, downFeedback: false
} as const satisfies Omit<LiveTaskConfig, 'model'> & { hidden: number }
