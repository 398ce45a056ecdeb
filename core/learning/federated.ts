/**
 * The seeded federated-learning simulation: one coordinator (the root) and `clients` simulated
 * clients in one process, training real tfjs models on real data. Per round:
 *
 *   1. the root selects m clients (random, or TCS-FEEL) and builds the aggregation tree (a star for
 *      random selection, TCS-FEEL's relay tree otherwise);
 *   2. the global weights go down the tree (bytes counted: one dense float32 copy per edge);
 *   3. each selected client trains E local epochs from the global weights and computes its delta;
 *      under DP it clips the delta to C; it applies error-feedback top-k and b-bit stochastic
 *      quantisation and encodes it (Byzantine clients send their attack instead);
 *   4. updates travel up the tree (relays pre-aggregate for FedAvg), every receiver validates;
 *   5. the root aggregates (FedAvg / median / trimmed mean / Krum / multi-Krum), adds DP noise,
 *      applies the step, folds the new model into its moving average when one is kept
 *      (model-ema.ts), evaluates on the held-out set, and the accountant books the round.
 *
 * The model math runs on whatever tfjs backend is active; everything random comes from `seed`.
 */
import { aggregate, clipToMedianNorm, type AggregatorName } from './aggregate.ts'
import { RdpAccountant, noiseForEpsilon } from './accountant.ts'
import { byzantineUpdate, type AttackKind } from './attacks.ts'
import { encodeUpdate, encodeWeights, maxRawBodyLength, type Compressor } from './codec.ts'
import { labelHistogram, partition, subset, type Dataset, type PartitionSpec } from './data.ts'
import { addGaussianNoise, clipUpdate, type DpConfig } from './dp.ts'
import { LearningConfigError, PrivacyBudgetExceededError } from './errors.ts'
import { cosineDecay, initParams, Trainer, type ModelSpec } from './model.ts'
import { ErrorFeedback, topK } from './quantize.ts'
import { admit, routeDown, routeUp, type HopContext } from './relay.ts'
import { createRng, shuffle } from './rng.ts'
import { createModelEma, emaStartRound } from './model-ema.ts'
import { createServerOptimizer, type ServerOptimizerName } from './server-opt.ts'
import { buildTree, ROOT, selectClients, type AggregationTree, type SelectionContext, type SelectionName, type TcsOptions } from './selection.ts'
import { generateTopology, type Topology } from './topology.ts'
import { emptyRejections, REJECT_REASONS, type RejectionCounts } from './validate.ts'

export interface FederatedConfig {
  model: ModelSpec
  clients: number
  rounds: number
  /** @default ceil(clients / 2) */
  clientsPerRound?: number
  /** Local epochs E. @default 1 */
  localEpochs?: number
  /** @default 32 */
  batchSize?: number
  /** Client learning rate (of round 1 when `finalLearningRate` is set). @default 0.1 */
  learningRate?: number
  /**
   * Client learning rate of the last round: cosine decay over the rounds from `learningRate`.
   * Smaller late steps cut client drift on non-IID data. @default learningRate (constant)
   */
  finalLearningRate?: number
  /** Client optimiser (a fresh one per round, as every client starts from the global model). @default 'sgd' */
  localOptimizer?: 'sgd' | 'adam'
  /** Client data augmentation: max random pixel shift of square images. @default 0 */
  augmentShift?: number
  partition: PartitionSpec
  selection: SelectionName
  tcs?: TcsOptions
  aggregator: AggregatorName
  /** @default 0.2 */
  trimFraction?: number
  /**
   * Scale every update admitted at the root down to the median L2 norm of the round's updates
   * before aggregating (`clipToMedianNorm`). Blunts scaled attacks for any rule. @default false
   */
  clipToMedianNorm?: boolean
  /**
   * Server optimiser on the aggregate (server-opt.ts): 'sgd' = FedAvg / FedAvgM (Hsu et al. 2019),
   * 'adam' = FedAdam (Reddi et al. 2021). Recovers progress lost to averaging short local runs on
   * non-IID data, at no client cost. @default 'sgd'
   */
  serverOptimizer?: ServerOptimizerName
  /** Server momentum β (sgd) or β1 (adam). @default 0 (sgd), 0.9 (adam) */
  serverMomentum?: number
  /** Server learning rate η. @default 1 (sgd), 0.01 (adam) */
  serverLearningRate?: number
  /** FedAdam's adaptivity τ. @default 1e-3 */
  serverTau?: number
  /** Linear warm-up of the server learning rate over the first W server steps (server-opt.ts). @default 0 */
  serverWarmupRounds?: number
  /** Server learning rate of the last round, reached by a cosine over the rounds (server-opt.ts). @default no decay */
  serverFinalLearningRate?: number
  /**
   * Decay β in [0, 1] of the server's moving average of the global model (model-ema.ts: EMA with
   * bias correction; 1 = uniform mean). When > 0 the average is the model evaluated each round and
   * returned; the server still steps, and the clients still train from, the raw model. 0 = off.
   * @default 0
   */
  serverEmaDecay?: number
  /**
   * When the average starts, as a fraction f in [0, 1) of `rounds`: rounds 1..⌊f·rounds⌋ report
   * the raw model, the average folds in the models of the rounds after (SWA's tail averaging:
   * the early, fast-moving models stay out of it). @default 0
   */
  serverEmaStart?: number
  /** How many clients are Byzantine. @default 0 */
  byzantine?: number
  /** @default 'sign-flip' */
  attack?: AttackKind
  /** 0 = float32, else 1..8. @default 0 */
  quantizeBits?: number
  /** Fraction of coordinates sent (top-k with error feedback); 1 = dense. @default 1 */
  topK?: number
  /**
   * Downlink compression. Dense float32 by default. Otherwise the root keeps, per client, the exact
   * model copy that client holds, and sends top-k + b-bit quantised (global − copy); what is not
   * sent stays in the difference for next time (error feedback on the downlink).
   */
  downlink?: { bits: number, topK: number }
  dp?: DpConfig
  /** Reject updates with a larger L2 norm. @default Infinity, or 3 × the clip norm under DP */
  maxUpdateNorm?: number
  seed: number
  compressor?: Compressor
  /** Accuracy for `roundsToTarget`. @default 0.95 */
  targetAccuracy?: number
}

export interface RoundResult {
  round: number
  selected: number[]
  byzantineSelected: number
  /** Held-out accuracy and loss of the model the run reports: the EMA when `serverEmaDecay` > 0. */
  accuracy: number
  loss: number
  /** With `serverEmaDecay` > 0 only: the same for the server's raw model. */
  rawAccuracy?: number
  rawLoss?: number
  trainLoss: number
  bytesUp: number
  /** Uplink bytes arriving on the root's own links (the coordinator's ingress load). */
  bytesAtRoot: number
  bytesDown: number
  /** Cumulative bytes (up + down) including this round. */
  bytesTotal: number
  epsilon: number | null
  rejected: RejectionCounts
  /** Simulated wall-clock of the round (download, train, upload over the tree). */
  simSeconds: number
  treeDepth: number
  warning?: string
}

export interface FederatedSummary {
  rounds: RoundResult[]
  /** The model the run produced (the EMA when `serverEmaDecay` > 0), as flat weights. */
  weights: Float32Array
  finalAccuracy: number
  finalLoss: number
  bestAccuracy: number
  roundsToTarget: number | null
  totalBytes: number
  /** Bytes dense float32 FedAvg with a star would have moved for the same rounds and m. */
  denseBytes: number
  bytesRatio: number
  epsilon: number | null
  noiseMultiplier: number | null
  stoppedEarly: string | null
  rejected: RejectionCounts
  simSeconds: number
  byzantineClients: number[]
}

export interface FederatedData {
  train: Dataset
  test: Dataset
  /** Rows of `train` per client, when the data has natural clients (LEAF users); else `partition` splits it. */
  parts?: number[][]
}

/** The models at the end of a round (read-only views: copy before keeping or changing them). */
export interface RoundModels {
  /** The server's raw model, the one the clients train from. */
  server: Float32Array
  /** The model that was evaluated: the EMA when `serverEmaDecay` > 0, else `server`. */
  evaluated: Float32Array
}

export interface FederatedHooks {
  onRound?: (r: RoundResult, models: RoundModels) => void | Promise<void>
}

/** Downlink bytes over a tree when each client gets its own message: an edge carries its subtree's. */
function subtreeBytes (tree: AggregationTree, per: Map<number, number>): number {
  let total = 0
  const visit = (v: number): number => {
    let sub = per.get(v) ?? 0
    for (const c of tree.children.get(v) ?? []) sub += visit(c)
    if (v !== ROOT) total += sub
    return sub
  }
  visit(ROOT)
  return total
}

export async function runFederated (cfg: FederatedConfig, data: FederatedData, hooks: FederatedHooks = {}): Promise<FederatedSummary> {
  const m = Math.min(cfg.clients, cfg.clientsPerRound ?? Math.ceil(cfg.clients / 2))
  const E = cfg.localEpochs ?? 1
  const bs = cfg.batchSize ?? 32
  const bits = cfg.quantizeBits ?? 0
  const kFrac = cfg.topK ?? 1
  if (!(kFrac > 0 && kFrac <= 1)) throw new LearningConfigError(`topK must be in (0, 1] (got ${kFrac})`)
  const lr0 = cfg.learningRate ?? 0.1
  const lrFinal = cfg.finalLearningRate ?? lr0
  if (!(lr0 > 0 && lrFinal > 0)) throw new LearningConfigError(`learning rates must be > 0 (got ${lr0}, ${lrFinal})`)
  const nByz = cfg.byzantine ?? 0
  if (nByz < 0 || nByz > cfg.clients) throw new LearningConfigError(`byzantine must be in 0..clients (got ${nByz})`)
  const rng = createRng(cfg.seed)
  const partRng = rng.fork('partition') // forked whether used or not: the other streams stay as they were
  const parts = data.parts ?? partition(data.train, cfg.clients, cfg.partition, partRng)
  if (parts.length !== cfg.clients) throw new LearningConfigError(`data.parts has ${parts.length} clients, config says ${cfg.clients}`)
  const clientData = parts.map(idx => subset(data.train, idx))
  const profiles = parts.map(idx => ({ samples: idx.length, histogram: labelHistogram(data.train, idx) }))
  const topology: Topology = generateTopology(cfg.clients, rng.fork('topology'))
  const byz = new Set(shuffle(rng.fork('byzantine'), Array.from({ length: cfg.clients }, (_, i) => i)).slice(0, nByz))
  const initial = initParams(cfg.model, rng.fork('init'))
  const trainer = new Trainer(cfg.model, initial)
  const size = trainer.size
  let global = initial
  const feedback = clientData.map(() => new ErrorFeedback())
  const clip = cfg.dp?.clipNorm ?? 1
  const maxNorm = cfg.maxUpdateNorm ?? (cfg.dp != null ? 3 * clip : Infinity)
  const weightBytes = encodeWeights(0, global, rng).length
  const estUpdateBytes = Math.ceil(size * kFrac) * ((bits === 0 ? 32 : bits) / 8 + (kFrac < 1 ? 2 : 0))
  const selCtx: SelectionContext = {
    profiles, topology, eligible: profiles.map((_, i) => i),
    localSteps: i => E * Math.ceil(profiles[i].samples / bs),
    updateBytes: estUpdateBytes
  }
  // DP calibration: q bounds every client's per-round inclusion probability
  let sigma: number | null = null
  let accountant: RdpAccountant | null = null
  let q = 0
  if (cfg.dp != null) {
    q = selectClients(cfg.selection, selCtx, m, createRng(0), cfg.tcs).maxInclusion
    sigma = cfg.dp.noiseMultiplier ?? noiseForEpsilon(q, cfg.rounds, cfg.dp.targetEpsilon, cfg.dp.delta ?? 1e-5)
    accountant = new RdpAccountant(cfg.dp.delta ?? 1e-5)
  }
  const linear = cfg.aggregator === 'fedavg'
  const decay = cfg.serverFinalLearningRate != null ? { finalLearningRate: cfg.serverFinalLearningRate, decaySteps: cfg.rounds } : {}
  const server = createServerOptimizer(size, { kind: cfg.serverOptimizer, learningRate: cfg.serverLearningRate, momentum: cfg.serverMomentum, tau: cfg.serverTau, warmupRounds: cfg.serverWarmupRounds, ...decay })
  const ema = createModelEma(size, cfg.serverEmaDecay ?? 0)
  const averaged = ema.decay > 0
  /** First round folded into the average. */
  const emaRound = emaStartRound(cfg.serverEmaStart ?? 0, cfg.rounds)
  let evaluated = global
  const down = cfg.downlink != null && (cfg.downlink.bits > 0 || cfg.downlink.topK < 1) ? cfg.downlink : null
  const copies = clientData.map(() => Float32Array.from(initial))
  const results: RoundResult[] = []
  const totals = emptyRejections()
  let bytesTotal = 0
  let stoppedEarly: string | null = null
  try {
    for (let r = 1; r <= cfg.rounds; r++) {
      const rr = rng.fork(`round:${r}`)
      let warning: string | undefined
      if (accountant != null && sigma != null && cfg.dp != null) {
        const probe = new RdpAccountant(accountant.delta)
        probe.step(q, sigma, accountant.stepCount + 1)
        if (probe.epsilon() > cfg.dp.targetEpsilon * (1 + 1e-9)) {
          if ((cfg.dp.onExhausted ?? 'stop') === 'stop') { stoppedEarly = `privacy budget ε=${cfg.dp.targetEpsilon} would be exceeded in round ${r}`; break }
          warning = `privacy budget exceeded: ε=${probe.epsilon().toFixed(3)} > ${cfg.dp.targetEpsilon}`
        }
      }
      const lrRound = cosineDecay(lr0, lrFinal, (r - 1) / Math.max(1, cfg.rounds - 1))
      const { selected } = selectClients(cfg.selection, selCtx, m, rr.fork('select'), cfg.tcs)
      const tree = buildTree(selected, topology, estUpdateBytes, { ...cfg.tcs, star: cfg.selection === 'random' })
      const start = new Map<number, Float32Array>()
      const downBytes = new Map<number, number>()
      for (const c of selected) {
        if (down == null) { start.set(c, global); downBytes.set(c, weightBytes); continue }
        const diff = new Float32Array(size)
        const copy = copies[c]
        for (let i = 0; i < size; i++) diff[i] = global[i] - copy[i]
        const values = down.topK < 1 ? topK(diff, Math.max(1, Math.round(size * down.topK))) : diff
        const enc = encodeUpdate({ round: r, sender: 0, samples: 0, clients: 0, values }, rr.fork(`down:${c}`), { bits: down.bits, compressor: cfg.compressor })
        for (let i = 0; i < size; i++) copy[i] += enc.delivered[i]
        start.set(c, Float32Array.from(copy))
        downBytes.set(c, enc.bytes.length)
      }
      const meanDown = selected.reduce((s, c) => s + (downBytes.get(c) ?? 0), 0) / Math.max(1, selected.length)
      const downAt = routeDown(tree, meanDown, topology)
      const bytesDown = down == null ? weightBytes * selected.length : subtreeBytes(tree, downBytes)
      const own = new Map<number, Uint8Array>()
      const ready = new Map<number, number>()
      let trainLoss = 0
      for (const c of selected) {
        const from = start.get(c) ?? global
        trainer.setWeights(from)
        const res = await trainer.train(clientData[c], { epochs: E, batchSize: bs, learningRate: lrRound, optimizer: cfg.localOptimizer, augmentShift: cfg.augmentShift }, rr.fork(`train:${c}`))
        trainLoss += res.loss / selected.length
        ready.set(c, (downAt.get(c) ?? 0) + res.steps / topology.stepsPerSec[c])
        const w = await trainer.getWeights()
        const delta = new Float32Array(size)
        for (let i = 0; i < size; i++) delta[i] = w[i] - from[i]
        if (cfg.dp != null) clipUpdate(delta, clip)
        const samples = cfg.dp != null ? 1 : profiles[c].samples
        if (byz.has(c)) {
          const bad = byzantineUpdate(cfg.attack ?? 'sign-flip', delta, rr.fork(`attack:${c}`))
          own.set(c, encodeUpdate({ round: r, sender: c, samples, clients: 1, values: bad }, rr, { compressor: cfg.compressor }).bytes)
          continue
        }
        const intended = kFrac < 1 ? feedback[c].compensate(delta) : delta
        const values = kFrac < 1 ? topK(intended, Math.max(1, Math.round(size * kFrac))) : intended
        const enc = encodeUpdate({ round: r, sender: c, samples, clients: 1, values }, rr.fork(`q:${c}`), { bits, compressor: cfg.compressor })
        if (kFrac < 1) feedback[c].settle(intended, enc.delivered)
        own.set(c, enc.bytes)
      }
      const rejected = emptyRejections()
      const hop: HopContext = { round: r, size, bits, maxNorm, compressor: cfg.compressor, rng: rr.fork('relay'), rejected, maxBytes: maxRawBodyLength(size) + 64, clipNorm: cfg.dp != null ? clip : undefined }
      const routed = routeUp(tree, own, ready, topology, linear, hop)
      const admitted = routed.atRoot.map(b => admit(b, hop)).filter(<T>(x: T | null): x is T => x != null)
      if (admitted.length > 0) {
        const updates = cfg.clipToMedianNorm === true ? clipToMedianNorm(admitted.map(a => a.values)) : admitted.map(a => a.values)
        let agg: Float32Array
        if (linear && cfg.dp != null) {
          // DP-FedAvg: uniform weights with the fixed denominator m (sensitivity C/m)
          agg = new Float32Array(size)
          admitted.forEach((a, k) => { for (let i = 0; i < size; i++) agg[i] += updates[k][i] * a.clients / m })
        } else {
          agg = aggregate(cfg.aggregator, updates, admitted.map(a => a.samples), { trimFraction: cfg.trimFraction })
        }
        if (sigma != null) addGaussianNoise(agg, sigma * clip / m, rr.fork('noise'))
        // DP noise is added before the server step: the step is post-processing of a DP release
        global = server.step(global, agg)
      }
      accountant?.step(q, sigma ?? 1)
      const fold = averaged && r >= emaRound
      evaluated = fold ? ema.update(global) : global
      trainer.setWeights(evaluated)
      const metrics = await trainer.evaluate(data.test)
      let raw: { rawAccuracy: number, rawLoss: number } | null = null
      if (fold) {
        trainer.setWeights(global)
        const m = await trainer.evaluate(data.test)
        raw = { rawAccuracy: m.accuracy, rawLoss: m.loss }
      } else if (averaged) raw = { rawAccuracy: metrics.accuracy, rawLoss: metrics.loss }
      bytesTotal += routed.bytesUp + bytesDown
      for (const k of REJECT_REASONS) totals[k] += rejected[k]
      const result: RoundResult = {
        round: r, selected, byzantineSelected: selected.filter(c => byz.has(c)).length,
        accuracy: metrics.accuracy, loss: metrics.loss, ...raw, trainLoss,
        bytesUp: routed.bytesUp, bytesAtRoot: routed.bytesAtRoot, bytesDown, bytesTotal,
        epsilon: accountant?.epsilon() ?? null, rejected,
        simSeconds: routed.seconds, treeDepth: Math.max(0, ...tree.depth.values()),
        ...(warning != null ? { warning } : {})
      }
      results.push(result)
      await hooks.onRound?.(result, { server: global, evaluated })
    }
  } finally {
    trainer.dispose()
  }
  const last = results.at(-1)
  const target = cfg.targetAccuracy ?? 0.95
  const hit = results.find(x => x.accuracy >= target)
  const denseUpdateBytes = encodeUpdate({ round: 1, sender: 1, samples: 1, clients: 1, values: new Float32Array(size) }, rng).bytes.length
  const denseBytes = results.length * m * (weightBytes + denseUpdateBytes)
  return {
    rounds: results,
    weights: evaluated,
    finalAccuracy: last?.accuracy ?? Number.NaN,
    finalLoss: last?.loss ?? Number.NaN,
    bestAccuracy: Math.max(...results.map(x => x.accuracy)),
    roundsToTarget: hit?.round ?? null,
    totalBytes: bytesTotal,
    denseBytes,
    bytesRatio: denseBytes > 0 ? bytesTotal / denseBytes : Number.NaN,
    epsilon: accountant?.epsilon() ?? null,
    noiseMultiplier: sigma,
    stoppedEarly,
    rejected: totals,
    simSeconds: results.reduce((s, x) => s + x.simSeconds, 0),
    byzantineClients: [...byz].sort((a, b) => a - b)
  }
}
