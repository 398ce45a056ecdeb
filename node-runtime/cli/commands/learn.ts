/**
 * `novacron learn`: a headless peer (everything `novacron peer` does) that also trains on its own
 * data in federated rounds over the live mesh, committed through the ledger (docs/learning.md,
 * "Live learning"). A separate command rather than a `peer` option because it has a dozen options
 * of its own and loads tfjs; `peer` stays light. The data is loaded and checked before the peer
 * starts, so a malformed file is a typed error and nothing joins the mesh.
 */
import { bool, num, str, UsageError, type Command, type CliIO, type ParsedArgs } from '../args.ts'
import { AGGREGATORS, type AggregatorName } from '../../../core/learning/aggregate.ts'
import { LearningConfigError } from '../../../core/learning/errors.ts'
import { parsePartition, type PartitionSpec } from '../../../core/learning/data.ts'
import type { LiveTaskConfig } from '../../../core/learning/live/task.ts'
import { commonOptions } from '../../mesh/options.ts'
import { ledgerOptions } from '../../ledger/cli-wiring.ts'
import { parseDataSpec, parseShard, type DataSpec } from '../../learning/data-spec.ts'
import { labelColumnOf } from './fl-sim.ts'

export const command: Command = {
  name: 'learn',
  summary: 'Join federated training on the mesh as a Node peer',
  description: [
    'Runs a peer (as `novacron peer`) that trains a model with the other learners of the same task:',
    'its data never leaves it; each round a coordinator drawn through the ledger sends the committed',
    'model, the selected peers (by measured link RTT) send back quantised updates, and the',
    'coordinator commits the aggregate as a `model.round` ledger entry with the SHA-256 of the new',
    'weights. Peers started with the same training options form one task. `novacron model status`',
    'shows the rounds; `novacron model export|predict` use the committed model.'
  ].join('\n'),
  options: [
    { name: 'bootstrap', type: 'list', value: '<multiaddr>', description: "Bootstrap multiaddr ending in /p2p/<peer id> (default: the bootstrap 'novacron start' runs on this machine)" },
    { name: 'data', type: 'string', value: '<source>', default: 'mnist', description: 'training data: mnist, leaf:<dir> or csv:<file>[,<test file>] (docs/learning.md "Data sources")' },
    { name: 'shard', type: 'string', value: '<i>/<n>', default: '0/1', description: 'take part i of n of the data (mnist/csv: the seeded --partition; LEAF: users j with j mod n = i)' },
    { name: 'partition', type: 'string', value: '<spec>', default: 'dirichlet:0.5', description: 'how mnist/csv training rows are split into --shard parts: iid, dirichlet:<alpha>, shards:<labels>' },
    { name: 'label-column', type: 'string', value: '<name|index>', description: 'CSV label column (default: the last)' },
    { name: 'max-train', type: 'integer', value: '<n>', min: 0, default: 0, description: 'train on at most n rows of the shard (seeded sample; 0 = all)' },
    { name: 'max-test', type: 'integer', value: '<n>', min: 0, default: 0, description: 'evaluate on at most n held-out rows (0 = all)' },
    { name: 'rounds', type: 'integer', min: 1, max: 100_000, default: 20, description: 'rounds of the task (coordinators start no round after it)' },
    { name: 'min-peers', type: 'integer', min: 1, max: 32, default: 2, description: 'no round starts before this many learners joined the task' },
    { name: 'per-round', type: 'integer', min: 0, max: 32, default: 0, description: 'peers selected per round by TCS-FEEL on measured RTT, throughput and reported training rate (0 = every linked learner, at most 32)' },
    { name: 'min-updates', type: 'integer', min: 1, max: 32, default: 2, description: 'a round commits only if at least this many updates arrived by its deadline' },
    { name: 'deadline', type: 'integer', value: '<ms>', min: 100, max: 3_600_000, default: 30_000, description: 'how long a coordinator waits for updates' },
    { name: 'round-timeout', type: 'integer', value: '<ms>', min: 1000, max: 7_200_000, description: 'a coordinator still in the mesh that has not committed within this long after the last round is replaced; one that left the mesh is replaced at once (default: 2 × --deadline + 20000)' },
    { name: 'straggler-factor', type: 'number', min: 0, max: 100, default: 0, description: 'a coordinator stops waiting for the last learners once more than two thirds of the selected (and --min-updates) updates are in and the round has been open this many times the median time they took; 1.5 is what was measured (0 = off: wait for all until the deadline)' },
    { name: 'model', type: 'string', choices: ['mlp', 'cnn'], default: 'mlp', description: 'model (the input size and classes come from the data; cnn needs square images)' },
    { name: 'hidden', type: 'integer', min: 1, max: 4096, default: 64, description: 'hidden units of the MLP' },
    { name: 'epochs', type: 'integer', min: 1, max: 100, default: 1, description: 'local epochs per round' },
    { name: 'batch', type: 'integer', min: 1, max: 4096, default: 32, description: 'local minibatch size' },
    { name: 'lr', type: 'number', min: 1e-6, max: 10, default: 0.1, description: 'local SGD learning rate' },
    { name: 'aggregate', type: 'string', choices: AGGREGATORS, default: 'fedavg', description: 'aggregation rule on the live updates' },
    { name: 'trim', type: 'number', min: 0, max: 0.49, default: 0.2, description: 'trimmed-mean cut / Krum\'s assumed Byzantine share' },
    { name: 'server-opt', type: 'string', choices: ['fedavg', 'adam'], default: 'fedavg', description: 'server step on the aggregate: fedavg (w + Δ) or adam (FedAdam, its state committed with every round; part of the task)' },
    { name: 'server-lr', type: 'number', min: 1e-6, max: 10, default: 0.03, description: 'FedAdam server learning rate η, with --server-opt adam' },
    { name: 'server-beta1', type: 'number', min: 0, max: 0.999, default: 0.5, description: 'FedAdam first-moment decay β1, with --server-opt adam' },
    { name: 'server-beta2', type: 'number', min: 0, max: 0.9999, default: 0.99, description: 'FedAdam second-moment decay β2, with --server-opt adam' },
    { name: 'server-tau', type: 'number', min: 1e-9, max: 1, default: 0.001, description: 'FedAdam adaptivity τ, with --server-opt adam' },
    { name: 'clip-median', type: 'boolean', description: 'scale updates to the round\'s median norm before aggregating' },
    { name: 'quantize', type: 'integer', min: 0, max: 8, default: 8, description: 'uplink quantisation bits (0 = float32)' },
    { name: 'down-quantize', type: 'integer', min: 0, max: 8, default: 8, description: 'downlink bits: each round commits the previous model plus its aggregated delta quantised to b bits, and a peer holding the previous model fetches only that delta (0 = the exact model, fetched whole; part of the task)' },
    { name: 'down-feedback', type: 'string', choices: ['on', 'off'], default: 'off', description: 'with --down-quantize: each round adds back what the last one\'s quantisation dropped (its residual, committed by hash and fetched by the next coordinator only, ~0.8 byte per parameter when the coordinator changes; part of the task)' },
    { name: 'step-budget', type: 'integer', min: 0, max: 1_000_000, default: 0, description: 'local SGD steps the learners of a round train together, about: each at most ⌈N / k⌉ steps, k the participants of the last round, within its --epochs (0 = every learner its full --epochs; part of the task)' },
    { name: 'topk', type: 'number', min: 1e-6, max: 1, default: 1, description: 'uplink top-k fraction with error feedback (1 = dense)' },
    { name: 'dp-clip', type: 'number', min: 1e-6, description: 'client-level DP: clip every update to this L2 norm (absent = no DP)' },
    { name: 'dp-noise', type: 'number', min: 0, default: 1, description: 'DP noise multiplier σ (noise σ·clip/m on the aggregate), with --dp-clip' },
    { name: 'dp-delta', type: 'number', min: 1e-12, max: 0.1, default: 1e-5, description: 'δ of the DP guarantee, with --dp-clip' },
    { name: 'seed', type: 'integer', min: 0, max: 2 ** 32 - 1, default: 1, description: 'seed of the initial model, the data split and the noise (part of the task)' },
    { name: 'metrics-port', type: 'integer', value: '<port>', min: 0, max: 65535, description: 'Serve Prometheus metrics at http://127.0.0.1:<port>/metrics' },
    ...commonOptions,
    ...ledgerOptions
  ],
  examples: [
    'novacron learn --data mnist --shard 0/3 --bootstrap /ip4/127.0.0.1/tcp/7421/ws/p2p/12D3KooW...',
    'novacron learn --data leaf:./femnist --shard 1/4 --aggregate multi-krum --clip-median',
    'novacron learn --data csv:./iris.csv --label-column species --min-peers 3 --json'
  ],
  run
}

function usage<T> (flag: string, fn: () => T): T {
  try { return fn() } catch (err) {
    if (err instanceof LearningConfigError) throw new UsageError(`${flag}: ${err.message}`, flag)
    throw err
  }
}

async function run (args: ParsedArgs, io: CliIO): Promise<number> {
  if (bool(args, 'no-ledger')) throw new UsageError('--no-ledger: live learning commits its rounds through the ledger', '--no-ledger')
  const spec: DataSpec = usage('--data', () => parseDataSpec(str(args, 'data') ?? 'mnist'))
  const shard = usage('--shard', () => parseShard(str(args, 'shard') ?? '0/1'))
  const partitionSpec: PartitionSpec = usage('--partition', () => parsePartition(str(args, 'partition') ?? 'dirichlet:0.5'))
  const seed = num(args, 'seed') ?? 1
  const minUpdates = num(args, 'min-updates') ?? 2
  const perRound = num(args, 'per-round') ?? 0
  if (perRound > 0 && minUpdates > perRound) throw new UsageError(`--min-updates (${minUpdates}) cannot exceed --per-round (${perRound})`, '--min-updates')
  const dpClip = num(args, 'dp-clip')

  // the data first: a bad file stops here, before anything joins the mesh
  const { heldOut, loadDataSource, peerShard } = await import('../../learning/data-source.ts')
  const { setupNodeBackend } = await import('../../learning/backend.ts')
  const loaded = await loadDataSource(spec, { seed, ...labelColumnOf(args) })
  const train = peerShard(loaded, shard.index, shard.count, partitionSpec, seed, num(args, 'max-train') ?? 0)
  const test = heldOut(loaded, seed, num(args, 'max-test') ?? 0)
  if (train.n === 0) throw new UsageError(`--shard ${shard.index}/${shard.count}: this part of ${loaded.name} has no training rows`, '--shard')
  const kind = (str(args, 'model') ?? 'mlp') as 'mlp' | 'cnn'
  const task: LiveTaskConfig = {
    model: { kind, inputDim: loaded.train.dim, classes: loaded.train.classes, ...(kind === 'mlp' ? { hidden: num(args, 'hidden') ?? 64 } : {}) },
    seed,
    localEpochs: num(args, 'epochs') ?? 1,
    batchSize: num(args, 'batch') ?? 32,
    learningRate: num(args, 'lr') ?? 0.1,
    rule: (str(args, 'aggregate') ?? 'fedavg') as AggregatorName,
    clipMedian: bool(args, 'clip-median'),
    trimFraction: num(args, 'trim') ?? 0.2,
    quantizeBits: num(args, 'quantize') ?? 8,
    topK: num(args, 'topk') ?? 1,
    downBits: num(args, 'down-quantize') ?? 8,
    downFeedback: str(args, 'down-feedback') === 'on',
    stepBudget: num(args, 'step-budget') ?? 0,
    dp: dpClip != null ? { clip: dpClip, sigma: num(args, 'dp-noise') ?? 1, delta: num(args, 'dp-delta') ?? 1e-5 } : null,
    perRound,
    minUpdates,
    deadlineMs: num(args, 'deadline') ?? 30_000,
    serverOpt: str(args, 'server-opt') === 'adam'
      ? { learningRate: num(args, 'server-lr') ?? 0.03, beta1: num(args, 'server-beta1') ?? 0.5, beta2: num(args, 'server-beta2') ?? 0.99, tau: num(args, 'server-tau') ?? 0.001 }
      : null
  }
  // a test-only hostile learner (core/learning/live/hostile.ts); never outside NOVACRON_TEST=1
  const hostileEnv = process.env.NOVACRON_TEST === '1' ? process.env.NOVACRON_TEST_HOSTILE : undefined
  const hostile = hostileEnv != null ? (await import('../../../core/learning/live/hostile.ts')).parseHostileKinds(hostileEnv) : undefined
  const choice = await setupNodeBackend()
  const { runPeerCommand } = await import('./peer.ts')
  let live: import('../../learning/live-peer.ts').LivePeer | undefined
  const debug = process.env.NOVACRON_DEBUG != null ? (m: string) => { io.stderr.write(`learn: ${m}\n`) } : undefined
  return await runPeerCommand(args, io, {
    afterStart: async ({ node, privateKey, ledger, control, out }) => {
      if (ledger == null) throw new UsageError('live learning needs the ledger', '--no-ledger')
      const { startLivePeer } = await import('../../learning/live-peer.ts')
      live = await startLivePeer({
        node, privateKey, ledger: ledger.ledger, control, task, train, test, dataName: loaded.name, out,
        rounds: num(args, 'rounds') ?? 20,
        minLearners: num(args, 'min-peers') ?? 2,
        ...(num(args, 'round-timeout') != null ? { roundTimeoutMs: num(args, 'round-timeout') } : {}),
        stragglerFactor: num(args, 'straggler-factor') ?? 0,
        ...(debug != null ? { log: debug } : {}),
        ...(hostile != null ? { hostile } : {})
      })
      out('learn:start', { task: live.learning.task, data: loaded.name, shard: `${shard.index}/${shard.count}`, trainSamples: train.n, testSamples: test.n, classes: task.model.classes, inputDim: task.model.inputDim, backend: choice.backend, ...(hostile != null ? { hostile } : {}) },
        `learning    task ${live.learning.task}: ${loaded.name} shard ${shard.index}/${shard.count}, ${train.n} training / ${test.n} held-out rows, ${task.model.classes} classes, backend ${choice.backend}`)
    },
    beforeStop: async () => { await live?.stop() }
  })
}
