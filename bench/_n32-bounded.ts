/**
 * A bounded n-process ledger run (issue 15, n = 32): `novacron start` plus n − 1 peers started 4 at
 * a time (the replica cap raised to n first, as `npm run bench -- ledger` does above 16), sampled
 * every 20 s until `--minutes` have passed or n replicas have formed and `--submits` notes have
 * committed one at a time: load, summed RSS, and per peer its epoch, height, replica count and sync
 * pulls — above all, how long each peer took from its start to hold the chain (height ≥ 0). Writes
 * bench/results/<--out>.json (default ledger-n32-rerun) and always stops every process it started.
 *
 *   node --import tsx --import ./node-runtime/polyfills.mjs bench/_n32-bounded.ts --n 32 --minutes 14
 */
import { readFileSync } from 'node:fs'
import os from 'node:os'
import { LedgerCluster, type ClusterPeer } from '../test/_support/ledger-cluster.ts'
import { median, writeResult } from './_results.ts'

const argv = process.argv.slice(2)
const arg = (name: string, def: string): string => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : def }
const n = Number(arg('n', '32'))
const minutes = Number(arg('minutes', '14'))
const submits = Number(arg('submits', '10'))
const out = arg('out', 'ledger-n32-rerun')
const t0 = Date.now()
const end = t0 + minutes * 60_000
const el = (): number => Math.round((Date.now() - t0) / 1000)

function rssMb (pid: number | undefined): number {
  try { return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid ?? 0}/status`, 'utf8'))?.[1] ?? 0) / 1024 } catch { return 0 }
}

const cluster = new LedgerCluster({ flags: ['--ledger-protocol', 'probft'] })
const started = new Map<string, number>()
const hasChain = new Map<string, number>()
const samples: Array<Record<string, unknown>> = []
const latencies: number[] = []
let formedAt: number | null = null
let note = ''

async function sample (): Promise<void> {
  const peers = cluster.live()
  const st = await Promise.all(peers.map(async p => await cluster.statusOf(p).catch(() => null)))
  st.forEach((s, i) => { if (s != null && s.height >= 0 && !hasChain.has(peers[i].name)) hasChain.set(peers[i].name, Date.now()) })
  const ok = st.filter(s => s != null)
  samples.push({
    s: el(), loadavg: os.loadavg().map(l => +l.toFixed(2)), peers: peers.length,
    rssMbTotal: Math.round(peers.reduce((a, p) => a + rssMb(p.proc.child.pid), 0)),
    noChain: st.filter(s => s != null && s.height < 0).length,
    unanswered: st.length - ok.length,
    epochs: [...new Set(ok.map(s => s?.epoch))].sort((a, b) => (a ?? 0) - (b ?? 0)),
    maxReplicas: Math.max(0, ...ok.map(s => s?.replicas.length ?? 0)),
    heights: [Math.min(...ok.map(s => s?.height ?? -1)), Math.max(...ok.map(s => s?.height ?? -1))]
  })
  console.log(JSON.stringify(samples.at(-1)))
}

let poller: ReturnType<typeof setInterval> | undefined
try {
  const boot = await cluster.startBoot()
  started.set(boot.name, Date.now())
  if (n > 16) await cluster.op(boot, 'config.set', { key: 'ledger.maxReplicas', value: n })
  let sampling = false
  poller = setInterval(() => { if (!sampling) { sampling = true; void sample().finally(() => { sampling = false }) } }, 20_000)
  for (let i = 1; i < n && Date.now() < end; i += 4) {
    await Promise.all(Array.from({ length: Math.min(4, n - i) }, async () => { const p: ClusterPeer = await cluster.startPeer(); started.set(p.name, Date.now()) }))
  }
  note = `${cluster.live().length} processes up at ${el()} s`
  while (Date.now() < end) {
    const st = await Promise.all(cluster.live().map(async p => await cluster.statusOf(p).catch(() => null)))
    if (st.every(s => s != null && s.replicas.length === n) && new Set(st.map(s => s?.epoch)).size === 1) { formedAt = el(); break }
    await new Promise(resolve => setTimeout(resolve, 2000))
  }
  const peers = cluster.live()
  for (let i = 0; formedAt != null && i < submits && Date.now() < end; i++) {
    const t = performance.now()
    await cluster.submit(peers[i % peers.length], `n32 ${i}`, Math.max(1000, end - Date.now()))
    latencies.push(Math.round(performance.now() - t))
  }
  await sample()
} catch (err) {
  note += `; stopped: ${err instanceof Error ? err.message.slice(0, 300) : String(err)}`
} finally {
  clearInterval(poller)
  const toChain = [...started].filter(([name]) => name !== 'boot').map(([name, at]) => ({ name, ms: hasChain.has(name) ? (hasChain.get(name) as number) - at : null }))
  const got = toChain.flatMap(x => x.ms == null ? [] : [x.ms])
  // per peer at the end: height, sync pulls and links (ledger.links: unlimited links by transport,
  // the genesis peer linked or not, inbound links closed over the hard cap)
  const perPeer = await Promise.all(cluster.live().map(async p => {
    const s = await cluster.statusOf(p).catch(() => null)
    const l = await cluster.op(p, 'ledger.links').catch(() => null) as { mesh?: { unlimitedPeers: number, webrtc: number, websocket: number, limited: number, genesisLinked?: boolean, stats?: Record<string, number> } } | null
    return { name: p.name, height: s?.height ?? null, epoch: s?.epoch ?? null, pulls: (s as unknown as { frames?: { syncPulls?: number } } | null)?.frames?.syncPulls ?? null, syncDials: (s as unknown as { frames?: { syncDials?: number } } | null)?.frames?.syncDials ?? null, rejected: s?.rejected ?? null, unlimited: l?.mesh?.unlimitedPeers ?? null, webrtc: l?.mesh?.webrtc ?? null, ws: l?.mesh?.websocket ?? null, limited: l?.mesh?.limited ?? null, genesisLinked: l?.mesh?.genesisLinked ?? null, overCapClosed: l?.mesh?.stats?.overCapClosed ?? null }
  }))
  const result = {
    n, minutes, note, formedAtS: formedAt, perPeer,
    startToChainMs: { peers: toChain.length, withChain: got.length, p50: got.length > 0 ? median(got) : null, max: got.length > 0 ? Math.max(...got) : null, withoutChain: toChain.filter(x => x.ms == null).map(x => x.name) },
    clientLatencyMs: latencies,
    samples
  }
  console.log(writeResult(out, result))
  await cluster.stop()
}
