/**
 * `npm run bench -- ledger-proofs [--n 4] [--entries 20] [--rounds 4] [--runs 3] [--seed S]`
 *
 * VRF proofs computed ahead of need (docs/ledger.md, "The next slot's VRF proofs ahead of time":
 * right after a decision a ProBFT replica proves its view-0 PREPARE and COMMIT inputs of the next
 * slot, so the engine finds them ready when the proposal comes) against the baseline without it
 * (`LedgerNodeInit.prewarmProofs: false`), in the same run: two meshes of `--n` ProBFT replicas
 * over the in-memory network of the ledger tests (the real LedgerNode and crypto, seeded delays),
 * in one process, each submitting `--entries` notes one at a time per round, in ABBA order over
 * `--rounds` rounds so both see the same machine load. Per mesh, per decision per replica:
 *   - proofs made, of them made ahead, made when needed (on the critical path: the engine waits
 *     for them), served from the ones made ahead, and made ahead but never used (view changes);
 *   - the CPU those critical-path proofs cost (count × this process's CPU per proof, measured here:
 *     a figure load does not inflate);
 *   - submit → commit latency p50/p99 (wall time: on a loaded machine mostly waiting for a CPU;
 *     the ratio between the two meshes is the figure), and the peers' own first input → decision
 *     (`status().timing`; with one entry at a time a late vote of the previous slot starts the
 *     next slot's clock during the idle gap, so it is noisier than the latency).
 * `--runs` repeats the whole comparison with fresh meshes (seeds S, S + 1, …); the JSON has each
 * run (`each`) and the medians of the ratios. Writes bench/results/ledger-proofs.json with `os.loadavg()`.
 */
import os from 'node:os'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { keygen, prove } from '../core/vrf/index.ts'
import { MemNet, ready, seededKey, type MemPeer } from '../test/ledger/_memnet.ts'
import { waitFor } from '../test/_support/wait.ts'
import { median, percentile, writeResult } from './_results.ts'

const argv = process.argv.slice(2)
const arg = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`)
  return i >= 0 ? argv[i + 1] : argv.find(a => a.startsWith(`--${name}=`))?.split('=')[1]
}
const n = Number(arg('n') ?? 4)
const entries = Number(arg('entries') ?? 20)
const rounds = Number(arg('rounds') ?? 4)
const runs = Number(arg('runs') ?? 3)
const seed0 = Number(arg('seed') ?? 1)

await ready()
const loadavgStart = os.loadavg().map(l => +l.toFixed(2))

/** CPU ms (user + system) per ECVRF proof in this process */
function proveCpuMs (count = 40): number {
  const k = keygen(new Uint8Array(32).fill(3))
  const alpha = new TextEncoder().encode('novacron ledger proofs bench')
  const c0 = process.cpuUsage()
  for (let i = 0; i < count; i++) prove('TAI', k.secretKey, alpha)
  const c = process.cpuUsage(c0)
  return +((c.user + c.system) / 1000 / count).toFixed(3)
}

interface Mesh { name: string, prewarm: boolean, net: MemNet, peers: MemPeer[], latencies: number[] }

async function mesh (name: string, prewarm: boolean, seed: number): Promise<Mesh> {
  const net = new MemNet(seed)
  const key = await seededKey(`proofs bench ${name} ${seed}`)
  const gid = peerIdFromPrivateKey(key).toString()
  const init = { genesisPeerId: gid, syncIntervalMs: 500, prewarmProofs: prewarm }
  const peers = [await net.add(`proofs bench ${name} ${seed}`, init, { key })]
  for (let i = 1; i < n; i++) peers.push(await net.add(`proofs bench ${name} ${i} ${seed}`, init))
  await waitFor(() => peers.every(p => p.node.status().replicas.length === n && p.node.status().replica),
    { timeout: 600_000, message: () => `${name}: ${n} replicas (${peers.map(p => p.node.status().replicas.length).join(',')})` })
  return { name, prewarm, net, peers, latencies: [] }
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0)
type Snap = Array<{ made: number, ahead: number, prewarmed: number, decided: number, decideMs: number, height: number }>
const snap = (m: Mesh): Snap => m.peers.map(p => {
  const s = p.node.status()
  return { made: s.verification?.proofsMade ?? 0, ahead: s.verification?.proofsAhead ?? 0, prewarmed: s.verification?.proofsPrewarmed ?? 0, decided: s.timing?.decided ?? 0, decideMs: s.timing?.decideMs ?? 0, height: s.height }
})

async function runOnce (seed: number): Promise<Record<string, unknown>> {
  const meshes = [await mesh('ahead', true, seed), await mesh('baseline', false, seed)]
  // one decision each first, so the counts below start between two decisions (a proof made ahead
  // before the first snapshot and used after it would otherwise show as "unused" < 0)
  for (const m of meshes) await m.peers[0].node.submit({ kind: 'note', data: new TextEncoder().encode('"warm-up"') }, { timeoutMs: 120_000 })
  const start = new Map(meshes.map(m => [m.name, snap(m)]))
  try {
    for (let r = 0; r < rounds; r++) {
      // ABBA: whichever mesh runs while the machine is busier alternates
      for (const m of r % 2 === 0 ? meshes : [...meshes].reverse()) {
        for (let i = 0; i < entries; i++) {
          const p = m.peers[i % n]
          const t = performance.now()
          await p.node.submit({ kind: 'note', data: new TextEncoder().encode(JSON.stringify({ r, i })) }, { timeoutMs: 120_000 })
          m.latencies.push(performance.now() - t)
        }
      }
    }
    const rows = Object.fromEntries(meshes.map(m => {
      const a = start.get(m.name) as Snap
      const b = snap(m)
      const d = (k: keyof Snap[number]): number => sum(b.map(x => x[k])) - sum(a.map(x => x[k]))
      const decisions = Math.max(1, b[0].height - a[0].height)
      const per = (x: number): number => +(x / decisions / n).toFixed(2)
      const onDemand = d('made') - d('ahead')
      return [m.name, {
        prewarmProofs: m.prewarm,
        decisions,
        proofsPerDecisionPerReplica: { made: per(d('made')), madeAhead: per(d('ahead')), madeWhenNeeded: per(onDemand), servedFromAhead: per(d('prewarmed')), aheadUnused: per(d('ahead') - d('prewarmed')) },
        criticalPathProofCpuMsPerDecisionPerReplica: +(onDemand / decisions / n * proveMs).toFixed(2),
        latencyMs: { p50: +median(m.latencies).toFixed(1), p99: +percentile(m.latencies, 99).toFixed(1), samples: m.latencies.length },
        firstInputToDecisionMs: +(d('decideMs') / Math.max(1, d('decided'))).toFixed(1)
      }]
    })) as Record<string, { criticalPathProofCpuMsPerDecisionPerReplica: number, latencyMs: { p50: number }, firstInputToDecisionMs: number }>
    const result = {
      seed,
      ahead: rows.ahead,
      baseline: rows.baseline,
      ratio: {
        criticalPathProofCpu: rows.baseline.criticalPathProofCpuMsPerDecisionPerReplica > 0 ? +(rows.ahead.criticalPathProofCpuMsPerDecisionPerReplica / rows.baseline.criticalPathProofCpuMsPerDecisionPerReplica).toFixed(3) : null,
        latencyP50: +(rows.ahead.latencyMs.p50 / rows.baseline.latencyMs.p50).toFixed(3),
        firstInputToDecision: +(rows.ahead.firstInputToDecisionMs / rows.baseline.firstInputToDecisionMs).toFixed(3)
      },
      loadavg: os.loadavg().map(l => +l.toFixed(2))
    }
    console.log(JSON.stringify(result))
    return result
  } finally {
    for (const m of meshes) await m.net.stopAll()
  }
}

const proveMs = proveCpuMs()
const results: Array<Record<string, unknown>> = []
for (let r = 0; r < runs; r++) results.push(await runOnce(seed0 + r))
const ratios = results.map(r => r.ratio as Record<string, number | null>)
const med = (k: string): number => +median(ratios.map(x => x[k]).filter((x): x is number => x != null)).toFixed(3)
console.log(writeResult('ledger-proofs', {
  n, protocol: 'probft', entriesPerRound: entries, rounds, runs, seed: seed0,
  network: 'in-memory (test/ledger/_memnet.ts), seeded delays 0-3 ms; the real LedgerNode and crypto; both meshes in one process',
  vrfProveCpuMs: proveMs,
  medianRatio: { criticalPathProofCpu: med('criticalPathProofCpu'), latencyP50: med('latencyP50'), firstInputToDecision: med('firstInputToDecision') },
  each: results,
  loadavgStart, loadavgEnd: os.loadavg().map(l => +l.toFixed(2))
}))
