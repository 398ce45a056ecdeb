/**
 * Messages between the tab's live-learning trainer proxy (live-trainer.ts, on the page) and the
 * worker that trains (live.worker.ts). The worker holds the tab's data and one tfjs `Trainer`; the
 * page sends `data` and `init` once, then `setWeights` and numbered `call`s, which the worker runs
 * strictly in order and answers with a `result` (or an `error`) carrying the same id.
 */
import type { Dataset, ModelSpec, TrainOptions } from '../../core/learning/index.ts'

export type LiveCall =
  | { op: 'getWeights' }
  | { op: 'train', which: 'train' | 'test', opts: TrainOptions, seed: number }
  | { op: 'evaluate', which: 'train' | 'test' }

export type ToLiveWorker =
  | { type: 'data', train: Dataset, test: Dataset }
  | { type: 'init', spec: ModelSpec, weights: Float32Array }
  | { type: 'setWeights', weights: Float32Array }
  | { type: 'call', id: number, call: LiveCall }

export type FromLiveWorker =
  | { type: 'backend', backend: string, text: string }
  | { type: 'result', id: number, weights?: Float32Array, loss?: number, steps?: number, accuracy?: number }
  | { type: 'error', id?: number, message: string }
