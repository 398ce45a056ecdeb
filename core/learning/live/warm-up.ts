/**
 * A learner's warm-up (for one `LiveLearning`, service.ts): a few throw-away local rounds on its
 * own data as soon as it starts, before round 1 — so that round 2 is not the round that pays for
 * a cold trainer.
 *
 * Measured (bench/live-learning, 8 peers; docs/learning.md "Round-time tail" and "Round 2's
 * size"): round 2 was the largest or second largest commit gap in nearly every run (1.4–5.3 s
 * against a p50 of 0.5–1.2 s), and not because of its size — with no learner killed, the same 8
 * trainers took 5.0 s in round 2, 1.8 s in round 3 and a median of 1.08 s in rounds 4–20; a step
 * budget (fewer steps in round 2) did not shorten it. Its last learner's training took 1.2–2.0 s
 * against 0.4–0.6 s later. A fresh Node process's training calls of one epoch (500 rows, batch 32,
 * MLP 784-32-10, wasm backend; two fresh processes at load ~5) took 56 and 199 ms for the first,
 * 38–233 ms for the second to fifth and 19–43 ms from the sixth on: V8 tiers the JavaScript (tfjs's ops, the update codec)
 * and the wasm kernels up only once they ran often, and the backend's heap grows on first use. A
 * learner trained exactly once (round 1) before round 2, so round 2's training ran on cold code
 * in every process at once.
 *
 * The rule: `WARM_UP_ROUNDS` local rounds as a round runs them — the task's initial weights set,
 * `localEpochs` of training with the task's batch size and rate (and step cap), the weights read
 * back, the update encoded (a throw-away error feedback: the real one is untouched), the model
 * evaluated on the held-out rows — on the trainer queue (one training at a time), then the initial
 * weights restored. It changes nothing a round computes: every round sets its base first, the
 * optimiser is created afresh per training (model.ts), and its randomness is its own stream
 * (`fork('warm-up')`), so a task's committed hashes are the same with or without it
 * (warm-up.test.ts). A `start` that comes while it runs waits for it (the trainer queue): round 1
 * only, which no commit gap measures, and round 1's coordinator waits for its links meanwhile
 * (`startupLinkMs`, up to 10 s at 8 peers).
 */
import type { Dataset } from '../data.ts'
import { ErrorFeedback } from '../quantize.ts'
import { createRng } from '../rng.ts'
import type { Compressor } from '../codec.ts'
import { encodeLocalUpdate } from './local-update.ts'
import type { LiveTrainer } from './ports.ts'
import type { LiveTaskConfig } from './task.ts'

/** throw-away local rounds a learner runs when it starts (`LiveLearningInit.warmUpRounds`) */
export const WARM_UP_ROUNDS = 4

export interface WarmUpRecord {
  /** local rounds run, and training steps in all */
  rounds: number
  steps: number
  /** how long each round's training took, in order (ms): the last near a warm round's */
  trainMs: number[]
  /** the whole warm-up, evaluation and encoding included (ms) */
  totalMs: number
}

export interface WarmUpDeps {
  cfg: LiveTaskConfig
  train: Dataset
  test: Dataset
  /** the task's initial weights: set before each throw-away round and restored after */
  initial: Float32Array
  compressor?: Compressor | undefined
  /** training hands the event loop back this often (participant.ts TRAIN_YIELD_MS) */
  yieldMs: number
  /** the step cap a round of this peer would have now (step-budget.ts), if any */
  maxSteps?: number | undefined
  now: () => number
  /** false once the learner stops: the warm-up ends after the round under way */
  running: () => boolean
}

/** Runs `rounds` throw-away local rounds on `trainer` (the caller holds the trainer queue), then restores the initial weights. */
export async function warmUp (trainer: LiveTrainer, d: WarmUpDeps, rounds = WARM_UP_ROUNDS): Promise<WarmUpRecord> {
  const began = d.now()
  const rng = createRng(d.cfg.seed).fork('warm-up')
  const record: WarmUpRecord = { rounds: 0, steps: 0, trainMs: [], totalMs: 0 }
  const feedback = new ErrorFeedback()
  try {
    for (let r = 0; r < rounds && d.running(); r++) {
      const stream = rng.fork(`round:${r}`)
      trainer.setWeights(d.initial)
      const t0 = d.now()
      const { steps } = await trainer.train(d.train, { epochs: d.cfg.localEpochs, batchSize: d.cfg.batchSize, learningRate: d.cfg.learningRate, yieldMs: d.yieldMs, ...(d.maxSteps != null ? { maxSteps: d.maxSteps } : {}) }, stream.fork('train'))
      record.trainMs.push(Math.round(d.now() - t0))
      record.steps += steps
      const w = await trainer.getWeights()
      encodeLocalUpdate(d.initial, w, d.cfg, feedback, { round: r + 1, samples: d.train.n, rng: stream, compressor: d.compressor })
      await trainer.evaluate(d.test)
      record.rounds++
    }
  } finally {
    trainer.setWeights(d.initial)
    record.totalMs = Math.round(d.now() - began)
  }
  return record
}
