/**
 * `novacron fl-sim`: the seeded federated-learning simulation on the MNIST digits shipped in the
 * `mnist` package. Prints one line per round (accuracy, loss, bytes, ε) and a summary; `--json`
 * prints one JSON object per line (`backend`, `round`…, `summary`) for scripts and tests, with
 * progress on stderr. Every option below is validated up front; a bad value is a usage error.
 * The defaults are the documented default configuration (core/learning/defaults.ts): FedAdam
 * η 0.03 β1 0.5 τ 1e-3, client SGD 0.1 with a cosine decay to 0.02, E = 1, batch 32.
 */
import { UsageError, bool, num, str, type CliIO, type Command, type ParsedArgs } from '../args.ts'
// Light modules only at load time: `--help` and usage errors never load tfjs (run() imports it).
import { AGGREGATORS, type AggregatorName } from '../../../core/learning/aggregate.ts'
import { ATTACKS, type AttackKind } from '../../../core/learning/attacks.ts'
import { DEFAULT_TRAINING as D } from '../../../core/learning/defaults.ts'
import type { BackendName } from '../../../core/learning/backend.ts'
import { parsePartition } from '../../../core/learning/data.ts'
import { LearningConfigError } from '../../../core/learning/errors.ts'
import { parseDataSpec } from '../../learning/data-spec.ts'
import type { FederatedConfig, RoundResult } from '../../../core/learning/federated.ts'
import type { ModelKind } from '../../../core/learning/model.ts'
import type { SelectionName } from '../../../core/learning/selection.ts'

/** Backends fl-sim accepts (node-runtime/learning/backend.ts tries wasm, then cpu). */
const NODE_BACKENDS = ['wasm', 'cpu'] as const

export const command: Command = {
  name: 'fl-sim',
  summary: 'Run a seeded federated-learning simulation',
  description: 'Simulates federated rounds on the 10,000 MNIST digits of the `mnist` package with real tfjs training:\n' +
    'client selection (random or TCS-FEEL), local training, compressed updates, robust aggregation,\n' +
    'Byzantine clients and differential privacy. Same seed, same result.',
  options: [
    { name: 'data', type: 'string', value: '<source>', description: 'training data: mnist, leaf:<dir> (LEAF train/ and test/ JSON; users grouped round-robin into --clients clients) or csv:<file>[,<test file>] (docs/learning.md "Data sources")', default: 'mnist' },
    { name: 'label-column', type: 'string', value: '<name|index>', description: 'CSV label column: a header name or a 0-based index (default: the last column)' },
    { name: 'clients', type: 'integer', description: 'number of clients', default: 20, min: 1, max: 1000 },
    { name: 'rounds', type: 'integer', description: 'federated rounds', default: 30, min: 1, max: 10000 },
    { name: 'per-round', type: 'integer', description: 'clients selected per round (0 = half of --clients)', default: 0, min: 0 },
    { name: 'epochs', type: 'integer', description: 'local epochs E per selected client', default: D.localEpochs, min: 1, max: 100 },
    { name: 'batch', type: 'integer', description: 'local minibatch size', default: D.batchSize, min: 1, max: 4096 },
    { name: 'lr', type: 'number', description: 'client SGD learning rate of round 1', default: D.learningRate, min: 1e-6, max: 10 },
    { name: 'final-lr', type: 'number', description: `client learning rate of the last round, cosine decay from --lr (absent: --lr × ${D.finalLearningRate / D.learningRate}, i.e. ${D.finalLearningRate}; equal to --lr = constant)`, min: 1e-6, max: 10 },
    { name: 'model', type: 'string', description: 'model', choices: ['mlp', 'cnn'], default: 'mlp' },
    { name: 'hidden', type: 'integer', description: 'hidden units of the MLP', default: 64, min: 1, max: 4096 },
    { name: 'partition', type: 'string', value: '<spec>', description: 'data partition: iid, dirichlet:<alpha>, shards:<labels per client>', default: 'dirichlet:0.5' },
    { name: 'select', type: 'string', description: 'client selection', choices: ['tcs', 'random'], default: 'tcs' },
    { name: 'aggregate', type: 'string', description: 'aggregation rule', choices: AGGREGATORS, default: 'fedavg' },
    { name: 'trim', type: 'number', description: 'trimmed-mean fraction cut from each end (also Krum\'s assumed Byzantine share)', default: 0.2, min: 0, max: 0.49 },
    { name: 'clip-median', type: 'boolean', description: 'scale updates longer than the round\'s median L2 norm down to it before aggregating' },
    { name: 'server-opt', type: 'string', description: 'server optimiser on the aggregate: adam (FedAdam) or sgd (FedAvg / FedAvgM with --server-momentum)', choices: ['adam', 'sgd'], default: D.serverOptimizer },
    { name: 'server-lr', type: 'number', description: `server learning rate η on the aggregated step (absent: ${D.serverLearningRate} for adam, 1 for sgd)`, min: 1e-6, max: 100 },
    { name: 'server-momentum', type: 'number', description: `server momentum: FedAdam's β1 (absent: ${D.serverMomentum}) or FedAvgM's β (absent: 0 = plain FedAvg)`, min: 0, max: 0.999 },
    { name: 'server-tau', type: 'number', description: 'FedAdam\'s adaptivity τ', default: D.serverTau, min: 1e-12, max: 10 },
    { name: 'server-warmup', type: 'integer', description: 'linear warm-up of the server learning rate over this many rounds (0 = none)', default: D.serverWarmupRounds, min: 0, max: 10000 },
    { name: 'server-final-lr', type: 'number', description: 'server learning rate of the last round, reached by a cosine over the rounds (absent: no decay; at most --server-lr)', min: 1e-6, max: 100 },
    { name: 'server-ema', type: 'number', description: 'decay β of the moving average of the global model that is evaluated and reported (bias-corrected EMA; 1 = uniform mean; the clients still train from the raw model; 0 = off)', default: D.serverEmaDecay, min: 0, max: 1 },
    { name: 'server-ema-start', type: 'number', description: 'fraction of --rounds after which the average starts (0 = from round 1)', default: D.serverEmaStart, min: 0, max: 0.99 },
    { name: 'byzantine', type: 'integer', description: 'number of Byzantine clients', default: 0, min: 0 },
    { name: 'attack', type: 'string', description: 'what Byzantine clients send', choices: ATTACKS, default: 'sign-flip' },
    { name: 'quantize', type: 'integer', description: 'uplink quantisation bits with stochastic rounding (0 = float32)', default: 0, min: 0, max: 8 },
    { name: 'topk', type: 'number', description: 'fraction of coordinates sent (top-k with error feedback; 1 = dense)', default: 1, min: 1e-6, max: 1 },
    { name: 'down-quantize', type: 'integer', description: 'downlink quantisation bits (0 = dense float32 global model)', default: 0, min: 0, max: 8 },
    { name: 'down-topk', type: 'number', description: 'downlink top-k fraction (with per-client error feedback)', default: 1, min: 1e-6, max: 1 },
    { name: 'compress', type: 'string', description: 'LZ4-compress update bodies with core-wasm', choices: ['auto', 'on', 'off'], default: 'auto' },
    { name: 'dp-epsilon', type: 'number', description: 'target ε for client-level DP (absent = no DP)', min: 1e-3 },
    { name: 'dp-delta', type: 'number', description: 'δ of the DP guarantee', default: 1e-5, min: 1e-12, max: 0.1 },
    { name: 'dp-clip', type: 'number', description: 'per-client L2 clip norm of the update', default: 1, min: 1e-6 },
    { name: 'dp-exhausted', type: 'string', description: 'when the budget is spent', choices: ['stop', 'warn'], default: 'stop' },
    { name: 'train-per-class', type: 'integer', description: 'use at most this many training digits per class (0 = all)', default: 0, min: 0 },
    { name: 'max-train', type: 'integer', value: '<n>', description: 'client i trains on exactly the rows of `novacron learn --shard i/<clients> --max-train n` (its part of the partition of all training rows, cut to n; 0 = fl-sim\'s own split)', default: 0, min: 0 },
    { name: 'max-test', type: 'integer', value: '<n>', description: 'evaluate on at most n held-out rows, the ones `novacron learn --max-test n` takes (0 = all)', default: 0, min: 0 },
    { name: 'test-fraction', type: 'number', description: 'held-out share of the 10,000 digits (stratified)', default: 0.2, min: 0.01, max: 0.9 },
    { name: 'target', type: 'number', description: 'accuracy for the rounds-to-target figure', default: 0.95, min: 0, max: 1 },
    { name: 'backend', type: 'string', description: 'tfjs backend (default: wasm, falling back to cpu)', choices: NODE_BACKENDS },
    { name: 'seed', type: 'integer', description: 'seed of every random choice', default: 1, min: 0, max: 2 ** 32 - 1 },
    { name: 'json', type: 'boolean', description: 'one JSON object per line on stdout; progress on stderr' },
    { name: 'quiet', type: 'boolean', description: 'no progress lines on stderr' }
  ],
  examples: [
    'novacron fl-sim --clients 20 --rounds 30 --partition dirichlet:0.5 --select tcs --dp-epsilon 8 --quantize 8 --byzantine 4 --aggregate trimmed-mean --seed 1 --json',
    'novacron fl-sim --select random --aggregate fedavg --rounds 10'
  ],
  run
}

function mb (bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(2)} MB` : `${(bytes / 1e3).toFixed(1)} kB`
}

/** Builds the simulation config from validated flags (exported for tests). */
export function configFromArgs (args: ParsedArgs): FederatedConfig {
  const clients = num(args, 'clients') ?? 20
  const byzantine = num(args, 'byzantine') ?? 0
  if (byzantine > clients) throw new UsageError(`--byzantine (${byzantine}) cannot exceed --clients (${clients})`, '--byzantine')
  const perRound = num(args, 'per-round') ?? 0
  if (perRound > clients) throw new UsageError(`--per-round (${perRound}) cannot exceed --clients (${clients})`, '--per-round')
  let partition
  try { partition = parsePartition(str(args, 'partition') ?? 'dirichlet:0.5') } catch (err) {
    if (err instanceof LearningConfigError) throw new UsageError(`--partition: ${err.message}`, '--partition')
    throw err
  }
  const eps = num(args, 'dp-epsilon')
  const kind = (str(args, 'model') ?? 'mlp') as ModelKind
  const downBits = num(args, 'down-quantize') ?? 0
  const downK = num(args, 'down-topk') ?? 1
  const serverOpt = (str(args, 'server-opt') ?? D.serverOptimizer) as 'sgd' | 'adam'
  const adam = serverOpt === 'adam'
  const lr = num(args, 'lr') ?? D.learningRate
  return {
    model: { kind, inputDim: 784, classes: 10, hidden: kind === 'mlp' ? num(args, 'hidden') : undefined },
    clients,
    rounds: num(args, 'rounds') ?? 30,
    clientsPerRound: perRound > 0 ? perRound : undefined,
    localEpochs: num(args, 'epochs') ?? D.localEpochs,
    batchSize: num(args, 'batch') ?? D.batchSize,
    learningRate: lr,
    finalLearningRate: num(args, 'final-lr') ?? lr * D.finalLearningRate / D.learningRate,
    partition,
    selection: (str(args, 'select') ?? 'tcs') as SelectionName,
    aggregator: (str(args, 'aggregate') ?? 'fedavg') as AggregatorName,
    trimFraction: num(args, 'trim'),
    clipToMedianNorm: bool(args, 'clip-median'),
    serverOptimizer: serverOpt,
    serverLearningRate: num(args, 'server-lr') ?? (adam ? D.serverLearningRate : 1),
    serverMomentum: num(args, 'server-momentum') ?? (adam ? D.serverMomentum : 0),
    serverTau: num(args, 'server-tau') ?? D.serverTau,
    serverWarmupRounds: num(args, 'server-warmup') ?? D.serverWarmupRounds,
    serverFinalLearningRate: num(args, 'server-final-lr'),
    serverEmaDecay: num(args, 'server-ema') ?? D.serverEmaDecay,
    serverEmaStart: num(args, 'server-ema-start') ?? D.serverEmaStart,
    byzantine,
    attack: (str(args, 'attack') ?? 'sign-flip') as AttackKind,
    quantizeBits: num(args, 'quantize'),
    topK: num(args, 'topk'),
    downlink: downBits > 0 || downK < 1 ? { bits: downBits, topK: downK } : undefined,
    dp: eps != null ? { targetEpsilon: eps, delta: num(args, 'dp-delta'), clipNorm: num(args, 'dp-clip'), onExhausted: str(args, 'dp-exhausted') as 'stop' | 'warn' } : undefined,
    seed: num(args, 'seed') ?? 1,
    targetAccuracy: num(args, 'target')
  }
}

/** `--label-column`: a number is an index, anything else a header name. */
export function labelColumnOf (args: ParsedArgs): { labelColumn?: number | string } {
  const v = str(args, 'label-column')
  if (v == null) return {}
  return { labelColumn: /^\d+$/.test(v) ? Number(v) : v }
}

/** LEAF users grouped into `clients` clients round-robin (user j → client j mod clients). */
function usersToClients (users: Array<{ rows: number[] }>, clients: number): number[][] {
  if (users.length < clients) throw new UsageError(`--clients ${clients}: the LEAF source has only ${users.length} training users`, '--clients')
  const out: number[][] = Array.from({ length: clients }, () => [])
  users.forEach((u, j) => { out[j % clients].push(...u.rows) })
  return out
}

async function run (args: ParsedArgs, io: CliIO): Promise<number> {
  const cfg = configFromArgs(args)
  let dataSpec
  try { dataSpec = parseDataSpec(str(args, 'data') ?? 'mnist') } catch (err) {
    if (err instanceof LearningConfigError) throw new UsageError(`--data: ${err.message}`, '--data')
    throw err
  }
  const { balancedSample, createRng, runFederated, trainableOn, trainTestSplit } = await import('../../../core/learning/index.ts')
  const { loadLz4Compressor } = await import('../../../core/learning/compression.ts')
  const { setupNodeBackend } = await import('../../learning/backend.ts')
  const { heldOut, loadDataSource, peerRows } = await import('../../learning/data-source.ts')
  const json = bool(args, 'json')
  const quiet = bool(args, 'quiet')
  const out = (line: string): void => { io.stdout.write(line + '\n') }
  const progress = (line: string): void => { if (!quiet) io.stderr.write(line + '\n') }
  const emit = (obj: Record<string, unknown>): void => out(JSON.stringify(obj))

  const choice = await setupNodeBackend(str(args, 'backend') as BackendName | undefined)
  if (!trainableOn(cfg.model.kind, choice.backend)) throw new UsageError(`--model ${cfg.model.kind} cannot train on the ${choice.backend} backend (no conv2d filter gradient in tfjs-backend-wasm); add --backend cpu`, '--model')
  const compressMode = str(args, 'compress') ?? 'auto'
  let compression = 'off'
  if (compressMode !== 'off') {
    const lz = await loadLz4Compressor()
    if (lz.compressor == null && compressMode === 'on') throw new Error(`--compress on: core-wasm LZ4 unavailable (${lz.reason ?? 'unknown'})`)
    cfg.compressor = lz.compressor ?? undefined
    compression = lz.name
  }
  const loaded = await loadDataSource(dataSpec, { seed: cfg.seed, testFraction: num(args, 'test-fraction') ?? 0.2, ...labelColumnOf(args) })
  const split = loaded
  cfg.model = { ...cfg.model, inputDim: loaded.train.dim, classes: loaded.train.classes }
  const perClass = num(args, 'train-per-class') ?? 0
  if (perClass > 0 && loaded.users != null) throw new UsageError('--train-per-class does not apply to a LEAF source (its users are the clients)', '--train-per-class')
  const maxTrain = num(args, 'max-train') ?? 0
  if (maxTrain > 0 && perClass > 0) throw new UsageError('--max-train and --train-per-class exclude each other', '--max-train')
  const train = perClass > 0 ? balancedSample(split.train, perClass, createRng(cfg.seed).fork('sample')) : split.train
  // --max-train: the live learners' rows (learn --shard i/clients --max-train n), so a live run compares on the same data
  const parts = maxTrain > 0
    ? Array.from({ length: cfg.clients }, (_, i) => peerRows(loaded, i, cfg.clients, cfg.partition, cfg.seed, maxTrain))
    : loaded.users != null ? usersToClients(loaded.users, cfg.clients) : undefined
  const test = heldOut(loaded, cfg.seed, num(args, 'max-test') ?? 0)
  const info = { data: loaded.name, backend: choice.backend, compression, trainSamples: parts != null ? parts.reduce((n, p) => n + p.length, 0) : train.n, testSamples: test.n, model: cfg.model.kind }
  if (json) emit({ event: 'backend', ...info, skipped: choice.skipped })
  else out(`fl-sim: data ${info.data}, backend ${info.backend}, ${info.trainSamples} training / ${info.testSamples} held-out samples, ${cfg.clients} clients, selection ${cfg.selection}, aggregation ${cfg.aggregator}, compression ${compression}`)

  const started = Date.now()
  const onRound = (r: RoundResult): void => {
    const eps = r.epsilon != null ? ` ε ${r.epsilon.toFixed(3)}` : ''
    const rej = Object.entries(r.rejected).filter(([, v]) => v > 0).map(([k, v]) => `${k}:${v}`).join(',')
    const line = `round ${r.round}/${cfg.rounds} acc ${(r.accuracy * 100).toFixed(2)}%${r.rawAccuracy != null ? ` (raw ${(r.rawAccuracy * 100).toFixed(2)}%)` : ''} loss ${r.loss.toFixed(4)} up ${mb(r.bytesUp)} down ${mb(r.bytesDown)}${eps}${rej !== '' ? ` rejected ${rej}` : ''}${r.warning != null ? ` WARNING ${r.warning}` : ''}`
    if (json) {
      emit({ event: 'round', ...r })
      progress(`${line} (${((Date.now() - started) / 1000).toFixed(1)} s)`)
    } else out(line)
  }
  const s = await runFederated(cfg, { train, test, ...(parts != null ? { parts } : {}) }, { onRound })
  const summary = {
    ...info,
    rounds: s.rounds.length,
    finalAccuracy: s.finalAccuracy, finalLoss: s.finalLoss, bestAccuracy: s.bestAccuracy,
    roundsToTarget: s.roundsToTarget, targetAccuracy: cfg.targetAccuracy ?? 0.95,
    totalBytes: s.totalBytes, denseFedAvgBytes: s.denseBytes, bytesRatio: s.bytesRatio,
    epsilon: s.epsilon, delta: cfg.dp != null ? (cfg.dp.delta ?? 1e-5) : null, noiseMultiplier: s.noiseMultiplier,
    stoppedEarly: s.stoppedEarly, rejected: s.rejected, byzantineClients: s.byzantineClients,
    simulatedSeconds: s.simSeconds, wallSeconds: (Date.now() - started) / 1000
  }
  if (json) emit({ event: 'summary', ...summary })
  else {
    out(`summary: accuracy ${(s.finalAccuracy * 100).toFixed(2)}% (best ${(s.bestAccuracy * 100).toFixed(2)}%), rounds to ${((cfg.targetAccuracy ?? 0.95) * 100).toFixed(0)}%: ${s.roundsToTarget ?? 'not reached'}`)
    out(`         bytes ${mb(s.totalBytes)} = ${(s.bytesRatio * 100).toFixed(1)}% of dense float32 FedAvg (${mb(s.denseBytes)})${s.epsilon != null ? `, ε ${s.epsilon.toFixed(3)} at δ ${cfg.dp?.delta ?? 1e-5} (σ ${s.noiseMultiplier?.toFixed(3)})` : ''}`)
    if (s.stoppedEarly != null) out(`         stopped early: ${s.stoppedEarly}`)
  }
  return 0
}
