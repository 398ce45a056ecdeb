/**
 * The product's own models, trained federatedly (FedAvg over per-peer shards, the same rule the
 * MNIST engine uses) on the seeded synthetic telemetry of `telemetry.ts`, each scored on held-out
 * data next to a simple baseline:
 *
 * | model | input | target | metric | baselines |
 * | bandwidth predictor (GRU) | last 12 s of [log throughput, RTT] | next throughput | MAE Mbit/s | last value, moving average (5) |
 * | compression selector (MLP) | size, byte entropy, zero share, log bandwidth, CPU factor | none / lz4 / lz4-hc | accuracy | majority class |
 * | peer reliability (MLP) | device class, hidden tab, uptime, stability, history, RTT | stays ≥ 30 min | accuracy | majority class |
 * | consensus latency (MLP) | committee size, quorum, mean RTT, spread, load | log latency | MAE ms | training mean, 3 × mean RTT |
 *
 * Held-out data never shares a link/peer/run with training data.
 */
import * as tf from '@tensorflow/tfjs'
import { createRng, shuffle } from './rng.ts'
import { byteEntropy, consensusRuns, linkTraces, payloadSamples, peerSessions } from './telemetry.ts'

export interface ProductModelReport {
  name: string
  metric: string
  /** The trained model's held-out score. */
  model: number
  baselines: Record<string, number>
  /** True when the model beats every baseline (lower is better for MAE, higher for accuracy). */
  beatsBaselines: boolean
  trainSamples: number
  testSamples: number
}

interface Shard { x: tf.Tensor, y: tf.Tensor, n: number }

/** FedAvg over layers models: each shard trains `epochs` from the global weights; sample-weighted mean. */
export async function federatedFit (model: tf.LayersModel, shards: Shard[], rounds: number, epochs: number, batchSize: number): Promise<void> {
  for (let r = 0; r < rounds; r++) {
    const global = model.getWeights().map(w => w.clone())
    const sum = global.map(w => tf.zerosLike(w))
    const total = shards.reduce((s, sh) => s + sh.n, 0)
    for (const sh of shards) {
      model.setWeights(global)
      await model.fit(sh.x, sh.y, { epochs, batchSize, shuffle: false, verbose: 0 })
      model.getWeights().forEach((w, i) => {
        const next = tf.tidy(() => tf.add(sum[i], tf.mul(w, sh.n / total)))
        sum[i].dispose()
        sum[i] = next
      })
    }
    model.setWeights(sum)
    for (const t of [...global, ...sum]) t.dispose()
  }
}

function mlp (inputs: number, hidden: number, outputs: number, activation: 'softmax' | 'linear', seed: number): tf.Sequential {
  const m = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [inputs], units: hidden, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed }) }),
      tf.layers.dense({ units: outputs, activation, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) })
    ]
  })
  m.compile({ optimizer: tf.train.adam(0.01), loss: activation === 'softmax' ? 'sparseCategoricalCrossentropy' : 'meanSquaredError' })
  return m
}

function shardsOf (x: number[][], y: number[], count: number): Shard[] {
  return Array.from({ length: count }, (_, s) => {
    const idx = x.map((_, i) => i).filter(i => i % count === s)
    return { x: tf.tensor2d(idx.map(i => x[i])), y: tf.tensor1d(idx.map(i => y[i]), 'float32'), n: idx.length }
  })
}

function dispose (shards: Shard[]): void { for (const s of shards) { s.x.dispose(); s.y.dispose() } }

function predict (model: tf.LayersModel, x: number[][] | number[][][]): Float32Array {
  return tf.tidy(() => (model.predict(tf.tensor(x)) as tf.Tensor).dataSync() as Float32Array)
}

function classAccuracy (probs: Float32Array, classes: number, y: number[]): number {
  let hit = 0
  y.forEach((label, i) => {
    let best = 0
    for (let c = 1; c < classes; c++) if (probs[i * classes + c] > probs[i * classes + best]) best = c
    if (best === label) hit++
  })
  return hit / y.length
}

function majority (train: number[], test: number[]): number {
  const counts = new Map<number, number>()
  for (const v of train) counts.set(v, (counts.get(v) ?? 0) + 1)
  const top = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0][0]
  return test.filter(v => v === top).length / test.length
}

export interface ProductOptions {
  seed: number
  /** Scale of the generated data and training (1 = the documented default sizes). @default 1 */
  scale?: number
}

export async function bandwidthPredictor (opts: ProductOptions): Promise<ProductModelReport> {
  const scale = opts.scale ?? 1
  const W = 12
  const links = linkTraces(Math.round(24 * scale) + 6, 240, opts.seed)
  const trainLinks = links.slice(0, links.length - 6)
  const testLinks = links.slice(links.length - 6)
  // Inputs and target are relative to the last observed value (log ratios), so the network only
  // has to learn the correction to the last-value baseline (mean reversion, regime effects).
  const windows = (trs: typeof links, stride: number): { x: number[][][], y: number[], last: number[], ma: number[] } => {
    const out = { x: [] as number[][][], y: [] as number[], last: [] as number[], ma: [] as number[] }
    for (const tr of trs) {
      for (let t = W; t < tr.throughput.length; t += stride) {
        const ref = Math.log(tr.throughput[t - 1])
        out.x.push(Array.from({ length: W }, (_, k) => [Math.log(tr.throughput[t - W + k]) - ref, tr.rtt[t - W + k] / 200]))
        out.y.push(Math.log(tr.throughput[t]) - ref)
        out.last.push(tr.throughput[t - 1])
        out.ma.push((tr.throughput[t - 1] + tr.throughput[t - 2] + tr.throughput[t - 3] + tr.throughput[t - 4] + tr.throughput[t - 5]) / 5)
      }
    }
    return out
  }
  const train = windows(trainLinks, 3)
  const test = windows(testLinks, 1)
  const model = tf.sequential({
    layers: [
      tf.layers.gru({ inputShape: [W, 2], units: 16, kernelInitializer: tf.initializers.glorotUniform({ seed: opts.seed }), recurrentInitializer: tf.initializers.orthogonal({ seed: opts.seed + 1, gain: 1 }) }),
      tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: opts.seed + 2 }) })
    ]
  })
  // trained on absolute error: the reported metric is MAE and the target's noise is heavy-tailed
  model.compile({ optimizer: tf.train.adam(0.005), loss: 'meanAbsoluteError' })
  // one shard per link: each peer trains on its own link's history
  const perLink = Math.floor(train.x.length / trainLinks.length)
  const shards: Shard[] = trainLinks.map((_, l) => {
    const xs = train.x.slice(l * perLink, (l + 1) * perLink)
    return { x: tf.tensor3d(xs), y: tf.tensor2d(train.y.slice(l * perLink, (l + 1) * perLink), [xs.length, 1]), n: xs.length }
  })
  await federatedFit(model, shards, Math.round(5 * Math.sqrt(scale)), 2, 32)
  dispose(shards)
  const p = predict(model, test.x)
  model.dispose()
  const truth = test.y.map((v, i) => test.last[i] * Math.exp(v))
  const mae = (pred: ArrayLike<number>): number => truth.reduce((s, v, i) => s + Math.abs(v - pred[i]), 0) / truth.length
  const modelMae = mae(Array.from(p, (v, i) => test.last[i] * Math.exp(v)))
  const baselines = { lastValue: mae(test.last), movingAverage5: mae(test.ma) }
  return { name: 'bandwidth-predictor', metric: 'MAE Mbit/s (lower is better)', model: modelMae, baselines, beatsBaselines: Object.values(baselines).every(b => modelMae < b), trainSamples: train.x.length, testSamples: test.x.length }
}

export const CODEC_CHOICES = ['none', 'lz4', 'lz4-hc'] as const

/**
 * Labels come from REAL compression of each payload (`compress(data, level)`, core-wasm's LZ4):
 * the best choice minimises compress + transfer + decompress time with the documented speed model
 * (lz4 500 MB/s, lz4-hc 50 MB/s, decompression 2 GB/s, all × the peer's CPU factor).
 */
export async function compressionSelector (opts: ProductOptions & { compress: (data: Uint8Array, level: number) => Uint8Array }): Promise<ProductModelReport> {
  const n = Math.round(600 * (opts.scale ?? 1))
  const samples = payloadSamples(n, opts.seed)
  const x: number[][] = []
  const y: number[] = []
  for (const s of samples) {
    const fast = opts.compress(s.data, 1).length
    const hc = opts.compress(s.data, 9).length
    const bps = s.mbps * 1e6 / 8
    const cost = [
      s.data.length / bps,
      s.data.length / (500e6 * s.cpu) + fast / bps + s.data.length / (2e9 * s.cpu),
      s.data.length / (50e6 * s.cpu) + hc / bps + s.data.length / (2e9 * s.cpu)
    ]
    y.push(cost.indexOf(Math.min(...cost)))
    let zeros = 0
    const probe = s.data.subarray(0, 4096)
    for (const b of probe) if (b === 0) zeros++
    x.push([Math.log2(s.data.length) / 16, byteEntropy(probe) / 8, zeros / probe.length, Math.log10(s.mbps) / 4, s.cpu / 2])
  }
  return await classify('compression-selector', x, y, CODEC_CHOICES.length, opts.seed)
}

export async function peerReliability (opts: ProductOptions): Promise<ProductModelReport> {
  const samples = peerSessions(Math.round(2000 * (opts.scale ?? 1)), 30, opts.seed)
  return await classify('peer-reliability', samples.map(s => s.features), samples.map(s => s.stays ? 1 : 0), 2, opts.seed)
}

async function classify (name: string, x: number[][], y: number[], classes: number, seed: number): Promise<ProductModelReport> {
  const order = shuffle(createRng(seed).fork(name), x.map((_, i) => i))
  const cut = Math.floor(order.length * 0.75)
  const tr = order.slice(0, cut)
  const te = order.slice(cut)
  const model = mlp(x[0].length, 16, classes, 'softmax', seed)
  const shards = shardsOf(tr.map(i => x[i]), tr.map(i => y[i]), 8)
  await federatedFit(model, shards, 8, 3, 32)
  dispose(shards)
  const acc = classAccuracy(predict(model, te.map(i => x[i])), classes, te.map(i => y[i]))
  model.dispose()
  const baselines = { majorityClass: majority(tr.map(i => y[i]), te.map(i => y[i])) }
  return { name, metric: 'accuracy (higher is better)', model: acc, baselines, beatsBaselines: acc > baselines.majorityClass, trainSamples: tr.length, testSamples: te.length }
}

export async function consensusLatency (opts: ProductOptions): Promise<ProductModelReport> {
  const runs = consensusRuns(Math.round(1500 * (opts.scale ?? 1)), opts.seed)
  const cut = Math.floor(runs.length * 0.75)
  const train = runs.slice(0, cut)
  const test = runs.slice(cut)
  const model = mlp(5, 32, 1, 'linear', opts.seed)
  const shards = shardsOf(train.map(r => r.features), train.map(r => Math.log(r.latencyMs) / 8), 8)
  await federatedFit(model, shards, 10, 3, 32)
  dispose(shards)
  const p = predict(model, test.map(r => r.features))
  model.dispose()
  const mae = (pred: (i: number) => number): number => test.reduce((s, r, i) => s + Math.abs(r.latencyMs - pred(i)), 0) / test.length
  const mean = train.reduce((s, r) => s + r.latencyMs, 0) / train.length
  const modelMae = mae(i => Math.exp(p[i] * 8))
  const baselines = { trainingMean: mae(() => mean), threeTimesMeanRtt: mae(i => 3 * test[i].features[2] * 200) }
  return { name: 'consensus-latency', metric: 'MAE ms (lower is better)', model: modelMae, baselines, beatsBaselines: Object.values(baselines).every(b => modelMae < b), trainSamples: train.length, testSamples: test.length }
}
