/**
 * Scratch (issue 15, late peers): `novacron start` + `--early` peers with a lowered link cap
 * (`--max-peers`), wait until they are all replicas (the replica cap raised to n first), then the
 * rest as late peers, 4 at a time; every ~3 s each peer's height, sync pulls and links
 * (`ledger.links`: unlimited links by transport, whether the genesis peer is linked, over-cap
 * closes). `--logs <dir>`: mesh and ledger debug logs, one file per peer. Ends when every late peer holds the chain or after `--limit-s`,
 * then measures `--steady-s` more seconds while peers submit notes one at a time. The bootstrap's CPU (utime + stime from /proc, as a
 * share of one core) is recorded for the late phase and the steady one, with every other peer's
 * median. `--stock-hub`: the bootstrap with gossipsub's stock options instead of the hub's lighter
 * ones (`hubGossip`, core/net/hub-gossip.ts), for a side-by-side run. Writes bench/results/<--out>.json.
 *
 *   node --import tsx --import ./node-runtime/polyfills.mjs bench/_late-links.ts --n 12 --early 5 --max-peers 3
 */
import { readFileSync } from 'node:fs'
import os from 'node:os'
import { LedgerCluster, type ClusterPeer } from '../test/_support/ledger-cluster.ts'
import { writeResult } from './_results.ts'

const argv = process.argv.slice(2)
const arg = (name: string, def: string): string => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : def }
const n = Number(arg('n', '12'))
const early = Number(arg('early', '5'))
const maxPeers = arg('max-peers', '3')
const limitS = Number(arg('limit-s', '240'))
const out = arg('out', 'ledger-late-links')
const t0 = Date.now()
const el = (): number => Math.round((Date.now() - t0) / 1000)
const logDir = arg('logs', '')
const steadyS = Number(arg('steady-s', '30'))
const stockHub = argv.includes('--stock-hub')
const cluster = new LedgerCluster({ flags: ['--max-peers', maxPeers, '--ledger-protocol', 'probft'], ...(logDir !== '' ? { env: { DEBUG: arg('debug', 'novacron:mesh'), NOVACRON_DEBUG: '1' } } : {}) })
const late: ClusterPeer[] = []
const started = new Map<string, number>()
const hasChain = new Map<string, number>()
const timeline: unknown[] = []
let note = ''
interface Links { replicas: number, direct: number, mesh: { unlimitedPeers: number, peers: string[], webrtc: number, websocket: number, relayed: number, limited: number, genesisLinked?: boolean, stats?: Record<string, number> } }

async function snapshot (): Promise<Array<Record<string, unknown>>> {
  const peers = cluster.live()
  const rows = await Promise.all(peers.map(async p => {
    const s = await cluster.statusOf(p).catch(() => null)
    const l = await cluster.op(p, 'ledger.links').catch(() => null) as Links | null
    return { p, s, l }
  }))
  const holders = new Set(rows.filter(r => (r.s?.height ?? -1) >= 0).map(r => r.p.peerId))
  for (const r of rows) if ((r.s?.height ?? -1) >= 0 && !hasChain.has(r.p.name)) hasChain.set(r.p.name, Date.now())
  return rows.map(({ p, s, l }) => ({
    name: p.name, late: late.includes(p), height: s?.height ?? null, epoch: s?.epoch ?? null, replicas: s?.replicas.length ?? null,
    pulls: (s as unknown as { frames?: { syncPulls?: number } })?.frames?.syncPulls ?? null,
    syncDials: (s as unknown as { frames?: { syncDials?: number } })?.frames?.syncDials ?? null,
    // why this peer rejected frames, by reason (a peer over maxRejectsPerMinute loses every link to it)
    rejected: s?.rejected ?? null,
    unlimited: l?.mesh.unlimitedPeers ?? null, webrtc: l?.mesh.webrtc ?? null, ws: l?.mesh.websocket ?? null, relayed: l?.mesh.relayed ?? null, limited: l?.mesh.limited ?? null,
    genesisLinked: l?.mesh.genesisLinked ?? null,
    linkedHolders: l == null ? null : l.mesh.peers.filter(x => holders.has(x)).length,
    overCapClosed: l?.mesh.stats?.overCapClosed ?? null, dialFailures: l?.mesh.stats?.dialFailures ?? null, dialSuccesses: l?.mesh.stats?.dialSuccesses ?? null, identifyRetries: l?.mesh.stats?.identifyRetries ?? null, identifyRecovered: l?.mesh.stats?.identifyRecovered ?? null
  }))
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux, 100 ticks/s). */
function cpuS (p: ClusterPeer): number {
  try {
    const f = readFileSync(`/proc/${p.proc.child.pid ?? 0}/stat`, 'utf8').split(') ')[1].split(' ')
    return (Number(f[11]) + Number(f[12])) / 100
  } catch { return Number.NaN }
}
/** The bootstrap's write syscalls and bytes written so far (/proc/<pid>/io: sockets included): work that does not depend on the machine's load. */
function writes (p: ClusterPeer | undefined): { syscw: number, wchar: number } {
  try {
    const io = Object.fromEntries(readFileSync(`/proc/${p?.proc.child.pid ?? 0}/io`, 'utf8').trim().split('\n').map(l => l.split(': ')).map(([k, v]) => [k, Number(v)]))
    return { syscw: io.syscw, wchar: io.wchar }
  } catch { return { syscw: Number.NaN, wchar: Number.NaN } }
}
type CpuMark = { at: number, cpu: Map<string, number>, boot: { syscw: number, wchar: number } }
const mark = (): CpuMark => ({ at: Date.now(), cpu: new Map(cluster.live().map(p => [p.name, cpuS(p)])), boot: writes(cluster.live().find(p => p.name === 'boot')) })
/** the bootstrap's share of one core between two marks, and the median share of the other peers */
function cpuBetween (a: CpuMark, b: CpuMark): { bootCore: number, otherMedianCore: number, bootWritesPerS: number, bootKBWrittenPerS: number, loadavg1: number } {
  const wall = (b.at - a.at) / 1000
  const share = (name: string): number => ((b.cpu.get(name) ?? Number.NaN) - (a.cpu.get(name) ?? Number.NaN)) / wall
  const others = [...b.cpu.keys()].filter(n => n !== 'boot' && a.cpu.has(n)).map(share).filter(Number.isFinite).sort((x, y) => x - y)
  return {
    bootCore: +share('boot').toFixed(3),
    otherMedianCore: +(others[others.length >> 1] ?? Number.NaN).toFixed(3),
    bootWritesPerS: Math.round((b.boot.syscw - a.boot.syscw) / wall),
    bootKBWrittenPerS: Math.round((b.boot.wchar - a.boot.wchar) / wall / 1024),
    loadavg1: +os.loadavg()[0].toFixed(1)
  }
}
const cpu: Record<string, unknown> = {}

let final: Array<Record<string, unknown>> = []
try {
  const boot = await cluster.startBoot(stockHub ? { NOVACRON_MESH_STOCK_HUB_GOSSIP: '1' } : undefined)
  await cluster.op(boot, 'config.set', { key: 'ledger.maxReplicas', value: n })
  for (let i = 0; i < early; i += 4) await Promise.all(Array.from({ length: Math.min(4, early - i) }, async () => await cluster.startPeer()))
  await cluster.waitReplicas(early + 1, cluster.live(), 240_000)
  note = `early replicas formed at ${el()} s`
  console.log(note)
  for (let i = early + 1; i < n; i += 4) {
    await Promise.all(Array.from({ length: Math.min(4, n - i) }, async () => { const p = await cluster.startPeer(); late.push(p); started.set(p.name, Date.now()) }))
  }
  console.log(`late peers up at ${el()} s`)
  const lateFrom = mark()
  const end = Date.now() + limitS * 1000
  while (Date.now() < end) {
    const rows = await snapshot()
    timeline.push({ s: el(), loadavg1: +os.loadavg()[0].toFixed(1), lateWithoutChain: late.filter(p => !hasChain.has(p.name)).length })
    console.log(JSON.stringify(timeline.at(-1)))
    final = rows
    if (late.every(p => hasChain.has(p.name))) break
    await new Promise(resolve => setTimeout(resolve, 3000))
  }
  const steadyFrom = mark()
  cpu.late = { s: Math.round((steadyFrom.at - lateFrom.at) / 1000), ...cpuBetween(lateFrom, steadyFrom) }
  // the steady window carries ledger traffic: one note at a time, each from the next peer, so a
  // record crosses the gossip mesh every slot; the bootstrap's CPU is also given per committed note
  const steadyEnd = Date.now() + steadyS * 1000
  const writers = cluster.live().filter(p => p.name !== 'boot')
  let notes = 0
  while (Date.now() < steadyEnd) {
    await cluster.submit(writers[notes % writers.length], `steady ${notes}`, Math.max(1000, steadyEnd - Date.now() + 30_000)).then(() => { notes++ }, () => {})
  }
  const steadyTo = mark()
  const steady = cpuBetween(steadyFrom, steadyTo)
  const bootCpuS = (steadyTo.cpu.get('boot') ?? Number.NaN) - (steadyFrom.cpu.get('boot') ?? Number.NaN)
  const perNote = (x: number): number | null => notes > 0 ? Math.round(x / notes) : null
  cpu.steady = {
    s: Math.round((steadyTo.at - steadyFrom.at) / 1000), notes,
    bootCpuMsPerNote: perNote(bootCpuS * 1000), bootWritesPerNote: perNote(steadyTo.boot.syscw - steadyFrom.boot.syscw), bootKBPerNote: perNote((steadyTo.boot.wchar - steadyFrom.boot.wchar) / 1024),
    ...steady
  }
  console.log(JSON.stringify(cpu))
  final = await snapshot()
} catch (err) {
  note += `; stopped: ${err instanceof Error ? err.message.slice(0, 400) : String(err)}`
} finally {
  const result = {
    n, early, maxPeers: Number(maxPeers), limitS, note, hubGossip: !stockHub, cpu,
    lateToChainMs: late.map(p => ({ name: p.name, ms: hasChain.has(p.name) ? (hasChain.get(p.name) as number) - (started.get(p.name) as number) : null })),
    timeline, peers: final
  }
  console.table(final)
  console.log(writeResult(out, result))
  if (logDir !== '') {
    const { mkdirSync, writeFileSync } = await import('node:fs')
    mkdirSync(logDir, { recursive: true })
    for (const p of cluster.peers) writeFileSync(`${logDir}/${p.name}.log`, `${p.peerId}\n${p.proc.stderr}`)
  }
  await cluster.stop()
}
