/**
 * `npm run bench -- consensus [--runs N] [--sizes 16,64,128,256] [--decisions D] [--workers W]`
 *
 *   0. model: the consensus sizing (quorum.ts) next to core-wasm's solveQuorum at the same sample size
 *   1. crypto: ECVRF prove/verify per second next to @noble/curves ed25519 sign/verify (same run)
 *   2. messages and bytes per decision, ProBFT vs the PBFT baseline (ratio), at each n, with no
 *      Byzantine replica and with f = ⌊(n−1)/3⌋ silent ones
 *   3. safety: N (default 1,000) seeded runs of the sweep in core/consensus/sim/sweep.ts, f =
 *      ⌊(n−1)/3⌋ Byzantine replicas under every strategy, half of them an equivocating leader;
 *      violations and the empirical failure rate next to the model's bound (Σ attacked views ×
 *      the per-view safety failure)
 *
 * Everything uses real signatures and VRF proofs. Seeds of part 3 run in forked workers.
 * Writes bench/results/consensus.json.
 */
import { fork } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ed25519 } from '@noble/curves/ed25519.js'
import { binomialCdf, binomialSf, initCoreWasm, solveQuorum } from '../core-wasm/index.ts'
import { simulate, solveProbft, type SimResult } from '../core/consensus/index.ts'
import { summariseSweep, sweepCase, sweepOutcome, type SweepOutcome } from '../core/consensus/sim/sweep.ts'
import { keygen, prove, verify } from '../core/vrf/index.ts'
import { median, writeResult } from './_results.ts'

const argv = process.argv.slice(2)
const arg = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`)
  return i >= 0 ? argv[i + 1] : argv.find(a => a.startsWith(`--${name}=`))?.split('=')[1]
}
await initCoreWasm()
const quorumMath = { binomialSf, binomialCdf }
const parts = new Set((arg('parts') ?? 'crypto,messages,safety').split(','))
/** Parts not run this time keep their last results (bench/results/consensus.json is merged, not replaced). */
const resultFile = join(dirname(fileURLToPath(import.meta.url)), 'results', 'consensus.json')
const result: Record<string, unknown> = {}
const save = (): string => {
  // re-read before writing, so two runs with different --parts can write the same file
  const previous = (existsSync(resultFile) ? (JSON.parse(readFileSync(resultFile, 'utf8')) as { result?: Record<string, unknown> }).result : undefined) ?? {}
  return writeResult('consensus', { ...previous, ...result })
}

// Part 3: the seeded safety sweep of core/consensus/sim/sweep.ts (mostly n = 16, some 32 and 64,
// f = ⌊(n−1)/3⌋ Byzantine, half the runs an equivocating leader, the rest every strategy).
if (arg('worker') != null) {
  // worker mode: run the given sweep indexes, report each outcome to the parent as it completes, exit
  for (const index of (arg('worker') as string).split(',').map(Number)) {
    const c = sweepCase(index)
    process.send?.(sweepOutcome(c, simulate({ ...c, quorumMath })))
  }
  process.disconnect?.()
  process.exit(0)
}

function opsPerSecond (ms: number[]): number { return Math.round(1000 / median(ms)) }
function perOp (count: number, fn: () => void): number[] {
  const times: number[] = []
  for (let i = 0; i < count; i++) { const t = performance.now(); fn(); times.push(performance.now() - t) }
  return times
}

// ---- 0. the sizing model (core/consensus/quorum.ts) next to core-wasm's solveQuorum at the same s
if (parts.has('model') || parts.has('messages')) {
  result.model = [16, 32, 64, 128, 256].map(n => {
    const f = Math.floor((n - 1) / 3)
    const p = solveProbft(quorumMath, { n, f, targetFailure: 1e-3 })
    const w = solveQuorum({ n, f, sampleSize: p.sampleSize, targetFailure: 1e-3 })
    return {
      n, f, s: p.sampleSize,
      consensus: { q: p.quorum, safetyFailurePerView: p.safetyFailure, livenessFailurePerPhase: p.livenessFailure },
      coreWasmSolveQuorum: { q: w.q, safetyFailure: w.safetyFailure, livenessFailure: w.livenessFailure, perReplicaLivenessFailure: w.perReplicaLivenessFailure, feasible: w.feasible }
    }
  })
  console.log('model:', JSON.stringify(result.model))
  save()
}

// ---- 1. crypto
if (parts.has('crypto')) {
const msg = new TextEncoder().encode('novacron/probft/v1 prepare slot 1 view 0')
const { secretKey, publicKey } = ed25519.keygen(new Uint8Array(32).fill(3))
const vk = keygen(new Uint8Array(32).fill(4))
const sig = ed25519.sign(msg, secretKey)
const pi = prove('TAI', vk.secretKey, msg)
const piEll2 = prove('ELL2', vk.secretKey, msg)
const crypto = {
  ed25519SignPerSec: opsPerSecond(perOp(300, () => ed25519.sign(msg, secretKey))),
  ed25519VerifyPerSec: opsPerSecond(perOp(300, () => ed25519.verify(sig, msg, publicKey, { zip215: false }))),
  vrfTaiProvePerSec: opsPerSecond(perOp(150, () => prove('TAI', vk.secretKey, msg))),
  vrfTaiVerifyPerSec: opsPerSecond(perOp(150, () => verify('TAI', vk.publicKey, msg, pi))),
  vrfEll2ProvePerSec: opsPerSecond(perOp(150, () => prove('ELL2', vk.secretKey, msg))),
  vrfEll2VerifyPerSec: opsPerSecond(perOp(150, () => verify('ELL2', vk.publicKey, msg, piEll2)))
}
console.log('crypto (ops/s, median of single operations):', crypto)
result.crypto = crypto
save()
}

// ---- 2. messages per decision
if (parts.has('messages')) {
const byzSizes = new Set((arg('byzantine-sizes') ?? '16,64,128,256').split(',').map(Number))
const sizes = (arg('sizes') ?? '16,64,128,256').split(',').map(Number).filter(n => n >= 4)
const rows: Array<Record<string, unknown>> = []
for (const n of sizes) {
  const f = Math.floor((n - 1) / 3)
  const decisions = Number(arg('decisions') ?? (n <= 64 ? 4 : 2))
  for (const byzantine of byzSizes.has(n) ? [0, f] : [0]) {
    const run = (protocol: 'probft' | 'pbft'): SimResult => simulate({ protocol, n, byzantine, strategy: 'silent', decisions, seed: 1, quorumMath, partitions: 0 })
    const t0 = performance.now()
    const p = run('probft')
    const t1 = performance.now()
    const b = run('pbft')
    const t2 = performance.now()
    const row = {
      n, f, byzantine, decisions,
      probft: { s: p.sampleSize, q: p.quorum, messagesByKind: p.messagesByKind, viewChanges: p.viewChanges, messagesPerDecision: p.messagesPerDecision, bytesPerDecision: p.bytesPerDecision, latencySteps: p.latencySteps, decided: p.decided, safetyViolations: p.safetyViolations, seconds: +((t1 - t0) / 1000).toFixed(1) },
      pbft: { q: b.quorum, messagesByKind: b.messagesByKind, viewChanges: b.viewChanges, messagesPerDecision: b.messagesPerDecision, bytesPerDecision: b.bytesPerDecision, latencySteps: b.latencySteps, decided: b.decided, safetyViolations: b.safetyViolations, seconds: +((t2 - t1) / 1000).toFixed(1) },
      messageRatio: +(p.messagesPerDecision / b.messagesPerDecision).toFixed(3),
      byteRatio: +(p.bytesPerDecision / b.bytesPerDecision).toFixed(3),
      loadavg: os.loadavg().map(l => +l.toFixed(2))
    }
    rows.push(row)
    result.messages = rows
    save()
    console.log(`n=${n} byzantine=${byzantine}: ProBFT ${p.messagesPerDecision} msgs (${p.bytesPerDecision} B) vs PBFT ${b.messagesPerDecision} msgs (${b.bytesPerDecision} B): ratio ${row.messageRatio} (bytes ${row.byteRatio}); latency steps median ${p.latencySteps.median} vs ${b.latencySteps.median}`)
  }
}

}

// ---- 3. safety over seeded Byzantine runs
if (parts.has('safety')) {
const runs = Number(arg('runs') ?? 1000)
const workers = Math.max(1, Math.min(runs, Number(arg('workers') ?? os.availableParallelism())))
// --from=K runs sweep indexes K … K + runs − 1 (to add runs to an earlier sweep); stored under its own key
const from = Number(arg('from') ?? 0)
const key = from === 0 ? 'safety' : `safety_${from}_${from + runs - 1}`
const indexes = Array.from({ length: runs }, (_, i) => from + i)
const self = fileURLToPath(import.meta.url)
const t0 = performance.now()
const outcomes: SweepOutcome[] = []
const summary = (): Record<string, unknown> => ({
  plan: `core/consensus/sim/sweep.ts sweepCase(${from} … ${from + runs - 1})`, runsRequested: runs, workers,
  seconds: +((performance.now() - t0) / 1000).toFixed(1), loadavg: os.loadavg().map(l => +l.toFixed(2)),
  ...summariseSweep(outcomes),
  violatingRuns: outcomes.filter(o => o.safetyViolations > 0).map(o => o.index)
})
await Promise.all(Array.from({ length: workers }, async (_, w) => await new Promise<void>((resolve, reject) => {
  const mine = indexes.filter((_, i) => i % workers === w)
  const child = fork(self, ['--worker', mine.join(',')], { execArgv: ['--import', 'tsx', '--import', './node-runtime/polyfills.mjs'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  child.on('message', m => {
    outcomes.push(m as SweepOutcome)
    if (outcomes.length % 50 === 0) {
      console.log(`safety: ${outcomes.length}/${runs} runs, ${outcomes.filter(o => o.safetyViolations > 0).length} with a violation`)
      result[key] = summary(); save()
    }
  })
  child.once('exit', code => { if (code !== 0) reject(new Error(`worker exited with ${code}`)); else resolve() })
})))
const safety = summary()
console.log('safety:', JSON.stringify(safety))
result[key] = safety
}
console.log('results:', save())
