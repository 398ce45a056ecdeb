/**
 * `npm run bench -- consensus [--runs N] [--sizes 16,64,128,256] [--decisions D] [--workers W]`
 *
 *   1. crypto: ECVRF prove/verify per second next to @noble/curves ed25519 sign/verify (same run)
 *   2. messages and bytes per decision, ProBFT vs the PBFT baseline (ratio), at each n, with no
 *      Byzantine replica and with f = ⌊(n−1)/3⌋ silent ones
 *   3. safety: N seeded runs at n = 16 with f = 5 Byzantine replicas, each run one view led by an
 *      equivocating Byzantine leader (the strongest attack the simulator has), counting violations
 *      against the model's per-view prediction
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
import * as prng from 'lib0/prng'
import { binomialCdf, binomialSf, initCoreWasm } from '../core-wasm/index.ts'
import { simulate, type SimResult } from '../core/consensus/index.ts'
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

// Part 3: replica 0 (the leader of slot 0, view 0) is always Byzantine, so every run is one view
// under attack by an equivocating leader with f − 1 = 4 Byzantine voters on its side.
const SAFETY = { n: 16, byzantine: 5, decisions: 1, strategy: 'equivocating-leader' as const }
function safetyRun (seed: number): SimResult {
  const rng = prng.create(seed)
  const others = [...Array(15).keys()].map(i => i + 1)
  for (let i = others.length - 1; i > 0; i--) { const j = prng.int32(rng, 0, i); [others[i], others[j]] = [others[j], others[i]] }
  return simulate({ protocol: 'probft', ...SAFETY, byzantineIds: [0, ...others.slice(0, 4)], seed, quorumMath, maxTicks: 2000 })
}

if (arg('worker') != null) {
  // worker mode: run the given seeds, report each result to the parent as it completes, exit
  for (const seed of (arg('worker') as string).split(',').map(Number)) {
    const r = safetyRun(seed)
    process.send?.({ seed: r.seed, safetyViolations: r.safetyViolations, decided: r.decided, completed: r.completed, leaderEvidence: r.evidence.leader, model: r.model })
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
      probft: { s: p.sampleSize, q: p.quorum, messagesPerDecision: p.messagesPerDecision, bytesPerDecision: p.bytesPerDecision, latencySteps: p.latencySteps, decided: p.decided, safetyViolations: p.safetyViolations, seconds: +((t1 - t0) / 1000).toFixed(1) },
      pbft: { q: b.quorum, messagesPerDecision: b.messagesPerDecision, bytesPerDecision: b.bytesPerDecision, latencySteps: b.latencySteps, decided: b.decided, safetyViolations: b.safetyViolations, seconds: +((t2 - t1) / 1000).toFixed(1) },
      messageRatio: +(p.messagesPerDecision / b.messagesPerDecision).toFixed(3),
      byteRatio: +(p.bytesPerDecision / b.bytesPerDecision).toFixed(3)
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
const runs = Number(arg('runs') ?? 100)
const workers = Math.max(1, Math.min(runs, Number(arg('workers') ?? os.availableParallelism())))
const seeds = Array.from({ length: runs }, (_, i) => 1000 + i)
const self = fileURLToPath(import.meta.url)
type Outcome = { seed: number, safetyViolations: number, decided: number, completed: boolean, leaderEvidence: number, model: SimResult['model'] }
const t0 = performance.now()
const outcomes: Outcome[] = []
await Promise.all(Array.from({ length: workers }, async (_, w) => await new Promise<void>((resolve, reject) => {
  const mine = seeds.filter((_, i) => i % workers === w)
  const child = fork(self, ['--worker', mine.join(',')], { execArgv: ['--import', 'tsx', '--import', './node-runtime/polyfills.mjs'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  child.on('message', m => {
    outcomes.push(m as Outcome)
    if (outcomes.length % 25 === 0) {
      console.log(`safety: ${outcomes.length}/${runs} runs, ${outcomes.reduce((s, o) => s + o.safetyViolations, 0)} violations`)
      result.safety = summary(); save()
    }
  })
  child.once('exit', code => { if (code !== 0) reject(new Error(`worker exited with ${code}`)); else resolve() })
})))
function summary (): Record<string, unknown> {
  const violations = outcomes.reduce((s, o) => s + o.safetyViolations, 0)
  return {
    ...SAFETY, f: 5, runsRequested: runs, runsCompleted: outcomes.length, workers,
    seconds: +((performance.now() - t0) / 1000).toFixed(1),
    // every run attacks view 0 of slot 0; leader evidence shows the equivocation was seen
    runsWithEquivocationSeen: outcomes.filter(o => o.leaderEvidence > 0).length,
    runsNotFinished: outcomes.filter(o => !o.completed).length,
    safetyViolations: violations,
    empiricalViolationRatePerAttackedView: violations / Math.max(1, outcomes.length),
    modelSafetyFailurePerView: outcomes[0]?.model?.safetyFailurePerView ?? null
  }
}
const safety = summary()
console.log('safety:', safety)
result.safety = safety
}
console.log('results:', save())
