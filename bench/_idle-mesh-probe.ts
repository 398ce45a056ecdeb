/**
 * Scratch (issue 15): what the idle mesh costs each peer process — CPU ms per second (/proc),
 * WebRTC data-channel sends per second and, with `--source`, gossipsub RPCs sent per second by
 * what they carry (bench/_send-count-preload.mjs) — for one or more variants side by side.
 *
 * Each variant is a fresh cluster of real processes (`novacron start` + n − 1 `novacron peer`s,
 * ProBFT, as `npm run bench -- ledger` starts them) with the variant's test-only environment; once
 * all n are replicas and `--settle-s` passed, nothing is submitted for `--idle-s` and every
 * process is measured over that window. Variants run in turn, `--repeats` times (ABAB...).
 *
 *   node --import tsx --import ./node-runtime/polyfills.mjs bench/_idle-mesh-probe.ts --n 8 --idle-s 20 --variants stock,quiet [--source] [--out idle-mesh]
 *
 * `--source` runs the peers through tsx (NOVACRON_NO_BUNDLE=1) so gossipsub's RPCs can be counted;
 * without it they run the bundle (dist/node, `node scripts/build.mjs` first) and only data-channel
 * sends are counted. Compare CPU only between variants of one run.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { LedgerCluster } from '../test/_support/ledger-cluster.ts'
import { cpuMs } from './_proc.ts'
import { median, writeResult } from './_results.ts'

const argv = process.argv.slice(2)
const arg = (name: string, def: string): string => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : def }
const n = Number(arg('n', '8'))
const idleS = Number(arg('idle-s', '20'))
const settleS = Number(arg('settle-s', '5'))
const repeats = Number(arg('repeats', '1'))
const variants = arg('variants', 'main').split(',')
const source = argv.includes('--source')
const out = arg('out', 'idle-mesh')

/** Each variant's test-only environment (node-runtime/mesh/options.ts reads these under NOVACRON_TEST=1). */
const VARIANT_ENV: Record<string, NodeJS.ProcessEnv> = {
  main: {},
  stock: { NOVACRON_MESH_STOCK_GOSSIP: '1' },
  // the ledger's periodic pull every 5 s, as before its back-off (core/ledger/pull-backoff.ts)
  nobackoff: { NOVACRON_LEDGER_SYNC_BACKOFF: '0' },
  // keep-alives at twice their default intervals, the view's time-to-live with them (core/net/config.ts)
  slowkeep: { NOVACRON_MESH_TOPOLOGY_MS: '10000', NOVACRON_MESH_DISCOVERY_MS: '20000', NOVACRON_MESH_PEER_TTL_MS: '30000' }
}

type Counts = Record<string, number>
const COUNTED = ['dcSends', 'dcBytes', 'rpcs', 'messages', 'ihave', 'ihaveIds', 'iwant', 'graft', 'prune', 'idontwant', 'subscriptions']
const preload = new URL('./_send-count-preload.mjs', import.meta.url).href
const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

function readCounts (dir: string, pid: number): Counts {
  try { return JSON.parse(readFileSync(join(dir, `${pid}.json`), 'utf8')) as Counts } catch { return {} }
}

interface ProcRates { name: string, cpuMsPerS: number, perS: Counts }

async function measure (variant: string): Promise<{ variant: string, formS: number, load: number[], boot: ProcRates, peers: ProcRates[], median: Record<string, number> }> {
  const env = VARIANT_ENV[variant]
  if (env == null) throw new Error(`unknown variant ${variant} (known: ${Object.keys(VARIANT_ENV).join(', ')})`)
  const dir = mkdtempSync(join(os.tmpdir(), 'idle-mesh-'))
  mkdirSync(dir, { recursive: true })
  const cluster = new LedgerCluster({
    flags: ['--ledger-protocol', 'probft'],
    env: { ...env, NODE_OPTIONS: `--import ${preload}`, NOVACRON_SEND_COUNT_DIR: dir, ...(source ? { NOVACRON_NO_BUNDLE: '1' } : {}) },
    startTimeoutMs: 300_000
  })
  try {
    const t0 = performance.now()
    await cluster.startBoot()
    for (let i = 1; i < n; i += 4) await Promise.all(Array.from({ length: Math.min(4, n - i) }, async () => await cluster.startPeer()))
    await cluster.waitReplicas(n, cluster.live(), 600_000)
    const formS = +((performance.now() - t0) / 1000).toFixed(1)
    await sleep(settleS * 1000)
    const procs = cluster.live().map(p => ({ name: p.name, pid: p.proc.child.pid ?? 0 }))
    const c0 = procs.map(p => cpuMs(p.pid))
    const k0 = procs.map(p => readCounts(dir, p.pid))
    const w0 = performance.now(); const load0 = os.loadavg()[0]
    await sleep(idleS * 1000)
    const secs = (performance.now() - w0) / 1000
    const rates: ProcRates[] = procs.map((p, i) => {
      const k1 = readCounts(dir, p.pid)
      const perS: Counts = {}
      for (const key of COUNTED) perS[key] = +(((k1[key] ?? 0) - (k0[i][key] ?? 0)) / secs).toFixed(1)
      return { name: p.name, cpuMsPerS: +((cpuMs(p.pid) - c0[i]) / secs).toFixed(1), perS }
    })
    const peers = rates.filter(r => r.name !== 'boot')
    const med: Record<string, number> = { cpuMsPerS: +median(peers.map(r => r.cpuMsPerS)).toFixed(1) }
    for (const key of COUNTED) med[key] = +median(peers.map(r => r.perS[key])).toFixed(1)
    const result = { variant, formS, load: [+load0.toFixed(2), +os.loadavg()[0].toFixed(2)], boot: rates.find(r => r.name === 'boot') as ProcRates, peers, median: med }
    console.log(JSON.stringify({ variant, formS, load: result.load, bootCpuMsPerS: result.boot.cpuMsPerS, peersMedian: med }))
    return result
  } finally {
    await cluster.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

const runs = []
for (let r = 0; r < repeats; r++) {
  for (const v of (r % 2 === 0 ? variants : [...variants].reverse())) runs.push(await measure(v))
}
console.log(`wrote ${writeResult(out, { n, idleS, settleS, source, runs })}`)
