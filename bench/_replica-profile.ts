/**
 * Scratch (issue 15, n = 16): where a real replica process's CPU goes while the ledger decides one
 * entry at a time (the latency phase of `npm run bench -- ledger`). `novacron start` plus n − 1
 * `novacron peer`s, ProBFT; the last `--profiled` peers run from source (NOVACRON_NO_BUNDLE=1, so
 * profile frames name our files, not the minified bundle) under bench/_cpu-prof-preload.mjs. Once
 * all are replicas, the profiled peers' idle mesh is profiled for `--idle-ms` (the first profile of
 * each; its CPU from /proc too), then they get SIGUSR2 again (profiler on), `--samples` notes are submitted one at a time from each peer in turn, SIGUSR2 again (profiles
 * written to `--dir`). Prints the latency p50/p90, every process's CPU over the window (/proc), and
 * writes `<dir>/run.json`. Split the profiles with bench/_cpu-profile-split.ts.
 *
 *   node --import tsx --import ./node-runtime/polyfills.mjs bench/_replica-profile.ts --n 16 --samples 20 --dir /tmp/prof16
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { LedgerCluster } from '../test/_support/ledger-cluster.ts'
import { waitFor } from '../test/_support/wait.ts'
import { cpuMs } from './_proc.ts'
import { median, percentile } from './_results.ts'

const argv = process.argv.slice(2)
const arg = (name: string, def: string): string => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : def }
const n = Number(arg('n', '16'))
const profiled = Number(arg('profiled', '2'))
const samples = Number(arg('samples', '20'))
const dir = arg('dir', '/tmp/replica-prof')
const idleMs = Number(arg('idle-ms', '10000'))
mkdirSync(dir, { recursive: true })
const preload = new URL('./_cpu-prof-preload.mjs', import.meta.url).href
const profEnv = { NODE_OPTIONS: `--import ${preload}`, NOVACRON_NO_BUNDLE: '1', NOVACRON_CPU_PROF_DIR: dir }
const cluster = new LedgerCluster({ flags: ['--ledger-protocol', 'probft'] })
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0)
try {
  await cluster.startBoot()
  for (let i = 1; i < n; i += 4) {
    await Promise.all(Array.from({ length: Math.min(4, n - i) }, async (_, j) => await cluster.startPeer(i + j >= n - profiled ? profEnv : undefined)))
  }
  await cluster.waitReplicas(n, cluster.live(), 600_000)
  const peers = cluster.live()
  const pids = peers.map(p => p.proc.child.pid ?? 0)
  const prof = peers.slice(-profiled)
  // the idle mesh, profiled apart (`--idle-ms`): what every figure below carries
  for (const p of prof) p.proc.child.kill('SIGUSR2')
  const idle0 = pids.map(cpuMs); const idleT = performance.now()
  await new Promise(resolve => setTimeout(resolve, idleMs))
  const idleCpuMsPerSecond = pids.map((pid, i) => +((cpuMs(pid) - idle0[i]) / ((performance.now() - idleT) / 1000)).toFixed(1))
  for (const p of prof) p.proc.child.kill('SIGUSR2')
  await waitFor(() => readdirSync(dir).filter(f => f.endsWith('.cpuprofile')).length >= profiled, { timeout: 30_000, message: 'idle profiles written' })
  for (const p of prof) p.proc.child.kill('SIGUSR2')
  const c0 = pids.map(cpuMs); const w0 = performance.now(); const load0 = os.loadavg()[0]
  const lat: number[] = []
  for (let k = 0; k < samples; k++) {
    const e = await cluster.submit(peers[k % peers.length], `profile ${k}`)
    if (e.latencyMs != null) lat.push(e.latencyMs)
  }
  const windowMs = performance.now() - w0
  const cpu = pids.map((pid, i) => cpuMs(pid) - c0[i])
  for (const p of prof) p.proc.child.kill('SIGUSR2')
  await waitFor(() => readdirSync(dir).filter(f => f.endsWith('.cpuprofile')).length >= 2 * profiled, { timeout: 30_000, message: 'profiles written' })
  const run = {
    n, samples, windowMs: Math.round(windowMs),
    latencyMs: { p50: +median(lat).toFixed(1), p90: +percentile(lat, 90).toFixed(1), all: lat.map(x => Math.round(x)) },
    cpuMsPerDecisionPerPeer: +(sum(cpu) / samples / n).toFixed(1),
    cpuShareOfWindow: cpu.map(c => +(c / windowMs).toFixed(3)),
    idleCpuMsPerSecond,
    profiledPids: prof.map(p => p.proc.child.pid),
    loadavg: [+load0.toFixed(2), +os.loadavg()[0].toFixed(2)]
  }
  console.log(JSON.stringify(run))
  writeFileSync(join(dir, 'run.json'), JSON.stringify(run, null, 2))
} finally {
  await cluster.stop()
  if (!existsSync(dir)) console.error('no profile dir')
}
