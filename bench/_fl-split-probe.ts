/**
 * Which part of the live-vs-fl-sim accuracy gap is the data (docs/learning.md, "The accuracy gap"):
 * runs the engine (`runFederated`, fl-sim's code) with bench/live-learning's fl-sim configuration
 * three ways, one process, same seed:
 *
 *   sim       fl-sim's own data: 400 rows per class (4,000), a Dirichlet(0.5) partition into P
 *             clients of unequal size (FedAvg weighs them by size), its 2,000 held-out rows;
 *   liveData  the rows the P live learners train on: `novacron learn --shard i/P --max-train 500`
 *             (shard i of the Dirichlet(0.5) partition of all 8,000 training rows, each cut to 500
 *             rows: equal sizes, equal weights), fl-sim's 2,000 held-out rows;
 *   liveEval  the same, evaluated on the live learners' held-out set (`--max-test 500`: the same
 *             500 rows on every learner).
 *
 * Usage: node --import tsx bench/_fl-split-probe.ts --seeds 5,6,7 [--peers 8 --rounds 6 --down-quantize 2]
 * Prints one JSON line per seed and variant; not a benchmark of its own (no results file).
 */
import { balancedSample, createRng, runFederated, type FederatedConfig } from '../core/learning/index.ts'
import { loadLz4Compressor } from '../core/learning/compression.ts'
import { setupNodeBackend } from '../node-runtime/learning/backend.ts'
import { liveBenchFlSimArgs } from './_fl-sim-flags.ts'
import { heldOut, loadDataSource, peerRows } from '../node-runtime/learning/data-source.ts'
import { command, configFromArgs } from '../node-runtime/cli/commands/fl-sim.ts'
import { parseCommandArgs } from '../node-runtime/cli/args.ts'

const argv = process.argv.slice(2)
const opt = (name: string, def: string): string => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : def }
const seeds = opt('--seeds', '5').split(',').map(Number)
const P = Number(opt('--peers', '8'))
const R = Number(opt('--rounds', '6'))
const DOWN = Number(opt('--down-quantize', '2'))
const HIDDEN = 32

await setupNodeBackend()
const lz = (await loadLz4Compressor()).compressor ?? undefined

for (const seed of seeds) {
  // bench/live-learning's fl-sim flags: random selection of all P, FedAvg η 1, constant lr 0.1, 4-bit top-10 % up, b-bit down
  const cfg: FederatedConfig = configFromArgs(parseCommandArgs(command, liveBenchFlSimArgs({ peers: P, rounds: R, quantize: 4, topk: 0.1, down: DOWN, hidden: HIDDEN, seed })))
  cfg.compressor = lz
  const loaded = await loadDataSource({ kind: 'mnist' }, { seed, testFraction: 0.2 })
  // what `novacron learn --shard i/P --max-train 500 --max-test 500 --seed s` takes (learn.ts)
  const liveParts = Array.from({ length: P }, (_, i) => peerRows(loaded, i, P, { kind: 'dirichlet', alpha: 0.5 }, seed, 500))
  const liveTest = heldOut(loaded, seed, 500)
  const simTrain = balancedSample(loaded.train, 400, createRng(seed).fork('sample'))
  const variants: Array<[string, Parameters<typeof runFederated>[1]]> = [
    ['sim', { train: simTrain, test: loaded.test }],
    ['liveData', { train: loaded.train, test: loaded.test, parts: liveParts }],
    ['liveEval', { train: loaded.train, test: liveTest, parts: liveParts }]
  ]
  for (const [name, data] of variants) {
    const t0 = Date.now()
    const s = await runFederated(cfg, data)
    console.log(JSON.stringify({ seed, variant: name, finalAccuracy: s.finalAccuracy, perRound: s.rounds.map(r => Number(r.accuracy.toFixed(4))), sizes: name === 'sim' ? undefined : liveParts.map(p => p.length), wallS: (Date.now() - t0) / 1000 }))
  }
}
