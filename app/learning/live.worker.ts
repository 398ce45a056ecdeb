/// <reference lib="webworker" />
/**
 * The tab's live-learning trainer (live-protocol.ts): picks the tfjs backend (webgpu when the
 * browser has an adapter, else wasm, webgl, cpu — backend.ts), holds the tab's data and one
 * `Trainer`, and runs the page's messages one after the other, so a `setWeights` always lands
 * before the `train` sent after it. Training here keeps the page responsive while a round runs.
 */
import { describeBackend, setupBrowserBackend } from './backend.ts'
import { createRng, Trainer, type Dataset } from '../../core/learning/index.ts'
import type { FromLiveWorker, LiveCall, ToLiveWorker } from './live-protocol.ts'

const post = (m: FromLiveWorker, transfer: Transferable[] = []): void => { postMessage(m, transfer) }
const message = (err: unknown): string => err instanceof Error ? err.message : String(err)

const backend = setupBrowserBackend()
backend.then(b => { post({ type: 'backend', backend: b.backend, text: describeBackend(b) }) }, err => { post({ type: 'error', message: `no tfjs backend: ${message(err)}` }) })

let trainer: Trainer | undefined
const data: { train?: Dataset, test?: Dataset } = {}

function dataset (which: 'train' | 'test'): Dataset {
  const ds = data[which]
  if (ds == null) throw new Error(`no ${which} data yet`)
  return ds
}

function ready (): Trainer {
  if (trainer == null) throw new Error('trainer not initialised')
  return trainer
}

async function run (call: LiveCall, id: number): Promise<void> {
  const t = ready()
  if (call.op === 'getWeights') {
    const weights = await t.getWeights()
    post({ type: 'result', id, weights }, [weights.buffer])
  } else if (call.op === 'train') {
    const r = await t.train(dataset(call.which), call.opts, createRng(call.seed))
    post({ type: 'result', id, loss: r.loss, steps: r.steps })
  } else {
    const m = await t.evaluate(dataset(call.which))
    post({ type: 'result', id, loss: m.loss, accuracy: m.accuracy })
  }
}

async function handle (m: ToLiveWorker): Promise<void> {
  if (m.type === 'data') { data.train = m.train; data.test = m.test; return }
  await backend
  if (m.type === 'init') { trainer?.dispose(); trainer = new Trainer(m.spec, m.weights); return }
  if (m.type === 'setWeights') { ready().setWeights(m.weights); return }
  try { await run(m.call, m.id) } catch (err) { post({ type: 'error', id: m.id, message: message(err) }) }
}

let queue: Promise<void> = Promise.resolve()
addEventListener('message', (e: MessageEvent<ToLiveWorker>) => {
  queue = queue.then(async () => { await handle(e.data) }).catch(err => { post({ type: 'error', message: message(err) }) })
})
