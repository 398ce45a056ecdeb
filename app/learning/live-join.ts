/**
 * A tab joins federated training on the live mesh: core/learning/live's `LiveLearning` over the
 * tab's MeshNode and ledger, training in a Web Worker (live.worker.ts through live-trainer.ts) on
 * the tab's own data (tab-data.ts: a sample of the bundled digits, a shard of all of them as
 * `novacron learn --data mnist --shard i/n` takes it, or a CSV / LEAF file the user picked), the
 * digits fetched from the page's own server (mnist.ts). The task is `novacron learn`'s
 * (LIVE_TASK_DEFAULTS) with the panel's hidden units, seed, deadline and minimum updates and the
 * data's input size and classes, so a tab and Node peers started with the same values are learners
 * of one task.
 */
import { createRng, initParams, type BackendName } from '../../core/learning/index.ts'
import { loadLz4Compressor } from '../../core/learning/compression.ts'
import { LiveLearning, type LiveTaskConfig } from '../../core/learning/live/index.ts'
import { learningMesh } from '../../core/learning/live/mesh-adapter.ts'
import { registerLiveLearningMetrics } from '../../core/learning/live/metrics.ts'
import { LIVE_TASK_DEFAULTS } from '../../core/learning/live/task.ts'
import type { MeshNode } from '../../core/net/index.ts'
import type { LearningIdentity } from '../../core/learning/live/identity.ts'
import type { LedgerApi } from '../../core/ledger/types.ts'
import type { FromLiveWorker, ToLiveWorker } from './live-protocol.ts'
import { WorkerTrainer } from './live-trainer.ts'
import { fetchMnistSlice } from './mnist.ts'
import { tabDataset, type TabData } from './tab-data.ts'

export interface JoinSettings {
  hidden: number
  seed: number
  deadlineMs: number
  minUpdates: number
  /** no round starts before this many learners joined */
  minLearners: number
  /** the task's length */
  rounds: number
  /** MNIST digits of each label this tab holds with the `sample` data @default 60 */
  perLabel?: number
  /** what this tab trains on @default { kind: 'sample', perLabel } */
  data?: TabData
}

export interface TabLearner {
  learning: LiveLearning
  backend: string
  backendText: string
  trainSamples: number
  testSamples: number
  /** what the tab trains on, in words */
  dataName: string
  stop: () => Promise<void>
}

export function liveTaskFor (s: Pick<JoinSettings, 'hidden' | 'seed' | 'deadlineMs' | 'minUpdates'>, shape: { inputDim: number, classes: number } = { inputDim: 784, classes: 10 }): LiveTaskConfig {
  const { hidden: _h, ...d } = LIVE_TASK_DEFAULTS
  return { ...d, model: { kind: 'mlp', inputDim: shape.inputDim, classes: shape.classes, hidden: s.hidden }, seed: s.seed, deadlineMs: s.deadlineMs, minUpdates: s.minUpdates }
}

async function startWorker (): Promise<{ worker: Worker, backend: string, text: string }> {
  const worker = new Worker(new URL('./live.worker.ts', import.meta.url), { type: 'module', name: 'novacron-live-learning' })
  return await new Promise((resolve, reject) => {
    const on = (e: MessageEvent<FromLiveWorker>): void => {
      if (e.data.type === 'backend') { worker.removeEventListener('message', on); resolve({ worker, backend: e.data.backend as BackendName, text: e.data.text }) }
      if (e.data.type === 'error') { worker.terminate(); reject(new Error(e.data.message)) }
    }
    worker.addEventListener('message', on)
    worker.addEventListener('error', e => { reject(new Error(`the training worker did not start: ${e.message}`)) }, { once: true })
  })
}

export async function joinMeshTraining (ctx: { mesh: MeshNode, ledger: LedgerApi, identity: LearningIdentity }, s: JoinSettings, onLoading?: (loaded: number) => void): Promise<TabLearner> {
  const data: TabData = s.data ?? { kind: 'sample', perLabel: s.perLabel ?? 60 }
  // the bundled digits: all 1000 of each label for a shard, the first perLabel for a sample
  const digits = data.kind === 'file' ? undefined : await fetchMnistSlice(data.kind === 'sample' ? data.perLabel : 1000, onLoading)
  const { train, test, name } = tabDataset(data, s.seed, ctx.mesh.peerId.toString(), () => digits as NonNullable<typeof digits>)
  const task = liveTaskFor(s, { inputDim: train.dim, classes: Math.max(train.classes, test.classes) })
  const { worker, backend, text } = await startWorker()
  const initial = initParams(task.model, createRng(task.seed).fork('init'))
  worker.postMessage({ type: 'data', train, test } satisfies ToLiveWorker)
  worker.postMessage({ type: 'init', spec: task.model, weights: initial } satisfies ToLiveWorker)
  const trainer = new WorkerTrainer(initial.length, worker, { train, test })
  const lz = await loadLz4Compressor()
  const learning = new LiveLearning({ task, train, test, rounds: s.rounds, minLearners: s.minLearners }, {
    mesh: learningMesh(ctx.mesh),
    ledger: { submit: async (e, o) => await ctx.ledger.submit(e, o), log: async (from, limit, index) => await ctx.ledger.log(from, limit, index) },
    trainer,
    identity: ctx.identity,
    ...(lz.compressor != null ? { compressor: lz.compressor } : {}),
    log: m => { console.info(`learning: ${m}`) }
  })
  registerLiveLearningMetrics(ctx.mesh.metrics, learning) // the Health panel
  await learning.start()
  let stopping: Promise<void> | undefined
  return {
    learning, backend, backendText: text, trainSamples: train.n, testSamples: test.n, dataName: name,
    stop: async () => {
      stopping ??= (async () => { await learning.stop(); trainer.dispose() })()
      await stopping
    }
  }
}
