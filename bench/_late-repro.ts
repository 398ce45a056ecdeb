// scratch: late peers and the genesis; boot + E early peers, then L late peers; prints when each gets the chain
import os from 'node:os'
import { LedgerCluster, type ClusterPeer } from '../test/_support/ledger-cluster.ts'
const E = Number(process.argv[2] ?? 7); const L = Number(process.argv[3] ?? 4); const LIMIT = Number(process.argv[4] ?? 300_000)
const cluster = new LedgerCluster({ env: { NOVACRON_DEBUG: '1' } })
const t0 = Date.now()
const el = (): string => `${((Date.now() - t0) / 1000).toFixed(0)}s L${os.loadavg()[0].toFixed(1)}`
try {
  const boot = await cluster.startBoot()
  for (let i = 0; i < E; i += 4) await Promise.all(Array.from({ length: Math.min(4, E - i) }, async () => await cluster.startPeer()))
  console.log(el(), 'early up')
  // wait for some epochs to pass
  const deadline0 = Date.now() + 120_000
  while (Date.now() < deadline0) { const s = await cluster.statusOf(boot); if (s.replicas.length >= Math.min(E + 1, 5)) break; await new Promise(r => setTimeout(r, 1000)) }
  console.log(el(), 'boot', JSON.stringify({ e: (await cluster.statusOf(boot)).epoch, h: (await cluster.statusOf(boot)).height }))
  const late: ClusterPeer[] = []
  const started = new Map<string, number>()
  const got = new Map<string, number>()
  let stopPoll = false
  const poller = (async () => {
    while (!stopPoll) {
      for (const p of late) {
        if (got.has(p.name)) continue
        const s = await cluster.statusOf(p).catch(() => null)
        if (s != null && s.height >= 0) { got.set(p.name, Date.now()); console.log(el(), p.name, 'has chain after', Date.now() - (started.get(p.name) ?? 0), 'ms', 'h', s.height, 'pulls', s.frames?.syncPulls) }
      }
      await new Promise(r => setTimeout(r, 500))
    }
  })()
  for (let i = 0; i < L; i += 4) {
    await Promise.all(Array.from({ length: Math.min(4, L - i) }, async () => { const p = await cluster.startPeer(); late.push(p); started.set(p.name, Date.now()) }))
  }
  console.log(el(), 'late up')
  const end = Date.now() + LIMIT
  while (Date.now() < end && got.size < late.length) await new Promise(r => setTimeout(r, 1000))
  stopPoll = true; await poller
  const all = await Promise.all(cluster.live().map(async p => { const s = await cluster.statusOf(p).catch(() => null); return `${p.name}:e${s?.epoch}h${s?.height}n${s?.replicas.length}` }))
  console.log(el(), all.join(' '))
  const { writeFileSync } = await import('node:fs')
  for (const p of cluster.peers) writeFileSync(`/tmp/l4/${p.name}.log`, p.proc.stderr)
  for (const p of late) if (!got.has(p.name)) { console.log('---', p.name, 'NO CHAIN; stderr tail'); console.log(p.proc.stderr.split('\n').filter(l => l.includes('ledger:')).slice(-30).join('\n')) }
} finally { await cluster.stop() }
