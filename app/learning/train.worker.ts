/// <reference lib="webworker" />
/**
 * The learning panel's trainer, in a Web Worker so the page never freezes (50 rounds × 20 clients
 * held the main thread for 7 s). It picks its tfjs backend (webgpu works in workers too, else
 * wasm/SIMD, webgl, cpu), loads the MNIST slice from the page's server, and runs the same seeded
 * federation as `novacron fl-sim`, posting each round as it finishes (train-protocol.ts).
 */
import { describeBackend, setupBrowserBackend } from './backend.ts'
import { fetchMnistSlice } from './mnist.ts'
import { createRng, runFederated, trainTestSplit, type RoundResult } from '../../core/learning/index.ts'
import type { FromWorker, ToWorker, TrainSettings } from './train-protocol.ts'

const post = (m: FromWorker): void => { postMessage(m) }
const message = (err: unknown): string => err instanceof Error ? err.message : String(err)

const backend = setupBrowserBackend()
backend.then(b => { post({ type: 'backend', backend: b.backend, text: describeBackend(b) }) }, err => { post({ type: 'error', message: `no tfjs backend: ${message(err)}` }) })

async function train (s: TrainSettings): Promise<void> {
  await backend
  const all = await fetchMnistSlice(60, loaded => { post({ type: 'loading', loaded }) })
  const { train: tr, test } = trainTestSplit(all, 0.25, createRng(1))
  const onRound = (r: RoundResult): void => { post({ type: 'round', point: { round: r.round, accuracy: r.accuracy, loss: r.loss, bytes: r.bytesUp + r.bytesDown } }) }
  const summary = await runFederated({
    model: { kind: 'mlp', inputDim: 784, classes: 10, hidden: 32 },
    clients: s.clients, rounds: s.rounds, clientsPerRound: Math.ceil(s.clients / 2), localEpochs: 2, learningRate: 0.2,
    partition: { kind: 'dirichlet', alpha: 1 }, selection: s.selection, aggregator: 'fedavg',
    quantizeBits: s.bits, topK: s.bits > 0 ? 0.25 : 1, seed: 1
  }, { train: tr, test }, { onRound })
  post({ type: 'done', finalAccuracy: summary.finalAccuracy, rounds: summary.rounds.length, totalBytes: summary.totalBytes, bytesRatio: summary.bytesRatio })
}

addEventListener('message', (e: MessageEvent<ToWorker>) => {
  if (e.data?.type !== 'start') return
  train(e.data.settings).catch(err => { post({ type: 'error', message: message(err) }) })
})
