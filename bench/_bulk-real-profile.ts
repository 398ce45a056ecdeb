/**
 * Scratch (issue 15, bulk throughput): where a real peer's CPU goes during a burst. `novacron start`
 * plus `--n − 1` peers, ProBFT, each under `node --cpu-prof` — Node 20 refuses `--cpu-prof` in
 * NODE_OPTIONS, so for the run give the shebang of bin/novacron.mjs `--cpu-prof --cpu-prof-dir=<dir>
 * --cpu-prof-interval=1000` by hand (and put it back); once all are replicas,
 * one `ledger.submitMany` of `--entries` notes split over the peers (as `npm run bench -- ledger`
 * does), then every process is stopped (the profiles are written at exit). Writes `<dir>/run.json`:
 * each process's pid, spawn time and the burst's wall-clock window, so the profiles can be cut to
 * the burst (profile start ≈ spawn). Analyse with a script of your own; nothing is asserted here.
 *
 *   node --import tsx --import ./node-runtime/polyfills.mjs bench/_bulk-real-profile.ts --dir /tmp/bulkprof --entries 6000
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { LedgerCluster, type ClusterPeer } from '../test/_support/ledger-cluster.ts'

const argv = process.argv.slice(2)
const arg = (name: string, def: string): string => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : def }
const n = Number(arg('n', '7'))
const entries = Number(arg('entries', '6000'))
const dir = arg('dir', '/tmp/bulkprof')
mkdirSync(dir, { recursive: true })
const cluster = new LedgerCluster({ flags: ['--ledger-protocol', 'probft'] })
const spawned = new Map<number, number>()
const track = (p: ClusterPeer, at: number): void => { spawned.set(p.proc.child.pid ?? 0, at) }
let burst: { start: number, end: number, result: unknown } | undefined
try {
  let at = Date.now()
  track(await cluster.startBoot(), at)
  for (let i = 1; i < n; i++) { at = Date.now(); track(await cluster.startPeer(), at) }
  await cluster.waitReplicas(n, cluster.live(), 300_000)
  const peers = cluster.live()
  const start = Date.now()
  const results = await Promise.all(peers.map(async (p, k) => {
    const items = Array.from({ length: Math.ceil((entries - k) / peers.length) }, (_, j) => JSON.stringify({ text: `burst ${k + j * peers.length}` }))
    return await cluster.op(p, 'ledger.submitMany', { kind: 'note', items, timeoutMs: 600_000 })
  }))
  burst = { start, end: Date.now(), result: results[0] }
  console.log(JSON.stringify({ ms: burst.end - burst.start, entriesPerSecond: Math.round(entries / ((burst.end - burst.start) / 1000)), loadavg1: os.loadavg()[0] }))
} finally {
  await cluster.stop()
  writeFileSync(`${dir}/run.json`, JSON.stringify({ n, entries, burst, spawned: Object.fromEntries(spawned), loadavg: os.loadavg() }))
}
