/**
 * Whether live learning's accuracy surplus over `fl-sim` at 3 peers (docs/learning.md, "Accuracy:
 * the data split, and downlink feedback": +0.2 to +3.0 points, one live run per seed) is a
 * difference of method or of chance. One process, no network: the real `LiveLearning` rounds
 * (service.ts, coordinator.ts, participant.ts — the code every `novacron learn` runs) over the
 * in-memory mesh and ledger of the tests, on exactly the rows and held-out set that
 * bench/live-learning's learners and its `fl-sim --max-train 500 --max-test 500` use, against
 * the engine (`runFederated`, fl-sim's code) on the same. A live learner's training and rounding
 * streams are forked from its peer id (participant.ts), and a real run's peer ids are fresh keys:
 * so each live repetition here takes P new Ed25519 keys, as P fresh processes would.
 *
 * Usage: node --import tsx --import ./node-runtime/polyfills.mjs bench/_live-sim-probe.ts
 *   --seeds 5,6,7 [--peers 3 --rounds 6 --reps 4 --down-quantize 2 --sim-reps 1]
 * Prints one JSON line per seed: fl-sim's accuracy (and with `--sim-reps k`, k − 1 more runs of the
 * engine on the same rows with other streams and initial weights: seed + 1000·j), each live
 * repetition's, their mean and spread.
 */
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { runFederated, subset, Trainer, type FederatedConfig } from '../core/learning/index.ts'
import { loadLz4Compressor } from '../core/learning/compression.ts'
import { LiveLearning, learningIdentity, type LiveTaskConfig } from '../core/learning/live/index.ts'
import { parseCommandArgs } from '../node-runtime/cli/args.ts'
import { command, configFromArgs } from '../node-runtime/cli/commands/fl-sim.ts'
import { setupNodeBackend } from '../node-runtime/learning/backend.ts'
import { liveBenchFlSimArgs } from './_fl-sim-flags.ts'
import { heldOut, loadDataSource, peerRows } from '../node-runtime/learning/data-source.ts'
import { MemLedger, MemMesh } from '../test/learning/_mem.ts'
import { weightsOf } from '../test/learning/_learners.ts'
import { waitFor } from '../test/_support/wait.ts'

const argv = process.argv.slice(2)
const opt = (name: string, def: string): string => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : def }
const seeds = opt('--seeds', '5').split(',').map(Number)
const P = Number(opt('--peers', '3'))
const R = Number(opt('--rounds', '6'))
const REPS = Number(opt('--reps', '4'))
const DOWN = Number(opt('--down-quantize', '2'))
const SIM_REPS = Number(opt('--sim-reps', '1'))
const HIDDEN = 32

await setupNodeBackend()
const lz = (await loadLz4Compressor()).compressor ?? undefined

for (const seed of seeds) {
  const loaded = await loadDataSource({ kind: 'mnist' }, { seed, testFraction: 0.2 })
  // what `novacron learn --shard i/P --max-train 500 --max-test 500 --seed s` takes (data-source.ts peerRows / heldOut)
  const parts = Array.from({ length: P }, (_, i) => peerRows(loaded, i, P, { kind: 'dirichlet', alpha: 0.5 }, seed, 500))
  const test = heldOut(loaded, seed, 500)
  // bench/live-learning's fl-sim flags
  const cfg: FederatedConfig = configFromArgs(parseCommandArgs(command, liveBenchFlSimArgs({ peers: P, rounds: R, quantize: 4, topk: 0.1, down: DOWN, hidden: HIDDEN, seed })))
  cfg.compressor = lz
  const sim = await runFederated(cfg, { train: loaded.train, test, parts })
  // fl-sim's own chance: the same rows and held-out set, other streams (and initial weights): seed + 1000·k
  const simOthers: number[] = []
  for (let k = 1; k < SIM_REPS; k++) simOthers.push((await runFederated({ ...cfg, seed: seed + 1000 * k }, { train: loaded.train, test, parts })).finalAccuracy)
  // bench/live-learning's learners: `learn --hidden 32 --quantize 4 --topk 0.1 --down-quantize b --min-updates P`
  const task: LiveTaskConfig = {
    model: { kind: 'mlp', inputDim: loaded.train.dim, classes: loaded.train.classes, hidden: HIDDEN }, seed, localEpochs: 1, batchSize: 32, learningRate: 0.1,
    rule: 'fedavg', clipMedian: false, trimFraction: 0.2, quantizeBits: 4, topK: 0.1, downBits: DOWN, downFeedback: false, dp: null, perRound: 0, minUpdates: P, deadlineMs: 600_000, serverOpt: null
  }
  const live: Array<{ accuracy: number, perRound: number[] }> = []
  for (let rep = 0; rep < REPS; rep++) {
    const keys = await Promise.all(Array.from({ length: P }, async (_, i) => await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(100 + rep * P + i))))
    const mesh = new MemMesh()
    const ledger = new MemLedger()
    const trainers = keys.map(() => new Trainer(task.model, weightsOf(task.model)))
    const learners = keys.map((k, i) => {
      const id = peerIdFromPrivateKey(k).toString()
      return new LiveLearning({ task, train: subset(loaded.train, parts[i]), test, rounds: R, minLearners: P, pollMs: 20 },
        { mesh: mesh.port(id), ledger: ledger.port(id), trainer: trainers[i], identity: learningIdentity(k), compressor: lz })
    })
    for (const l of learners) await l.start()
    await waitFor(() => learners.every(l => l.status().rounds.length >= R && l.status().rounds.every(r => r.localAccuracy != null)), { timeout: 600_000, interval: 100, message: 'every round evaluated' })
    const rounds = learners[0].status().rounds
    live.push({ accuracy: rounds[R - 1].localAccuracy as number, perRound: rounds.map(r => Number((r.localAccuracy as number).toFixed(4))) })
    for (const l of learners) await l.stop()
    for (const t of trainers) t.dispose()
  }
  const accs = live.map(l => l.accuracy)
  const mean = accs.reduce((a, b) => a + b, 0) / accs.length
  const sd = Math.sqrt(accs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, accs.length - 1))
  console.log(JSON.stringify({
    seed, peers: P, rounds: R, down: DOWN, flSim: sim.finalAccuracy, flSimPerRound: sim.rounds.map(r => Number(r.accuracy.toFixed(4))),
    ...(simOthers.length > 0 ? { flSimOtherStreams: simOthers, flSimMean: Number(([sim.finalAccuracy, ...simOthers].reduce((a, b) => a + b, 0) / (simOthers.length + 1)).toFixed(4)) } : {}),
    live: accs, liveMean: Number(mean.toFixed(4)), liveSd: Number(sd.toFixed(4)), surplusPoints: Number(((mean - sim.finalAccuracy) * 100).toFixed(2)), livePerRound: live.map(l => l.perRound)
  }))
}
process.exit(0)
