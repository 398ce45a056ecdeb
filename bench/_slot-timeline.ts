/**
 * A slot timeline of ProBFT decisions at n replicas in one process (issue 15, the n = 16 latency
 * target): the real LedgerNode over the ledger tests' in-memory network (`_memnet.ts`: frames 0-3
 * ms apart, every pair linked, no libp2p, no LevelDB), node:crypto signatures as a Node peer has.
 * Once the replicas are formed, one note at a time is submitted (`--samples`), and for each
 * decision every replica's steps are timed from the submit: proposal received, PREPARE sent, COMMIT
 * sent (q PREPAREs reached), decided (q COMMITs); with the consensus messages by type, the VRF and
 * signature checks and their ms (the memoized crypto's counters), GC pauses and the event loop's
 * delay over the decision. One process, one thread: every replica's CPU is serialised, so a
 * decision's latency here is roughly the sum of what the replicas spend on it.
 *
 * `--compare late`: samples alternate ABBA between `keepLateVotes: true` (before: every vote goes
 * through the engine's checks) and the default (votes of a view already decided dropped first), in
 * the same cluster, with a summary per mode.
 *
 *   node --import tsx --import ./node-runtime/polyfills.mjs bench/_slot-timeline.ts --n 16 --samples 10 [--out FILE]
 */
import { writeFileSync } from 'node:fs'
import os from 'node:os'
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { MSG_COMMIT, MSG_PREPARE, MSG_PROPOSE, readMessage } from '../core/consensus/codec.ts'
import { FRAME_CONSENSUS, readFrame } from '../core/ledger/codec.ts'
import { MemNet, ready, seededKey, type MemPeer } from '../test/ledger/_memnet.ts'
import { nativeSignatures } from '../node-runtime/ledger/native-ed25519.ts'
import { waitFor } from '../test/_support/wait.ts'

const argv = process.argv.slice(2)
const arg = (name: string, def: string): string => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : def }
const n = Number(arg('n', '16'))
const samples = Number(arg('samples', '10'))
const out = arg('out', '')
const compare = arg('compare', '')
const TYPES: Record<number, string> = { 2: 'propose', 3: 'prepare', 4: 'commit', 5: 'viewChange', 6: 'newView', 7: 'decision', 8: 'decisionRequest' }

/** per replica, per slot: ms after the submit of each step */
interface Steps { proposal?: number, prepareSent?: number, commitSent?: number, decided?: number }
let t0 = 0
const steps = new Map<string, Map<number, Steps>>()
const counts: Record<string, number> = {}
const stepOf = (peer: string, slot: number): Steps => {
  let m = steps.get(peer)
  if (m == null) { m = new Map(); steps.set(peer, m) }
  let s = m.get(slot)
  if (s == null) { s = {}; m.set(slot, s) }
  return s
}

/** The in-memory network, every consensus frame sent and received noted on the timeline. */
class TimedNet extends MemNet {
  override transport (id: string): ReturnType<MemNet['transport']> {
    const t = super.transport(id)
    const send = t.send.bind(t)
    t.send = (to, frame) => {
      try {
        const f = readFrame(frame)
        if (f.type === FRAME_CONSENSUS) {
          const m = readMessage(f.message)
          const kind = TYPES[m.type] ?? String(m.type)
          counts[kind] = (counts[kind] ?? 0) + 1
          const slot = 'header' in m ? m.header.slot : m.slot
          const now = performance.now() - t0
          const s = stepOf(id, slot)
          if (m.type === MSG_PREPARE) s.prepareSent ??= now
          if (m.type === MSG_COMMIT) s.commitSent ??= now
          if (m.type === MSG_PROPOSE) { s.proposal ??= now; const r = stepOf(to, slot); setImmediate(() => { r.proposal ??= performance.now() - t0 }) }
        }
      } catch {}
      send(to, frame)
    }
    return t
  }
}

await ready()
const net = new TimedNet(1)
const signatures = nativeSignatures() ?? undefined
const key = await seededKey('timeline genesis')
const gid = peerIdFromPrivateKey(key).toString()
const init = { genesisPeerId: gid, syncIntervalMs: 1000 }
const peers: MemPeer[] = [await net.add('timeline genesis', init, { key, signatures })]
for (let i = 1; i < n; i++) peers.push(await net.add(`timeline peer ${i}`, init, { signatures }))
const formStart = performance.now()
await waitFor(() => peers.every(p => p.node.status().replicas.length === n && p.node.status().replica), { timeout: 600_000, interval: 200, message: () => `replicas formed (${peers.map(p => p.node.status().replicas.length).join(',')})` })
console.error(`formed n = ${n} in ${Math.round(performance.now() - formStart)} ms`)
for (const p of peers) p.node.addEventListener('commit', e => { stepOf(p.id, e.detail.height).decided ??= performance.now() - t0 })

const gc: number[] = []
const obs = new PerformanceObserver(list => { for (const e of list.getEntries()) gc.push(e.duration) })
obs.observe({ entryTypes: ['gc'] })
const verification = (): { vrf: number, vrfMs: number, sig: number, sigMs: number } => peers.reduce((a, p) => {
  const v = p.node.status().verification
  return { vrf: a.vrf + (v?.vrfProofs ?? 0), vrfMs: a.vrfMs + (v?.vrfMs ?? 0), sig: a.sig + (v?.signatures ?? 0), sigMs: a.sigMs + (v?.signatureMs ?? 0) }
}, { vrf: 0, vrfMs: 0, sig: 0, sigMs: 0 })
const pct = (xs: number[], p: number): number => { const s = [...xs].sort((a, b) => a - b); return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(p * s.length))] }
const r1 = (x: number): number => Math.round(x * 10) / 10

const rows = []
for (let k = 0; k < samples; k++) {
  await new Promise(resolve => setTimeout(resolve, 300)) // the previous decision's stragglers settle
  for (const key of Object.keys(counts)) delete counts[key]
  gc.length = 0
  const v0 = verification()
  const cpu0 = process.cpuUsage()
  const loop = monitorEventLoopDelay({ resolution: 5 }); loop.enable()
  const author = peers[k % n]
  const mode = compare === 'late' ? ([0, 3].includes(k % 4) ? 'keepLateVotes' : 'dropLateVotes') : 'default'
  for (const p of peers) p.node.init.keepLateVotes = mode === 'keepLateVotes'
  const late0 = peers.reduce((a, p) => a + (p.node.status().timing?.lateVotes ?? 0), 0)
  t0 = performance.now()
  const c = await author.node.submit({ kind: 'note', data: new TextEncoder().encode(JSON.stringify({ k })) }, { timeoutMs: 120_000 })
  const latency = performance.now() - t0
  await waitFor(() => peers.every(p => steps.get(p.id)?.get(c.slot)?.decided != null), { timeout: 60_000, interval: 20, message: 'every replica decided' })
  loop.disable()
  const cpu = process.cpuUsage(cpu0)
  const v1 = verification()
  const per = peers.map(p => steps.get(p.id)?.get(c.slot) ?? {})
  const med = (f: (s: Steps) => number | undefined): number => r1(pct(per.map(f).filter((x): x is number => x != null), 0.5))
  const max = (f: (s: Steps) => number | undefined): number => r1(Math.max(...per.map(f).filter((x): x is number => x != null)))
  const row = {
    sample: k, mode, slot: c.slot, latencyMs: r1(latency),
    lateVotesDropped: peers.reduce((a, p) => a + (p.node.status().timing?.lateVotes ?? 0), 0) - late0,
    medianMs: { proposal: med(s => s.proposal), prepareSent: med(s => s.prepareSent), commitSent: med(s => s.commitSent), decided: med(s => s.decided) },
    lastMs: { proposal: max(s => s.proposal), prepareSent: max(s => s.prepareSent), commitSent: max(s => s.commitSent), decided: max(s => s.decided) },
    messages: { ...counts },
    cpuMs: r1((cpu.user + cpu.system) / 1000),
    vrfChecks: v1.vrf - v0.vrf, vrfMs: r1(v1.vrfMs - v0.vrfMs), sigChecks: v1.sig - v0.sig, sigMs: r1(v1.sigMs - v0.sigMs),
    gcMs: r1(gc.reduce((a, b) => a + b, 0)), gcPauses: gc.length,
    loopDelayMs: { p50: r1(loop.percentile(50) / 1e6), max: r1(loop.max / 1e6) },
    tickMs: peers[0].node.status().timing?.tickMs, viewChanges: peers.reduce((a, p) => a + (p.node.status().timing?.viewChanges ?? 0), 0)
  }
  rows.push(row)
  console.log(JSON.stringify(row))
}
obs.disconnect()
const byMode: Record<string, unknown> = {}
for (const mode of new Set(rows.map(r => r.mode))) {
  const rs = rows.filter(r => r.mode === mode)
  const lat = rs.map(r => r.latencyMs)
  const mean = (f: (r: typeof rs[number]) => number): number => r1(rs.reduce((a, r) => a + f(r), 0) / rs.length)
  byMode[mode] = { samples: rs.length, p50: r1(pct(lat, 0.5)), p90: r1(pct(lat, 0.9)), cpuMs: mean(r => r.cpuMs), vrfChecks: mean(r => r.vrfChecks), vrfMs: mean(r => r.vrfMs), gcMs: mean(r => r.gcMs), lateVotesDropped: mean(r => r.lateVotesDropped) }
}
const summary = { n, samples, byMode, loadavg1: +os.loadavg()[0].toFixed(1), date: new Date().toISOString() }
console.log(JSON.stringify(summary))
if (out !== '') writeFileSync(out, JSON.stringify({ summary, rows }, null, 2) + '\n')
await net.stopAll()
process.exit(0)
