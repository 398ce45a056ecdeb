/**
 * Test-only page: exposes `window.__learning.train(backend, payload)`, which trains the engine's
 * MLP for a few SGD steps on the given digits with the given initial weights on the requested
 * tfjs backend and returns the resulting weights, so the test can compare backends.
 */
import { setupBrowserBackend } from '../../../app/learning/backend.ts'
import { createRng, Trainer, type BackendName } from '../../../core/learning/index.ts'

export interface TrainPayload { x: number[], y: number[], n: number, init: number[], hidden: number, steps: number, batchSize: number, seed: number }
export interface TrainResult { backend: string, adapter?: string, weights: number[], loss: number, steps: number, ms: number }

async function train (backend: BackendName, p: TrainPayload): Promise<TrainResult> {
  const choice = await setupBrowserBackend(backend)
  const trainer = new Trainer({ kind: 'mlp', inputDim: 784, classes: 10, hidden: p.hidden }, Float32Array.from(p.init))
  try {
    const t0 = performance.now()
    const r = await trainer.train({ x: Float32Array.from(p.x), y: Uint8Array.from(p.y), n: p.n, dim: 784, classes: 10 }, { epochs: 1, batchSize: p.batchSize, learningRate: 0.1, maxSteps: p.steps }, createRng(p.seed))
    const weights = Array.from(await trainer.getWeights())
    return { backend: choice.backend, adapter: choice.adapter, weights, loss: r.loss, steps: r.steps, ms: performance.now() - t0 }
  } finally {
    trainer.dispose()
  }
}

declare global {
  interface Window { __learning?: { train: typeof train } }
}
window.__learning = { train }
const status = document.getElementById('status')
if (status != null) status.textContent = 'ready'
