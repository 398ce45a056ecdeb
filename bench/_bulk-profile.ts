/**
 * Scratch (issue 15, bulk throughput): 7 ProBFT replicas in one process over the ledger tests'
 * in-memory network (the real LedgerNode, node:crypto signatures as a Node peer has), a burst of
 * `--entries` notes split over the replicas as `ledger.submitMany` does, timed. Run under
 * `--prof FILE` (the bursts only) to see where a block's CPU goes besides crypto (no libp2p, no LevelDB here).
 *
 *   node --import tsx --import ./node-runtime/polyfills.mjs bench/_bulk-profile.ts --entries 6000
 */
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import os from 'node:os'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { MemNet, ready, seededKey, type MemPeer } from '../test/ledger/_memnet.ts'
import { nativeSignatures } from '../node-runtime/ledger/native-ed25519.ts'
import { waitFor } from '../test/_support/wait.ts'

const argv = process.argv.slice(2)
const arg = (name: string, def: string): string => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : def }
const entries = Number(arg('entries', '6000'))
const n = Number(arg('n', '7'))
const rounds = Number(arg('rounds', '2'))
const prof = arg('prof', '')

await ready()
const net = new MemNet(1)
const signatures = nativeSignatures() ?? undefined
const key = await seededKey('bulk genesis')
const gid = peerIdFromPrivateKey(key).toString()
const init = { genesisPeerId: gid, syncIntervalMs: 500 }
const peers: MemPeer[] = [await net.add('bulk genesis', init, { key, signatures })]
for (let i = 1; i < n; i++) peers.push(await net.add(`bulk peer ${i}`, init, { signatures }))
await waitFor(() => peers.every(p => p.node.status().replicas.length === n), { timeout: 120_000, message: () => 'replicas formed' })
const enc = new TextEncoder()
// `--prof FILE`: a CPU profile of the bursts only (forming, mostly VRF work for the joins, left out)
const session = new Session()
if (prof !== '') { session.connect(); await session.post('Profiler.enable'); await session.post('Profiler.setSamplingInterval', { interval: 200 }); await session.post('Profiler.start') }
for (let r = 0; r < rounds; r++) {
  const h0 = peers[0].node.status().height
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  await Promise.all(peers.map(async (p, k) => await Promise.all(Array.from({ length: Math.ceil((entries - k) / n) }, async (_, j) =>
    await p.node.submit({ kind: 'note', data: enc.encode(JSON.stringify({ text: `burst ${r} ${k + j * n}` })) }, { timeoutMs: 600_000 })))))
  const ms = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  const decisions = peers[0].node.status().height - h0
  console.log(JSON.stringify({ round: r, entries, ms: Math.round(ms), entriesPerSecond: Math.round(entries / ms * 1000), decisions, cpuMsPerDecisionPerReplica: Math.round((cpu.user + cpu.system) / 1000 / decisions / n), loadavg1: +os.loadavg()[0].toFixed(1) }))
}
if (prof !== '') { const { profile } = await session.post('Profiler.stop'); writeFileSync(prof, JSON.stringify(profile)) }
await net.stopAll()
