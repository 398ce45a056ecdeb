/**
 * `npm run bench -- live-learning`: federated rounds over the live mesh against the same
 * configuration simulated by `novacron fl-sim`, in one run. `novacron start` (the ledger's only
 * replica: `ledger.maxReplicas` 1, so the ledger's own consensus is not what is measured) and P
 * `novacron learn` processes on loopback, each on shard i/P of the bundled MNIST (Dirichlet(0.5),
 * ≤ 500 training and 500 held-out rows), MLP 784-32-10, 8-bit updates, FedAvg, every learner in
 * every round (`--min-updates P`). Reports:
 *
 * - rounds per minute and the time between consecutive commits (p50, p95), as peer 0 saw them;
 * - bytes sent per round by message type (all peers together), against dense float32 FedAvg
 *   (the named baseline: every participant uploads and downloads 4 bytes per parameter);
 * - the live final accuracy (mean of the peers' held-out accuracy of the last committed model)
 *   against `fl-sim` with the same configuration and seed (P clients, all per round, random
 *   selection, FedAvg server step η 1, constant client lr 0.1, 8-bit, hidden 32, 150 training
 *   digits per class ≈ 500 per client).
 *
 * Flags: --peers P (3) --rounds R (5) --seed S (5). Writes bench/results/live-learning.json.
 * Not measured here yet: 8/16 peers, tabs in the mesh, the relay tree, 30 % dropouts.
 */
import os from 'node:os'
import { median, percentile, writeResult } from './_results.ts'
import { LedgerCluster } from '../test/_support/ledger-cluster.ts'
import { modelStatus, startLearner, type Learner } from '../test/_support/learners.ts'
import { cleanup, startCli } from '../test/_support/processes.ts'
import { waitFor } from '../test/_support/wait.ts'
import type { ModelStatus } from '../node-runtime/learning/live-peer.ts'

const argv = process.argv.slice(2)
const flag = (name: string, def: number): number => {
  const i = argv.indexOf(name)
  const v = i >= 0 ? Number(argv[i + 1]) : def
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} expects a positive integer`)
  return v
}
const P = flag('--peers', 3)
const R = flag('--rounds', 5)
const SEED = flag('--seed', 5)
const HIDDEN = 32

async function live (): Promise<{ roundsPerMinute: number, commitGapMs: { p50: number, p95: number }, bytesPerRound: Record<string, number>, bytesPerRoundTotal: number, denseFedAvgBytesPerRound: number, ratioToDense: number, finalAccuracy: number, accuracyPerRound: number[], parameters: number, wallMs: number }> {
  const cluster = new LedgerCluster()
  const learners: Learner[] = []
  try {
    const boot = await cluster.startBoot()
    await cluster.op(boot, 'config.set', { key: 'ledger.maxReplicas', value: 1 })
    const flags = ['--data', 'mnist', '--max-train', '500', '--max-test', '500', '--hidden', String(HIDDEN), '--rounds', String(R), '--min-peers', String(P),
      '--min-updates', String(P), '--deadline', '120000', '--seed', String(SEED), '--quantize', '8']
    for (let i = 0; i < P; i++) learners.push(await startLearner(cluster, `learner${i}`, [...flags, '--shard', `${i}/${P}`]))
    const seen = new Map<number, number>()
    const t0 = performance.now()
    let last: ModelStatus[] = []
    await waitFor(async () => {
      last = await Promise.all(learners.map(modelStatus))
      for (const r of last[0].rounds) if (!seen.has(r.round)) seen.set(r.round, performance.now())
      return last.every(s => s.round === R && s.held && s.rounds.every(r => r.localAccuracy != null))
    }, { timeout: 3_600_000, interval: 200, message: () => `round ${R} on every peer; now ${last.map(s => s.round).join(', ')}` })
    const wallMs = performance.now() - t0
    const times = [...seen.entries()].sort((a, b) => a[0] - b[0]).map(([, t]) => t)
    const gaps = times.slice(1).map((t, i) => t - times[i])
    const byType: Record<string, number> = {}
    for (const s of last) for (const [k, v] of Object.entries(s.stats.bytesSentByType)) byType[k] = (byType[k] ?? 0) + v
    const perRound = Object.fromEntries(Object.entries(byType).map(([k, v]) => [k, Math.round(v / R)]))
    const total = Object.values(perRound).reduce((a, b) => a + b, 0)
    const parameters = 784 * HIDDEN + HIDDEN + HIDDEN * 10 + 10
    const dense = P * 2 * parameters * 4
    const acc = last[0].rounds.map(r => r.localAccuracy as number)
    const finalAccuracy = last.reduce((s, x) => s + (x.rounds.at(-1)?.localAccuracy ?? 0), 0) / last.length
    return {
      roundsPerMinute: gaps.length > 0 ? Number((60_000 / median(gaps)).toFixed(2)) : Number.NaN,
      commitGapMs: { p50: Math.round(median(gaps)), p95: Math.round(percentile(gaps, 95)) },
      bytesPerRound: perRound, bytesPerRoundTotal: total, denseFedAvgBytesPerRound: dense, ratioToDense: Number((total / dense).toFixed(4)),
      finalAccuracy: Number(finalAccuracy.toFixed(4)), accuracyPerRound: acc, parameters, wallMs: Math.round(wallMs)
    }
  } finally {
    await cleanup(...learners.map(l => async () => await l.proc.stop()), async () => { await cluster.stop() })
  }
}

async function simulated (): Promise<{ finalAccuracy: number, accuracyPerRound: number[], wallMs: number }> {
  const t0 = performance.now()
  const p = startCli(['fl-sim', '--clients', String(P), '--per-round', String(P), '--rounds', String(R), '--partition', 'dirichlet:0.5', '--select', 'random',
    '--server-opt', 'sgd', '--server-ema', '0', '--lr', '0.1', '--final-lr', '0.1', '--quantize', '8', '--hidden', String(HIDDEN), '--train-per-class', '150', '--seed', String(SEED), '--json'])
  const code = await p.exited
  if (code !== 0) throw new Error(`fl-sim exited ${code}: ${p.stderr.slice(-2000)}`)
  const lines = p.stdout.trim().split('\n').map(l => JSON.parse(l) as { event: string, accuracy?: number, finalAccuracy?: number })
  return {
    finalAccuracy: Number((lines.find(l => l.event === 'summary')?.finalAccuracy ?? Number.NaN).toFixed(4)),
    accuracyPerRound: lines.filter(l => l.event === 'round').map(l => l.accuracy as number),
    wallMs: Math.round(performance.now() - t0)
  }
}

const load = os.loadavg()[0]
const liveRow = await live()
const simRow = await simulated()
const result = {
  config: { peers: P, rounds: R, seed: SEED, model: `mlp 784-${HIDDEN}-10`, data: 'mnist shard i/P, dirichlet:0.5, ≤ 500 train / 500 held-out rows per peer', quantizeBits: 8, aggregate: 'fedavg', serverStep: 'fedavg (η 1)' },
  live: liveRow,
  flSim: simRow,
  accuracyGapPoints: Number(((liveRow.finalAccuracy - simRow.finalAccuracy) * 100).toFixed(2)),
  loadAverageAtStart: Number(load.toFixed(2))
}
console.log(JSON.stringify(result, null, 2))
console.log(`bench: wrote ${writeResult('live-learning', result)}`)
