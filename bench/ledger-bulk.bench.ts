/**
 * `npm run bench -- ledger-bulk [--n 7] [--entries 6000] [--rounds 2] [--protocol probft] [--out NAME]`
 *
 * Bulk throughput of the mesh ledger under two block settings, side by side in one cluster of real
 * `novacron` processes on loopback (test/_support/ledger-cluster.ts): `old` (60 KiB blocks of
 * 16 KiB microblocks, as before block-cap.ts) and `new` (the defaults: blocks up to the epoch's
 * cap, 36 KiB microblocks), each set by committed `config` entries (`ledger.maxBlockBytes`,
 * `ledger.maxBatchBytes`) before its burst, in ABBA order over `--rounds` pairs so both see the same
 * load. A burst is `--entries` notes split over the peers, one `ledger.submitMany` each (as
 * `ledger.bench.ts`'s throughput phase), first submit to last commit. Each burst records entries/s,
 * decisions, entries per decision, CPU per decision per replica (utime + stime from /proc) and
 * `os.loadavg()`. JSON in bench/results/NAME.json (default `ledger-bulk`).
 */
import os from 'node:os'
import type { SubmitManyResult } from '../node-runtime/ledger/ops.ts'
import { LedgerCluster } from '../test/_support/ledger-cluster.ts'
import { cpuMs } from './_proc.ts'
import { median, writeResult } from './_results.ts'

const argv = process.argv.slice(2)
const arg = (name: string, def: string): string => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : def }
const n = Number(arg('n', '7'))
const entries = Number(arg('entries', '6000'))
const rounds = Number(arg('rounds', '2'))
const protocol = arg('protocol', 'probft')
const out = arg('out', 'ledger-bulk')

const SETTINGS = {
  old: { 'ledger.maxBlockBytes': 61_440, 'ledger.maxBatchBytes': 16_384 },
  new: { 'ledger.maxBlockBytes': 258_048, 'ledger.maxBatchBytes': 36_864 }
} as const
type Which = keyof typeof SETTINGS
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0)
const load = (): number => +os.loadavg()[0].toFixed(2)

const cluster = new LedgerCluster({ flags: ['--ledger-protocol', protocol] })
const loadavgStart = load()
const bursts: Array<Record<string, unknown>> = []
try {
  const boot = await cluster.startBoot()
  for (let i = 1; i < n; i += 4) await Promise.all(Array.from({ length: Math.min(4, n - i) }, async () => await cluster.startPeer()))
  await cluster.waitReplicas(n, cluster.live(), 600_000)
  const peers = cluster.live()
  let tag = 0
  const burst = async (which: Which): Promise<void> => {
    for (const [key, value] of Object.entries(SETTINGS[which])) await cluster.op(boot, 'config.set', { key, value })
    const h = (await cluster.statusOf(boot)).height
    await cluster.waitSameHead(h, peers)
    const before = await Promise.all(peers.map(async p => await cluster.statusOf(p)))
    const cpu0 = peers.map(p => cpuMs(p.proc.child.pid))
    const loadBefore = load()
    const t = performance.now()
    const t0 = tag++
    await Promise.all(peers.map(async (p, k) => {
      const items = Array.from({ length: Math.ceil((entries - k) / peers.length) }, (_, j) => JSON.stringify({ text: `bulk ${t0} ${k + j * peers.length}` }))
      return await cluster.op(p, 'ledger.submitMany', { kind: 'note', items, timeoutMs: 600_000 }) as SubmitManyResult
    }))
    const ms = performance.now() - t
    const after = await Promise.all(peers.map(async p => await cluster.statusOf(p)))
    const decisions = Math.max(1, after[0].height - before[0].height)
    const cpu = sum(peers.map((p, i) => cpuMs(p.proc.child.pid) - cpu0[i]))
    const row = {
      settings: which,
      ...SETTINGS[which],
      entries,
      ms: Math.round(ms),
      entriesPerSecond: Math.round(entries / (ms / 1000)),
      decisions,
      entriesPerDecision: Math.round(entries / decisions),
      cpuPerDecisionPerReplicaMs: Math.round(cpu / decisions / peers.length),
      cpuPerThousandEntriesMs: Math.round(cpu / entries * 1000),
      loadavg: [loadBefore, load()]
    }
    bursts.push(row)
    console.log(JSON.stringify(row))
  }
  for (let r = 0; r < rounds; r++) {
    const order: Which[] = r % 2 === 0 ? ['old', 'new'] : ['new', 'old']
    for (const which of order) await burst(which)
  }
} finally {
  await cluster.stop()
}
const summary = Object.fromEntries((['old', 'new'] as Which[]).map(w => {
  const rows = bursts.filter(b => b.settings === w)
  return [w, { entriesPerSecondMedian: median(rows.map(b => b.entriesPerSecond as number)), entriesPerDecisionMedian: median(rows.map(b => b.entriesPerDecision as number)), cpuPerDecisionPerReplicaMsMedian: median(rows.map(b => b.cpuPerDecisionPerReplicaMs as number)) }]
}))
const file = writeResult(out, { n, protocol, entries, rounds, order: 'ABBA (old first)', loadavgStart, loadavgEnd: load(), bursts, summary, target: '>= 2000 entries/s at n = 7' })
console.log(JSON.stringify(summary))
console.log(`wrote ${file}`)
