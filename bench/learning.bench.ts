/**
 * `npm run bench -- learning`: one seeded federated MNIST setup (20 clients, Dirichlet(0.5), MLP
 * 784-64-10, 20 rounds of 10 clients), run several ways side by side in one process. Every row
 * that is compared with another uses the ONE default configuration of core/learning/defaults.ts
 * (FedAdam η 0.03 β1 0.5 τ 1e-3; client SGD 0.1 → 0.02 cosine, E = 1, batch 32; the reported
 * model is the server's uniform average of its models of the last quarter of the rounds, and every
 * federated row also gives the raw model's final/best accuracy): centralised
 * training (same model, initial weights, learning-rate schedule and data passes; also with a
 * constant rate), random vs TCS-FEEL selection, each dense, compressed (`COMPRESSED_UPDATES`:
 * uplink top-10 % + 4-bit with error feedback, downlink dense 2-bit with per-client error
 * feedback) and with 20 % Byzantine clients (sign-flip ×4; `ROBUST_AGGREGATION`: median-norm
 * clipping + multi-Krum; multi-Krum without attackers and plain averaging under attack as the two
 * references). FedAvgM (η 1, β 0.5, the earlier default) gives one dense reference row and the
 * client-level DP rows (ε = 8, δ = 1e-5, C = 0.3; again with 200 clients). Also the small CNN
 * trained centrally to the 97% target, optionally the same CNN federated with the default
 * configuration, training steps/s per tfjs backend in Node (wasm, cpu) and in Chromium (webgpu,
 * wasm, cpu), and the product's own models against their baselines.
 * Reports final/best accuracy, rounds to 90%/95%, bytes and the ratio to dense float32 (the named
 * baseline), simulated round time, wall time per row and `os.loadavg()`, plus a `targets` block
 * that names the two rows each target compares. The JSON is rewritten after every federated row,
 * so a run cut short still leaves what it measured (`partial: true`).
 *
 * Flags: --rounds N (20) --clients N (20) --dp-clip C (0.3)
 *        --cnn-epochs N (3; 0 skips the centralised CNN) --dp-scale-clients N (200; 0 skips)
 *        --fed-cnn-rounds N (0: a federated CNN row vs the centralised CNN, slow)
 *        --skip-browser --skip-products --seed N (1; other seeds write learning-seed<N>.json)
 *        --only-cnn: only the centralised CNN and the federated CNN (--fed-cnn-rounds, 60 unless
 *        given), written to learning-cnn.json (learning-cnn-seed<N>.json) so learning.json stays;
 *        the federated CNN's accuracy per round (reported model and raw model, and other moving
 *        averages of the same raw models for comparison, `fedCnnAverageProbe`) is printed and
 *        saved after every round.
 */
import os from 'node:os'
import { bandwidthPredictor, COMPRESSED_UPDATES, compressionSelector, consensusLatency, createModelEma, createRng, emaStartRound, DEFAULT_TRAINING, initParams, peerReliability, ROBUST_AGGREGATION, runFederated, trainTestSplit, Trainer, type FederatedConfig, type FederatedHooks, type FederatedSummary, type ModelSpec, type ProductModelReport, type TrainOptions } from '../core/learning/index.ts'
import { setupNodeBackend } from '../node-runtime/learning/backend.ts'
import { loadMnist } from '../node-runtime/learning/mnist.ts'
import { launchChromium } from '../test/_support/chromium.ts'
import { buildAndServePages } from '../test/learning/_page.ts'
import type { TrainPayload, TrainResult } from '../test/learning/browser/entry.ts'
import { median, writeResult } from './_results.ts'
import { parseLearningBenchFlags } from './learning-flags.ts'

const flags = parseLearningBenchFlags(process.argv.slice(2))
const ROUNDS = flags.rounds
const CLIENTS = flags.clients
const SEED = flags.seed
/** Only the two CNN rows (centralised, federated), written to their own file. */
const ONLY_CNN = flags.onlyCnn
/** Seed 1 writes bench/results/learning.json (learning-cnn.json with --only-cnn); another seed appends -seed<N>. */
const RESULT_NAME = flags.resultName
const DP_CLIP = flags.dpClip
const CNN_EPOCHS = flags.cnnEpochs
const FED_CNN_ROUNDS = flags.fedCnnRounds
const DP_SCALE = flags.dpScaleClients
const model: ModelSpec = { kind: 'mlp', inputDim: 784, classes: 10, hidden: 64 }
const cnn: ModelSpec = { kind: 'cnn', inputDim: 784, classes: 10, filters: [16, 32] }
/** How the centralised CNN is trained: Adam, cosine decay, ±2-pixel seeded shifts, batch 32. */
const CNN_TRAIN: Omit<TrainOptions, 'epochs'> = { optimizer: 'adam', learningRate: 0.003, finalLearningRate: 0.0001, augmentShift: 2, batchSize: 32 }

const load0 = os.loadavg()
const tStart = Date.now()
await setupNodeBackend('wasm')
const all = await loadMnist()
const { train, test } = trainTestSplit(all, 0.2, createRng(SEED).fork('split'))
const perRound = Math.ceil(CLIENTS / 2)

const base: FederatedConfig = {
  model, clients: CLIENTS, rounds: ROUNDS, clientsPerRound: perRound, ...DEFAULT_TRAINING,
  partition: { kind: 'dirichlet', alpha: 0.5 }, selection: 'random', seed: SEED, targetAccuracy: 0.95
}
/** The server steps: the default configuration, and FedAvgM (the earlier default) for reference and DP. */
const servers: Record<'default' | 'fedavgm', Partial<FederatedConfig>> = {
  default: {},
  fedavgm: { serverOptimizer: 'sgd', serverLearningRate: 1, serverMomentum: 0.5, finalLearningRate: 0.1 }
}
const BYZ: Partial<FederatedConfig> = { byzantine: Math.round(CLIENTS * 0.2), attack: 'sign-flip' }
const variants: Record<string, Partial<FederatedConfig>> = {
  dense: {},
  compressed: COMPRESSED_UPDATES,
  byzantine: { ...BYZ, ...ROBUST_AGGREGATION },
  'multi-krum, no attack': ROBUST_AGGREGATION,
  'byzantine, plain averaging': { ...BYZ, aggregator: 'fedavg' },
  dp: { dp: { targetEpsilon: 8, delta: 1e-5, clipNorm: DP_CLIP } }
}
/**
 * [selection, server step, variant] of every federated row, in run order. Each variant is compared
 * with the dense row of the SAME selection and server step (the `targets` block names the pair).
 */
const plan: Array<['random' | 'tcs', 'default' | 'fedavgm', string]> = [
  ['random', 'default', 'dense'], ['tcs', 'default', 'dense'],
  ['random', 'default', 'compressed'], ['tcs', 'default', 'compressed'],
  ['random', 'default', 'byzantine'], ['tcs', 'default', 'byzantine'],
  ['random', 'default', 'multi-krum, no attack'], ['random', 'default', 'byzantine, plain averaging'],
  ['random', 'fedavgm', 'dense'], ['tcs', 'fedavgm', 'dense'],
  ['random', 'fedavgm', 'dp'], ['tcs', 'fedavgm', 'dp']
]

interface Row { name: string, model: string, finalAccuracy: number, bestAccuracy: number, rawFinalAccuracy: number | null, rawBestAccuracy: number | null, roundsTo90: number | null, roundsTo95: number | null, totalBytes: number, bytesVsDenseFedAvg: number, uplinkBytes: number, rootIngressBytes: number, simSecondsPerRound: number, epsilon: number | null, noiseMultiplier: number | null, rejected: number, wallSeconds: number }
const rows: Row[] = []
let denseBaseline = 0
const pct = (x: number): string => `${(x * 100).toFixed(2)}%`

function row (name: string, spec: ModelSpec, s: FederatedSummary, wall: number): Row {
  const raw = s.rounds.map(x => x.rawAccuracy).filter((x): x is number => x != null)
  const r: Row = {
    name,
    model: spec.kind,
    finalAccuracy: s.finalAccuracy,
    bestAccuracy: s.bestAccuracy,
    rawFinalAccuracy: raw.at(-1) ?? null,
    rawBestAccuracy: raw.length > 0 ? Math.max(...raw) : null,
    roundsTo90: s.rounds.find(x => x.accuracy >= 0.9)?.round ?? null,
    roundsTo95: s.roundsToTarget,
    totalBytes: s.totalBytes,
    bytesVsDenseFedAvg: denseBaseline > 0 ? s.totalBytes / denseBaseline : 1,
    uplinkBytes: s.rounds.reduce((a, x) => a + x.bytesUp, 0),
    rootIngressBytes: s.rounds.reduce((a, x) => a + x.bytesAtRoot, 0),
    simSecondsPerRound: s.simSeconds / Math.max(1, s.rounds.length),
    epsilon: s.epsilon,
    noiseMultiplier: s.noiseMultiplier,
    rejected: Object.values(s.rejected).reduce((a, b) => a + b, 0),
    wallSeconds: wall
  }
  console.log(`${name.padEnd(40)} acc ${pct(r.finalAccuracy)} (best ${pct(r.bestAccuracy)}${r.rawFinalAccuracy != null ? `; raw ${pct(r.rawFinalAccuracy)}, best ${pct(r.rawBestAccuracy ?? 0)}` : ''})  to90 ${r.roundsTo90 ?? '-'}  bytes ${(r.totalBytes / 1e6).toFixed(2)} MB (${(r.bytesVsDenseFedAvg * 100).toFixed(1)}%)  root in ${(r.rootIngressBytes / 1e6).toFixed(2)} MB  round ${r.simSecondsPerRound.toFixed(2)} s sim${r.epsilon != null ? `  ε ${r.epsilon.toFixed(2)} σ ${r.noiseMultiplier?.toFixed(2) ?? '-'}` : ''}  [${r.wallSeconds.toFixed(0)} s]`)
  return r
}

// centralised: same model and initial weights as the federation, all training data in one place
async function centralised (spec: ModelSpec, opts: TrainOptions, name: string): Promise<Row> {
  const t0 = Date.now()
  const trainer = new Trainer(spec, initParams(spec, createRng(SEED).fork('init')))
  let best = 0
  let acc = 0
  let to90: number | null = null
  let to95: number | null = null
  const perEpoch: number[] = []
  await trainer.train(train, {
    ...opts,
    onEpoch: async e => {
      acc = (await trainer.evaluate(test)).accuracy
      perEpoch.push(acc)
      best = Math.max(best, acc)
      if (to90 == null && acc >= 0.9) to90 = e
      if (to95 == null && acc >= 0.95) to95 = e
    }
  }, createRng(SEED).fork('central'))
  trainer.dispose()
  const r: Row = { name, model: spec.kind, finalAccuracy: acc, bestAccuracy: best, rawFinalAccuracy: null, rawBestAccuracy: null, roundsTo90: to90, roundsTo95: to95, totalBytes: 0, bytesVsDenseFedAvg: 0, uplinkBytes: 0, rootIngressBytes: 0, simSecondsPerRound: 0, epsilon: null, noiseMultiplier: null, rejected: 0, wallSeconds: (Date.now() - t0) / 1000 }
  console.log(`${name.padEnd(40)} acc ${pct(acc)} (best ${pct(best)})  per epoch ${perEpoch.map(pct).join(' ')}  [${r.wallSeconds.toFixed(0)} s]`)
  rows.push(r)
  return r
}
// ROUNDS · perRound · (mean client share) samples ≈ ROUNDS · perRound / CLIENTS epochs: the same data passes as FedAvg
const centralEpochs = Math.max(1, Math.round(ROUNDS * perRound / CLIENTS))
// like with like: the federation's client schedule (0.1 → 0.02 cosine) over the same passes; and the constant rate
const centralMlp = ONLY_CNN ? null : await centralised(model, { epochs: centralEpochs, batchSize: DEFAULT_TRAINING.batchSize, learningRate: DEFAULT_TRAINING.learningRate, finalLearningRate: DEFAULT_TRAINING.finalLearningRate }, `centralised MLP (${centralEpochs} epochs, SGD 0.1 → 0.02 cosine)`)
const centralMlpConst = ONLY_CNN ? null : await centralised(model, { epochs: centralEpochs, batchSize: 32, learningRate: 0.1 }, `centralised MLP (${centralEpochs} epochs, SGD 0.1 constant)`)
const centralCnn = CNN_EPOCHS > 0 ? await centralised(cnn, { ...CNN_TRAIN, epochs: CNN_EPOCHS }, `centralised CNN (${CNN_EPOCHS} epochs, Adam, shifts)`) : null

const fed: Record<string, Row> = {}
let fedCnn: Row | null = null
/** The federated CNN's test accuracy after each round so far (saved as the run goes). */
const fedCnnCurve: number[] = []
/** The same for the server's raw model (what the clients train from). */
const fedCnnRawCurve: number[] = []
/**
 * Other averages of the same raw CNN models, for comparison only (the default was chosen on the
 * MLP rows, bench/learning-ema-probe.ts): [β, start fraction]; each curve holds the rounds it averages.
 */
const CNN_AVERAGE_PROBE: Array<[number, number]> = [[0.5, 0.75], [0.8, 0.75], [1, 0.5]]
const fedCnnAverageProbe: Record<string, { decay: number, start: number, fromRound: number, accuracyByRound: number[] }> = {}
const products: ProductModelReport[] = []
const node: Record<string, number> = {}
const browser: Record<string, number | string> = {}
/** Writes bench/results/learning.json; called after every row so a cut-off run still leaves its rows. */
function save (partial: boolean): string {
  return writeResult(RESULT_NAME, {
    partial,
    setup: {
      rounds: ROUNDS, clients: CLIENTS, perRound, localEpochs: 1, clientLearningRate: 0.1, batch: 32, partition: 'dirichlet:0.5', model, cnn, cnnTraining: CNN_TRAIN,
      defaultConfiguration: { training: DEFAULT_TRAINING, robustAggregation: ROBUST_AGGREGATION, compressedUpdates: COMPRESSED_UPDATES, source: 'core/learning/defaults.ts' },
      servers, dpClip: DP_CLIP, dpScaleClients: DP_SCALE, fedCnnRounds: FED_CNN_ROUNDS, onlyCnn: ONLY_CNN, fedCnnClientAugmentShift: 2,
      robust: 'multi-Krum (f = 2 of 10, mean of the 8 best) after clipping to the median norm',
      seed: SEED, trainSamples: train.n, testSamples: test.n, baseline: 'dense float32 both ways, random selection (bytes do not depend on the server step)'
    },
    runs: rows,
    ...(FED_CNN_ROUNDS > 0 ? { fedCnnAccuracyByRound: fedCnnCurve, fedCnnRawAccuracyByRound: fedCnnRawCurve, fedCnnAverageProbe } : {}),
    targets: targets(),
    productModels: products,
    stepsPerSecond: { node, chromium: browser, note: 'Chromium webgpu here is SwiftShader (software); real GPU numbers need a GPU machine' },
    wallSeconds: (Date.now() - tStart) / 1000,
    loadavg: { start: load0, now: os.loadavg(), cpus: os.cpus().length }
  })
}
async function federated (key: string, name: string, cfg: FederatedConfig, hooks: FederatedHooks = {}): Promise<Row> {
  const t0 = Date.now()
  const s = await runFederated(cfg, { train, test }, hooks)
  if (key === 'random default dense') denseBaseline = s.totalBytes
  const r = row(name, cfg.model, s, (Date.now() - t0) / 1000)
  rows.push(r)
  fed[key] = r
  return r
}
for (const [selection, server, vname] of ONLY_CNN ? [] : plan) {
  await federated(`${selection} ${server} ${vname}`, `${selection === 'tcs' ? 'TCS-FEEL' : 'random'} ${server} ${vname}`, { ...base, ...servers[server], ...variants[vname], selection })
  save(true)
}
// DP at a scale where it is useful: 200 clients of ~40 digits, 100 per round (same data, same passes)
if (DP_SCALE > 0 && !ONLY_CNN) {
  const many = { ...base, ...servers.fedavgm, clients: DP_SCALE, clientsPerRound: DP_SCALE / 2 }
  await federated(`random fedavgm dense ${DP_SCALE}`, `random fedavgm dense, ${DP_SCALE} clients`, many)
  await federated(`random fedavgm dp ${DP_SCALE}`, `random fedavgm dp, ${DP_SCALE} clients`, { ...many, ...variants.dp })
}
save(true)

// steps/s per backend (batch 32), median of 3 timed blocks of 20 steps after a warm-up block
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
for (const b of ONLY_CNN ? [] : ['wasm', 'cpu'] as const) {
  await setupNodeBackend(b)
  node[b] = await stepsPerSecond()
  // the CNN only on wasm: on the pure-JS cpu backend it crawls, and nobody would train it there
  if (b === 'wasm') node[`${b} cnn`] = await stepsPerSecond(cnn)
  console.log(`node ${b}: ${node[b].toFixed(1)} steps/s${node[`${b} cnn`] != null ? ` (cnn ${node[`${b} cnn`].toFixed(1)})` : ''}`)
}
await setupNodeBackend('wasm')

// the product's own models on synthetic telemetry (documented sizes, scale 1), each vs its baseline
if (!flags.skipProducts && !ONLY_CNN) {
  const { initCoreWasm, compressFrame } = await import('../core-wasm/index.ts')
  await initCoreWasm()
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
}

if (!flags.skipBrowser && !ONLY_CNN) {
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

save(!(FED_CNN_ROUNDS > 0))
// last, as it is the slowest row: the CNN federated with the default configuration (+ the same ±2-pixel shifts as centrally)
if (FED_CNN_ROUNDS > 0) {
  const t0 = Date.now()
  const judge = new Trainer(cnn, initParams(cnn, createRng(0)))
  const probes = CNN_AVERAGE_PROBE.map(([decay, start]) => {
    const key = `β${decay} from ${start}`
    const fromRound = emaStartRound(start, FED_CNN_ROUNDS)
    fedCnnAverageProbe[key] = { decay, start, fromRound, accuracyByRound: [] }
    return { key, fromRound, ema: createModelEma(judge.size, decay) }
  })
  fedCnn = await federated('random default dense cnn', `random default dense CNN (${FED_CNN_ROUNDS} rounds)`, { ...base, model: cnn, rounds: FED_CNN_ROUNDS, augmentShift: 2 }, {
    onRound: async (r, { server }) => {
      fedCnnCurve.push(r.accuracy)
      fedCnnRawCurve.push(r.rawAccuracy ?? r.accuracy)
      const extra: string[] = []
      for (const p of probes) {
        if (r.round < p.fromRound) continue
        judge.setWeights(p.ema.update(server))
        const a = (await judge.evaluate(test)).accuracy
        fedCnnAverageProbe[p.key].accuracyByRound.push(a)
        extra.push(`${p.key} ${pct(a)}`)
      }
      console.log(`  federated CNN round ${r.round}/${FED_CNN_ROUNDS}: ${pct(r.accuracy)} (raw ${pct(r.rawAccuracy ?? r.accuracy)}${extra.length > 0 ? `; ${extra.join(', ')}` : ''})  [${((Date.now() - t0) / 1000).toFixed(0)} s, load ${os.loadavg()[0].toFixed(2)}]`)
      save(true)
    }
  })
  judge.dispose()
  save(false)
}

/** The issue's targets, computed from the rows so far (each names the rows it compares). */
function targets (): Record<string, unknown> {
  const acc = (k: string): number | null => fed[k]?.finalAccuracy ?? null
  const gap = (a: number | null, b: number | null): number | null => a == null || b == null ? null : Math.round((a - b) * 10000) / 100
  const out: Record<string, unknown> = {}
  if (centralCnn != null) out.centralisedCnnAtLeast97 = { model: 'cnn', accuracy: centralCnn.finalAccuracy, wallSeconds: centralCnn.wallSeconds, met: centralCnn.finalAccuracy >= 0.97 }
  const fr = acc('random default dense')
  const ft = acc('tcs default dense')
  if (fr != null && ft != null && centralMlp != null && centralMlpConst != null) {
    out.federatedWithin1p5OfCentralised = {
      model: 'mlp on both sides (same model, initial weights, client learning-rate schedule 0.1 → 0.02 cosine, and data passes); federated = the default configuration',
      centralised: centralMlp.finalAccuracy, random: fr, tcsFeel: ft,
      gapPointsRandom: gap(centralMlp.finalAccuracy, fr), gapPointsTcs: gap(centralMlp.finalAccuracy, ft),
      met: centralMlp.finalAccuracy - Math.min(fr, ft) <= 0.015,
      centralisedConstantLr: centralMlpConst.finalAccuracy,
      gapPointsVsConstantLr: { random: gap(centralMlpConst.finalAccuracy, fr), tcsFeel: gap(centralMlpConst.finalAccuracy, ft) }
    }
  }
  if (centralCnn != null && fedCnnCurve.length > 0) {
    // while the federated CNN runs: the last round reached so far (complete: false)
    const fin = fedCnn?.finalAccuracy ?? fedCnnCurve[fedCnnCurve.length - 1]
    out.federatedCnnVsCentralisedCnn = {
      model: 'cnn on both sides (filters 16/32, same initial weights, ±2-pixel shifts on both sides); centralised: Adam 0.003 → 0.0001 cosine, batch 32; federated: the default configuration (reported: the uniform average of the server models of the last quarter of the rounds; raw: the server model)',
      centralised: centralCnn.finalAccuracy, federated: fin, bestFederated: fedCnn?.bestAccuracy ?? Math.max(...fedCnnCurve),
      rawFederated: fedCnnRawCurve[fedCnnRawCurve.length - 1], bestRawFederated: Math.max(...fedCnnRawCurve),
      needed: Math.round((centralCnn.finalAccuracy - 0.015) * 10000) / 10000,
      rounds: FED_CNN_ROUNDS, roundsReached: fedCnnCurve.length, complete: fedCnn != null,
      gapPoints: gap(centralCnn.finalAccuracy, fin),
      met: fedCnn != null && centralCnn.finalAccuracy >= 0.97 && centralCnn.finalAccuracy - fin <= 0.015
    }
  }
  const pairs: Array<[string, string, string]> = [
    ['compressed90pctFewerBytesWithin1Point', 'default compressed', 'default dense'],
    ['byzantineWithin2Points', 'default byzantine', 'default dense'],
    ['byzantineVsMultiKrumWithoutAttack', 'default byzantine', 'default multi-krum, no attack'],
    ['dpNextToNoDp', 'fedavgm dp', 'fedavgm dense']
  ]
  for (const [name, v, ref] of pairs) {
    const bySel: Record<string, unknown> = {}
    for (const sel of ['random', 'tcs']) {
      const r = fed[`${sel} ${v}`]
      const d = fed[`${sel} ${ref}`]
      if (r == null || d == null) continue
      bySel[sel] = {
        row: r.name, reference: d.name, accuracy: r.finalAccuracy, referenceAccuracy: d.finalAccuracy, lossPoints: gap(d.finalAccuracy, r.finalAccuracy),
        bytesVsDenseFedAvg: r.bytesVsDenseFedAvg,
        ...(r.epsilon != null ? { epsilon: r.epsilon, noiseMultiplier: r.noiseMultiplier } : {}),
        ...(name.startsWith('compressed') ? { met: r.bytesVsDenseFedAvg <= 0.1 && d.finalAccuracy - r.finalAccuracy <= 0.01 } : {}),
        ...(name.startsWith('byzantine') ? { met: d.finalAccuracy - r.finalAccuracy <= 0.02 } : {})
      }
    }
    if (Object.keys(bySel).length > 0) out[name] = bySel
  }
  const plain = acc('random default byzantine, plain averaging')
  if (plain != null) out.plainAveragingUnderAttack = { row: 'random default byzantine, plain averaging', accuracy: plain, lossPoints: gap(acc('random default dense'), plain), collapsed: (acc('random default dense') ?? 0) - plain > 0.1 }
  if (fed[`random fedavgm dp ${DP_SCALE}`] != null) {
    out.dpAtScale = { clients: DP_SCALE, perRound: DP_SCALE / 2, withoutDp: acc(`random fedavgm dense ${DP_SCALE}`), withDp: acc(`random fedavgm dp ${DP_SCALE}`), epsilon: fed[`random fedavgm dp ${DP_SCALE}`].epsilon, noiseMultiplier: fed[`random fedavgm dp ${DP_SCALE}`].noiseMultiplier }
  }
  return out
}
console.log(JSON.stringify(targets(), null, 2))
console.log(`wrote ${save(false)}`)
