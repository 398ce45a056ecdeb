/**
 * `npm run bench -- learning`: one seeded federated MNIST setup, run several ways side by side:
 * centralised training (same model, same total epochs of data), FedAvg with random selection, and
 * TCS-FEEL selection — each dense, compressed (uplink 8-bit + top-5% with error feedback, downlink
 * 8-bit + top-10%), with DP (ε = 8, δ = 1e-5) and with 20% Byzantine clients (multi-Krum after
 * clipping to the median norm; trimmed mean likewise, and plain FedAvg as the collapsing reference). Reports final/best accuracy, rounds to 90%/95%, bytes and
 * the ratio to dense float32 FedAvg (random selection, the named baseline), simulated round time,
 * training steps/s per tfjs backend in Node (wasm, cpu) and in Chromium (webgpu, wasm, cpu), and
 * the product's own models (core/learning/product-models.ts) against their baselines.
 *
 * Every federated run uses the same server optimiser (FedAvgM, server momentum 0.5 by default: it
 * costs clients nothing and recovers the progress plain averaging of one local epoch loses on
 * non-IID data); the robust runs clip updates to the round's median norm before the robust rule.
 *
 * Flags: --rounds N (default 20) --clients N (20) --server-momentum B (0.5)
 *        --cnn-epochs N (0: centralised small CNN on wasm for N epochs, a slow extra row) --skip-browser
 */
import { bandwidthPredictor, compressionSelector, consensusLatency, createRng, initParams, peerReliability, runFederated, trainTestSplit, Trainer, type FederatedConfig, type FederatedSummary, type ModelSpec, type ProductModelReport } from '../core/learning/index.ts'
import { setupNodeBackend } from '../node-runtime/learning/backend.ts'
import { loadMnist } from '../node-runtime/learning/mnist.ts'
import { launchChromium } from '../test/_support/chromium.ts'
import { buildAndServePages } from '../test/learning/_page.ts'
import type { TrainPayload, TrainResult } from '../test/learning/browser/entry.ts'
import { median, writeResult } from './_results.ts'

const args = process.argv.slice(2)
const flag = (name: string, def: number): number => { const i = args.indexOf(`--${name}`); return i >= 0 ? Number(args[i + 1]) : def }
const ROUNDS = flag('rounds', 20)
const CLIENTS = flag('clients', 20)
const SEED = 1
const MOMENTUM = flag('server-momentum', 0.5)
const CNN_EPOCHS = flag('cnn-epochs', 0)
const model: ModelSpec = { kind: 'mlp', inputDim: 784, classes: 10, hidden: 64 }
const cnn: ModelSpec = { kind: 'cnn', inputDim: 784, classes: 10 }

await setupNodeBackend('wasm')
const all = await loadMnist()
const { train, test } = trainTestSplit(all, 0.2, createRng(SEED).fork('split'))
const perRound = Math.ceil(CLIENTS / 2)

const base: FederatedConfig = {
  model, clients: CLIENTS, rounds: ROUNDS, clientsPerRound: perRound, localEpochs: 1, learningRate: 0.1,
  partition: { kind: 'dirichlet', alpha: 0.5 }, selection: 'random', aggregator: 'fedavg', seed: SEED, targetAccuracy: 0.95,
  serverMomentum: MOMENTUM
}
const variants: Record<string, Partial<FederatedConfig>> = {
  dense: {},
  compressed: { quantizeBits: 8, topK: 0.05, downlink: { bits: 8, topK: 0.1 } },
  dp: { dp: { targetEpsilon: 8, delta: 1e-5, clipNorm: 1 } },
  byzantine: { byzantine: Math.round(CLIENTS * 0.2), attack: 'sign-flip', aggregator: 'multi-krum', trimFraction: 0.2, clipToMedianNorm: true }
}

interface Row { name: string, finalAccuracy: number, bestAccuracy: number, roundsTo90: number | null, roundsTo95: number | null, totalBytes: number, bytesVsDenseFedAvg: number, uplinkBytes: number, rootIngressBytes: number, simSecondsPerRound: number, epsilon: number | null, rejected: number, wallSeconds: number }
const rows: Row[] = []
let denseBaseline = 0

function row (name: string, s: FederatedSummary, wall: number): Row {
  const r: Row = {
    name,
    finalAccuracy: s.finalAccuracy,
    bestAccuracy: s.bestAccuracy,
    roundsTo90: s.rounds.find(x => x.accuracy >= 0.9)?.round ?? null,
    roundsTo95: s.roundsToTarget,
    totalBytes: s.totalBytes,
    bytesVsDenseFedAvg: denseBaseline > 0 ? s.totalBytes / denseBaseline : 1,
    uplinkBytes: s.rounds.reduce((a, x) => a + x.bytesUp, 0),
    rootIngressBytes: s.rounds.reduce((a, x) => a + x.bytesAtRoot, 0),
    simSecondsPerRound: s.simSeconds / Math.max(1, s.rounds.length),
    epsilon: s.epsilon,
    rejected: Object.values(s.rejected).reduce((a, b) => a + b, 0),
    wallSeconds: wall
  }
  console.log(`${name.padEnd(28)} acc ${(r.finalAccuracy * 100).toFixed(2)}% (best ${(r.bestAccuracy * 100).toFixed(2)}%)  to90 ${r.roundsTo90 ?? '-'}  bytes ${(r.totalBytes / 1e6).toFixed(2)} MB (${(r.bytesVsDenseFedAvg * 100).toFixed(1)}%)  root in ${(r.rootIngressBytes / 1e6).toFixed(2)} MB  round ${r.simSecondsPerRound.toFixed(2)} s sim${r.epsilon != null ? `  ε ${r.epsilon.toFixed(2)}` : ''}  [${r.wallSeconds.toFixed(0)} s]`)
  return r
}

// centralised: same model and initial weights (and, with --cnn-epochs, the small CNN on wasm)
async function centralised (spec: ModelSpec, epochs: number, name: string): Promise<void> {
  const t0 = Date.now()
  const trainer = new Trainer(spec, initParams(spec, createRng(SEED).fork('init')))
  const rng = createRng(SEED).fork('central')
  let best = 0
  let acc = 0
  let to90: number | null = null
  let to95: number | null = null
  for (let e = 1; e <= epochs; e++) {
    await trainer.train(train, { epochs: 1, batchSize: 32, learningRate: 0.1 }, rng)
    acc = (await trainer.evaluate(test)).accuracy
    best = Math.max(best, acc)
    if (to90 == null && acc >= 0.9) to90 = e
    if (to95 == null && acc >= 0.95) to95 = e
  }
  trainer.dispose()
  const r: Row = { name, finalAccuracy: acc, bestAccuracy: best, roundsTo90: to90, roundsTo95: to95, totalBytes: 0, bytesVsDenseFedAvg: 0, uplinkBytes: 0, rootIngressBytes: 0, simSecondsPerRound: 0, epsilon: null, rejected: 0, wallSeconds: (Date.now() - t0) / 1000 }
  console.log(`${r.name.padEnd(28)} acc ${(acc * 100).toFixed(2)}% (best ${(best * 100).toFixed(2)}%)  epochs to 90%: ${to90 ?? '-'}  to 95%: ${to95 ?? '-'}  [${r.wallSeconds.toFixed(0)} s]`)
  rows.push(r)
}
// ROUNDS * perRound * (mean client share) samples ≈ ROUNDS * perRound / CLIENTS epochs: the same data passes as FedAvg
const centralEpochs = Math.max(1, Math.round(ROUNDS * perRound / CLIENTS))
await centralised(model, centralEpochs, `centralised (${centralEpochs} epochs)`)
if (CNN_EPOCHS > 0) await centralised(cnn, CNN_EPOCHS, `centralised CNN, wasm (${CNN_EPOCHS} epochs)`)

for (const selection of ['random', 'tcs'] as const) {
  for (const [vname, v] of Object.entries(variants)) {
    const t0 = Date.now()
    const s = await runFederated({ ...base, ...v, selection }, { train, test })
    if (selection === 'random' && vname === 'dense') denseBaseline = s.totalBytes
    rows.push(row(`${selection === 'tcs' ? 'TCS-FEEL' : 'FedAvg random'} ${vname}`, s, (Date.now() - t0) / 1000))
  }
}
{
  const t0 = Date.now()
  const s = await runFederated({ ...base, ...variants.byzantine, aggregator: 'trimmed-mean' }, { train, test })
  rows.push(row('FedAvg random byzantine, trimmed mean', s, (Date.now() - t0) / 1000))
}
{
  const t0 = Date.now()
  const s = await runFederated({ ...base, ...variants.byzantine, aggregator: 'fedavg', clipToMedianNorm: false }, { train, test })
  rows.push(row('FedAvg random byzantine, plain averaging', s, (Date.now() - t0) / 1000))
}

// steps/s per backend (MLP, batch 32), median of 3 timed blocks of 20 steps after a warm-up block
async function stepsPerSecond (spec: ModelSpec = model): Promise<number> {
  const trainer = new Trainer(spec, initParams(spec, createRng(7)))
  const rng = createRng(8)
  const rates: number[] = []
  for (let k = 0; k < 4; k++) {
    const t0 = performance.now()
    const r = await trainer.train(train, { epochs: 1, batchSize: 32, maxSteps: 20 }, rng)
    if (k > 0) rates.push(r.steps / ((performance.now() - t0) / 1000))
  }
  trainer.dispose()
  return median(rates)
}
const node: Record<string, number> = {}
for (const b of ['wasm', 'cpu'] as const) {
  await setupNodeBackend(b)
  node[b] = await stepsPerSecond()
  node[`${b} cnn`] = await stepsPerSecond(cnn)
  console.log(`node ${b}: ${node[b].toFixed(1)} steps/s (cnn ${node[`${b} cnn`].toFixed(1)})`)
}

// the product's own models on synthetic telemetry (documented sizes, scale 1), each vs its baseline
await setupNodeBackend('wasm')
const { initCoreWasm, compressFrame } = await import('../core-wasm/index.ts')
await initCoreWasm()
const products: ProductModelReport[] = []
for (const make of [
  async () => await bandwidthPredictor({ seed: SEED }),
  async () => await compressionSelector({ seed: SEED, compress: (d, level) => compressFrame(d, { level }) }),
  async () => await peerReliability({ seed: SEED }),
  async () => await consensusLatency({ seed: SEED })
]) {
  const r = await make()
  products.push(r)
  console.log(`${r.name.padEnd(22)} ${r.metric}: model ${r.model.toFixed(4)}  ${Object.entries(r.baselines).map(([k, v]) => `${k} ${v.toFixed(4)}`).join('  ')}`)
}

const browser: Record<string, number | string> = {}
if (!args.includes('--skip-browser')) {
  const pages = await buildAndServePages()
  const chromium = await launchChromium({ webgpu: true })
  try {
    const page = await chromium.newPage()
    await page.goto(pages.url)
    await page.waitForFunction(() => window.__learning != null)
    const slice = { x: Array.from(train.x.subarray(0, 640 * 784)), y: Array.from(train.y.subarray(0, 640)), n: 640 }
    for (const b of ['webgpu', 'wasm', 'cpu'] as const) {
      const payload: TrainPayload = { ...slice, init: Array.from(initParams(model, createRng(7))), hidden: model.hidden ?? 64, steps: 20, batchSize: 32, seed: 8 }
      try {
        await page.evaluate(async ([bk, p]) => await window.__learning!.train(bk, { ...p, steps: 3 }), [b, payload] as const) // warm-up
        const rates: number[] = []
        for (let k = 0; k < 3; k++) {
          const r: TrainResult = await page.evaluate(async ([bk, p]) => await window.__learning!.train(bk, p), [b, payload] as const)
          rates.push(r.steps / (r.ms / 1000))
        }
        browser[b] = median(rates)
        console.log(`chromium ${b}: ${median(rates).toFixed(1)} steps/s`)
      } catch (err) {
        browser[b] = `failed: ${(err as Error).message}`
      }
    }
  } finally {
    await chromium.close()
    await pages.close()
  }
}

const file = writeResult('learning', {
  setup: { rounds: ROUNDS, clients: CLIENTS, perRound, partition: 'dirichlet:0.5', model, serverMomentum: MOMENTUM, robust: 'multi-Krum (f = 2 of 10, mean of the 8 best) after clipping to the median norm; trimmed mean β = 0.2 likewise', seed: SEED, trainSamples: train.n, testSamples: test.n, baseline: 'FedAvg random dense (float32 both ways)' },
  runs: rows,
  productModels: products,
  stepsPerSecond: { node, chromium: browser, note: 'Chromium webgpu here is SwiftShader (software); real GPU numbers need a GPU machine' }
})
console.log(`wrote ${file}`)
