/**
 * `WorkerTrainer`: the `LiveTrainer` a tab's `LiveLearning` uses, training in live.worker.ts.
 * The worker holds the tab's two datasets; `train` and `evaluate` name which one by identity (the
 * service only ever passes the two it was given). The service's seeded `Rng` cannot cross to the
 * worker, so one uint32 is drawn from it and the worker trains with `createRng` of that: the same
 * seed still gives the same training order. Calls are answered in the order they were sent.
 */
import type { Dataset, Rng, TrainOptions } from '../../core/learning/index.ts'
import type { LiveTrainer } from '../../core/learning/live/index.ts'
import type { FromLiveWorker, LiveCall, ToLiveWorker } from './live-protocol.ts'

export class TrainerWorkerError extends Error {
  static override name = 'TrainerWorkerError'
  override name = 'TrainerWorkerError'
}

type Answer = Extract<FromLiveWorker, { type: 'result' }>

export class WorkerTrainer implements LiveTrainer {
  private nextId = 1
  private readonly pending = new Map<number, { resolve: (a: Answer) => void, reject: (e: Error) => void }>()

  constructor (readonly size: number, private readonly worker: Worker, private readonly data: { train: Dataset, test: Dataset }) {
    worker.addEventListener('message', (e: MessageEvent<FromLiveWorker>) => {
      const m = e.data
      if (m.type === 'backend') return
      const p = m.id != null ? this.pending.get(m.id) : undefined
      if (m.type === 'error' && p == null) { this.failAll(new TrainerWorkerError(m.message)); return }
      if (p == null || m.id == null) return
      this.pending.delete(m.id)
      if (m.type === 'error') p.reject(new TrainerWorkerError(m.message))
      else p.resolve(m)
    })
    worker.addEventListener('error', e => { this.failAll(new TrainerWorkerError(`the training worker failed: ${e.message}`)) })
  }

  private failAll (err: Error): void {
    for (const p of this.pending.values()) p.reject(err)
    this.pending.clear()
  }

  private post (m: ToLiveWorker, transfer: Transferable[] = []): void { this.worker.postMessage(m, transfer) }

  private async call (call: LiveCall): Promise<Answer> {
    const id = this.nextId++
    return await new Promise<Answer>((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      this.post({ type: 'call', id, call })
    })
  }

  private which (ds: Dataset): 'train' | 'test' {
    if (ds === this.data.train) return 'train'
    if (ds === this.data.test) return 'test'
    throw new TrainerWorkerError('the worker holds only the tab\'s own train and test sets')
  }

  setWeights (w: Float32Array): void { this.post({ type: 'setWeights', weights: w.slice() }) }

  async getWeights (): Promise<Float32Array> {
    const a = await this.call({ op: 'getWeights' })
    if (a.weights == null || a.weights.length !== this.size) throw new TrainerWorkerError('the worker answered without the weights')
    return a.weights
  }

  async train (ds: Dataset, opts: TrainOptions, rng: Rng): Promise<{ loss: number, steps: number }> {
    const a = await this.call({ op: 'train', which: this.which(ds), opts, seed: rng.int(2 ** 32) })
    return { loss: a.loss ?? NaN, steps: a.steps ?? 0 }
  }

  async evaluate (ds: Dataset): Promise<{ loss: number, accuracy: number }> {
    const a = await this.call({ op: 'evaluate', which: this.which(ds) })
    return { loss: a.loss ?? NaN, accuracy: a.accuracy ?? 0 }
  }

  dispose (): void {
    this.failAll(new TrainerWorkerError('stopped'))
    this.worker.terminate()
  }
}
