/**
 * `npm run bench -- ledger [--quick] [--sizes 4,7,16] [--protocols probft,pbft] [--entries N] [--samples N]`
 *
 * The mesh ledger across real `novacron` processes on loopback (test/_support/ledger-cluster.ts),
 * ProBFT and the PBFT baseline in the same run, at each n:
 *   - commit latency p50/p99: entries submitted one at a time per peer (client round trip and the
 *     ledger's own submit→commit latency);
 *   - entries/s with batching: `--entries` notes submitted at once, split over the peers, one
 *     `ledger.submitMany` request each (what `novacron ledger submit --file` sends), first submit
 *     to last commit;
 *   - wire frames and bytes per decision (every ledger frame that crossed a link, forwarded copies
 *     included; `status().wire` summed over peers), and the ProBFT/PBFT ratio next to the
 *     simulator's ratio at the same n;
 *   - CPU per decision per replica (utime + stime of each process from /proc, during the burst),
 *     split into signature checks, VRF checks and microblock signature checks as the peers time
 *     them in CPU time (`status().verification`: real checks only, cache hits excluded), the idle
 *     mesh's own CPU over the same time (measured for 4 s before), and the rest;
 *   - where one decision's time goes (`status().timing`, latency phase): the tick length each
 *     peer derived, first input → decision, verify + store + apply of the decision, engine timer
 *     fires (nudges, view changes) per decision;
 *   - the signature path (libp2p Ed25519 key `verify`, @noble/curves, node:crypto, and the
 *     consensus check as a Node peer runs it and as noble runs it) and ECVRF prove/verify, in
 *     this process;
 *   - time from a join's commit to its epoch being active (the peer's own `ledger:epoch` event
 *     against the join entry's commit time on the same peer).
 * Every row records `os.loadavg()` (the machine is shared: figures taken at a high load are
 * inflated by CPU contention), the crypto costs and the whole run too.
 * Targets (reported even where missed): p50 ≤ 250 ms and p99 ≤ 1 s at n = 7; p50 ≤ 500 ms at
 * n = 16; ≥ 2,000 entries/s at n = 7; epoch change ≤ 1 s after its commit.
 *   - frames per decision by kind (`framesByKindPerDecision`, from the peers' own inbound counts,
 *     core/ledger/frame-tally.ts): each engine message kind, microblocks, forwards, probes, the
 *     repeats among them (identical frames again from the same peer: re-sends on silence, copies),
 *     and sync pulls — where ProBFT's extra frames against the simulator come from.
 * `--quick`: n = 4 and 7, 40 latency samples, 2,000 entries (6,000 without) (a few minutes);
 * `--samples N` sets the latency samples; `--sizes` picks n (e.g. `--sizes 4,7,16,32`; above 16,
 * the replica cap `ledger.maxReplicas` is raised to n by a committed `config` entry before the
 * other peers start, so all n are replicas); `--out NAME` writes bench/results/NAME.json instead
 * of bench/results/ledger.json (a partial run does not replace the full one). Each row also has
 * the peers' resident memory once formed and at the end (`/proc/<pid>/status` VmRSS).
 * `--trace`: every peer writes its slot steps (core/ledger/slot-trace.ts) and each row gets
 * `slotTimeline`: the latency phase's slots phase by phase (bench/_slot-phases.ts).
 * `--vrf noble`: the peers check VRF proofs on @noble/curves (NOVACRON_VRF=noble) instead of
 * core-wasm's arithmetic, the baseline for an A/B of the VRF path (`crypto.vrfPath` says which ran).
 * `--replica-dials eager,paced` runs each protocol under both ways of dialling replicas (core/net's
 * mesh-dialer.ts; `eager` is the default, `paced` the experiment, through the test-only
 * `NOVACRON_MESH_PACED_PROTECTED_DIALS`), paced rows keyed `<protocol>:paced`; each row has `replicaLinks` (the `ledger.links` op summed over
 * the peers: replica pairs with a direct link, of all, once formed, after the latency phase, at the end).
 */
import { generateKeyPairSync, sign as nodeSign, verify as nodeVerify } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os, { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { ed25519 } from '@noble/curves/ed25519.js'
import { binomialCdf, binomialSf, initCoreWasm } from '../core-wasm/index.ts'
import { simulate } from '../core/consensus/index.ts'
import type { LedgerStatus } from '../core/ledger/types.ts'
import { createConsensusCrypto, nobleSignatures } from '../core/consensus/crypto.ts'
import { keygen, preferNobleVerify, prove, verify as vrfVerify, verifyBackend, verifyNoble } from '../core/vrf/index.ts'
import { nativeSignatures } from '../node-runtime/ledger/native-ed25519.ts'
import type { SubmitManyResult } from '../node-runtime/ledger/ops.ts'
import { LedgerCluster } from '../test/_support/ledger-cluster.ts'
import { cpuMs } from './_proc.ts'
import { readTraces, slotRows, summarise, type SlotRow } from './_slot-phases.ts'
import { median, percentile, writeResult } from './_results.ts'

const argv = process.argv.slice(2)
const arg = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`)
  return i >= 0 ? argv[i + 1] : argv.find(a => a.startsWith(`--${name}=`))?.split('=')[1]
}
const quick = argv.includes('--quick')
const sizes = (arg('sizes') ?? (quick ? '4,7' : '4,7,16')).split(',').map(Number)
const protocols = (arg('protocols') ?? 'probft,pbft').split(',') as Array<'probft' | 'pbft'>
const burst = Number(arg('entries') ?? (quick ? 2000 : 6000))
const latencySamples = Number(arg('samples') ?? (quick ? 40 : 100))
const out = arg('out') ?? 'ledger'
/** `--trace`: the peers write their slot steps (NOVACRON_LEDGER_TRACE) and each row gets the latency phase's per-phase slot timeline (bench/_slot-phases.ts) */
const trace = argv.includes('--trace')
/** `--vrf noble`: every peer (and this process) checks VRF proofs with @noble/curves instead of core-wasm (the A/B baseline) */
const vrfNoble = arg('vrf') === 'noble'
const replicaDials = (arg('replica-dials') ?? 'eager').split(',') as Array<'paced' | 'eager'>
await initCoreWasm()
if (vrfNoble) preferNobleVerify(true)
const quorumMath = { binomialSf, binomialCdf }

/** ms per call, median of `rounds` rounds of `count` calls */
async function perCall (count: number, fn: () => unknown | Promise<unknown>, rounds = 5): Promise<number> {
  const ms: number[] = []
  for (let r = 0; r < rounds; r++) {
    const t = performance.now()
    for (let i = 0; i < count; i++) await fn()
    ms.push((performance.now() - t) / count)
  }
  return +median(ms).toFixed(4)
}

async function cryptoCosts (): Promise<Record<string, number | string | number[]>> {
  const msg = new TextEncoder().encode('novacron ledger microblock '.repeat(8))
  const key = await generateKeyPair('Ed25519')
  const sig = await key.sign(msg)
  const nobleSecret = ed25519.utils.randomSecretKey()
  const noblePublic = ed25519.getPublicKey(nobleSecret)
  const nobleSig = ed25519.sign(msg, nobleSecret)
  const native = generateKeyPairSync('ed25519')
  const nativeSig = nodeSign(null, msg, native.privateKey)
  const vrfKeys = keygen(new Uint8Array(32).fill(7))
  const proof = prove('TAI', vrfKeys.secretKey, msg)
  // the consensus path as a Node peer runs it (node-runtime/ledger/native-ed25519.ts, keys cached)
  // and as a tab without WebCrypto does (noble), on the same signature
  const peerPath = nativeSignatures()
  const consensusNative = createConsensusCrypto({ ...(peerPath != null ? { signatures: peerPath } : {}) })
  const consensusNoble = createConsensusCrypto({ signatures: nobleSignatures })
  const loadBefore = os.loadavg()[0]
  const out = {
    libp2pEd25519VerifyMs: await perCall(300, async () => await key.publicKey.verify(msg, sig)),
    nobleEd25519VerifyMs: await perCall(100, () => ed25519.verify(nobleSig, msg, noblePublic)),
    nativeEd25519VerifyMs: await perCall(300, () => nodeVerify(null, msg, native.publicKey, nativeSig)),
    consensusSignatureNativeMs: await perCall(300, () => consensusNative.verifySignature(noblePublic, msg, nobleSig)),
    consensusSignatureNobleMs: await perCall(100, () => consensusNoble.verifySignature(noblePublic, msg, nobleSig)),
    vrfVerifyMs: await perCall(40, () => vrfVerify('TAI', vrfKeys.publicKey, msg, proof)),
    vrfVerifyNobleMs: await perCall(40, () => verifyNoble('TAI', vrfKeys.publicKey, msg, proof)),
    vrfProveMs: await perCall(40, () => prove('TAI', vrfKeys.secretKey, msg))
  }
  // CPU time (not wall) per check, for the CPU split from the peers' check counts
  const cpuPerCall = (count: number, fn: () => unknown): number => {
    const c0 = process.cpuUsage()
    for (let i = 0; i < count; i++) fn()
    const c = process.cpuUsage(c0)
    return +((c.user + c.system) / 1000 / count).toFixed(4)
  }
  const cpu = {
    consensusSignatureCpuMs: cpuPerCall(500, () => consensusNative.verifySignature(noblePublic, msg, nobleSig)),
    vrfVerifyCpuMs: cpuPerCall(60, () => vrfVerify('TAI', vrfKeys.publicKey, msg, proof)),
    microblockVerifyCpuMs: cpuPerCall(500, () => nodeVerify(null, msg, native.publicKey, nativeSig))
  }
  // the peers take the same VRF path as this process: core-wasm once initCoreWasm() has resolved
  return { ...out, ...cpu, signaturePath: peerPath?.name ?? 'noble', vrfPath: verifyBackend('TAI'), loadavg: [+loadBefore.toFixed(2), +os.loadavg()[0].toFixed(2)] }
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0)

/** Resident memory of a process in MB (VmRSS), or NaN when it is gone. */
function rssMb (pid: number | undefined): number {
  if (pid == null) return Number.NaN
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m == null ? Number.NaN : +(Number(m[1]) / 1024).toFixed(1)
  } catch { return Number.NaN }
}
const rssOf = (pids: Array<number | undefined>): { medianMb: number, maxMb: number, totalMb: number } => {
  const xs = pids.map(rssMb).filter(x => !Number.isNaN(x))
  return { medianMb: +median(xs).toFixed(1), maxMb: Math.max(...xs), totalMb: Math.round(sum(xs)) }
}

/** Inbound frames per decision by kind between two snapshots of every peer (frame-tally.ts), repeats and sync pulls alongside. */
function framesByKind (a: LedgerStatus[], b: LedgerStatus[], decisions: number): Record<string, unknown> {
  const total = (s: LedgerStatus[], k: 'byKind' | 'repeats', kind: string): number => sum(s.map(x => x.frames?.[k][kind] ?? 0))
  const kinds = [...new Set(b.flatMap(x => Object.keys(x.frames?.byKind ?? {})))].sort()
  const per = (x: number): number => +(x / Math.max(1, decisions)).toFixed(2)
  const byKind = Object.fromEntries(kinds.map(k => [k, per(total(b, 'byKind', k) - total(a, 'byKind', k))]))
  const repeats = Object.fromEntries(kinds.map(k => [k, per(total(b, 'repeats', k) - total(a, 'repeats', k))]).filter(([, v]) => (v as number) > 0))
  const pulls = (s: LedgerStatus[], k: 'syncPulls' | 'syncSkips'): number => sum(s.map(x => x.frames?.[k] ?? 0))
  return { byKind, repeats, syncPulls: per(pulls(b, 'syncPulls') - pulls(a, 'syncPulls')), syncSkips: per(pulls(b, 'syncSkips') - pulls(a, 'syncSkips')) }
}

/** Direct links between replicas, summed over the peers (`ledger.links`): each pair counts from both ends. */
async function replicaLinks (cluster: LedgerCluster, peers: ReturnType<LedgerCluster['live']>): Promise<{ direct: number, of: number, share: number, loadavg1: number }> {
  const ls = await Promise.all(peers.map(async p => await cluster.op(p, 'ledger.links') as { replicas: number, direct: number }))
  const direct = sum(ls.map(l => l.direct)); const of = sum(ls.map(l => l.replicas))
  return { direct, of, share: +(direct / Math.max(1, of)).toFixed(3), loadavg1: +os.loadavg()[0].toFixed(2) }
}

/** The latency phase's slots, phase by phase, from the peers' trace files (flushed every 200 ms). */
async function timeline (dir: string, submits: Map<number, number>, quorum: number): Promise<{ summary: Record<string, unknown>, slots: SlotRow[] }> {
  await new Promise(resolve => setTimeout(resolve, 1000))
  const rows = slotRows(readTraces(dir), [...submits.keys()], submits, quorum)
  return { summary: summarise(rows), slots: rows }
}

async function runOne (protocol: 'probft' | 'pbft', n: number, dials: 'paced' | 'eager' = 'eager'): Promise<Record<string, unknown>> {
  const traceDir = trace ? mkdtempSync(join(tmpdir(), `ledger-trace-${protocol}-${n}-`)) : undefined
  const env = { ...(vrfNoble ? { NOVACRON_VRF: 'noble' } : {}), ...(dials === 'paced' ? { NOVACRON_MESH_PACED_PROTECTED_DIALS: '1' } : {}), ...(traceDir != null ? { NOVACRON_LEDGER_TRACE: traceDir } : {}) }
  const cluster = new LedgerCluster({ flags: ['--ledger-protocol', protocol], ...(Object.keys(env).length > 0 ? { env } : {}) })
  try {
    const t0 = Date.now()
    const boot0 = await cluster.startBoot()
    // above the default replica cap (16), raise it first so all n peers become replicas
    if (n > 16) await cluster.op(boot0, 'config.set', { key: 'ledger.maxReplicas', value: n })
    // peers start 4 at a time (process start-up under load is most of the forming time)
    for (let i = 1; i < n; i += 4) await Promise.all(Array.from({ length: Math.min(4, n - i) }, async () => await cluster.startPeer()))
    const formed = await cluster.waitReplicas(n, cluster.live(), Math.max(600_000, n * 30_000))
    const formMs = Date.now() - t0
    const peers = cluster.live()
    const linksFormed = await replicaLinks(cluster, peers)
    const rssFormed = rssOf(peers.map(p => p.proc.child.pid))
    // epoch changes: each join's commit time vs its epoch's activation on the genesis peer
    const boot = peers[0]
    const log = await cluster.op(boot, 'ledger.log', { from: 0, limit: 1000 }) as Array<{ slot: number, kind: string, committedAt: number }>
    const epochEvents = boot.proc.stdout.split('\n').filter(l => l.includes('"event":"ledger:epoch"')).map(l => JSON.parse(l) as { epoch: number, start: number, at?: number })
    const epochChangeMs = epochEvents.flatMap(e => {
      const join = log.filter(x => x.slot === e.start - 1 && (x.kind === 'join' || x.kind === 'leave' || x.kind === 'remove')).at(-1)
      return join != null && e.at != null ? [e.at - join.committedAt] : []
    })
    // the mesh's own CPU while the ledger is idle (pings, gossip heartbeats, state sync): part of
    // every figure below, reported so the ledger's share can be told apart
    const idle0 = peers.map(p => cpuMs(p.proc.child.pid)); const idleT = performance.now()
    await new Promise(resolve => setTimeout(resolve, 4000))
    const idleCpuMsPerSecondPerPeer = +(sum(peers.map((p, i) => cpuMs(p.proc.child.pid) - idle0[i])) / peers.length / ((performance.now() - idleT) / 1000)).toFixed(1)
    // latency: one entry at a time from each peer in turn
    const lat0 = await Promise.all(peers.map(async p => await cluster.statusOf(p)))
    const loadLatency = os.loadavg()[0]
    const client: number[] = []
    const ledgerLat: number[] = []
    const submits = new Map<number, number>() // slot → wall time of its submit (the slot timeline)
    for (let i = 0; i < latencySamples; i++) {
      const t = performance.now()
      const e = await cluster.submit(peers[i % peers.length], `latency ${i}`)
      client.push(performance.now() - t)
      if (e.latencyMs != null) ledgerLat.push(e.latencyMs)
      if (!submits.has(e.slot)) submits.set(e.slot, performance.timeOrigin + t)
    }
    const q = (await cluster.statusOf(peers[0])).quorum ?? 0
    const slotTimeline = traceDir != null ? await timeline(traceDir, submits, q) : undefined
    if (slotTimeline != null) console.log(`ledger bench: ${protocol} n = ${n} slot timeline: ${JSON.stringify(slotTimeline.summary)}`)
    const lat1 = await Promise.all(peers.map(async p => await cluster.statusOf(p)))
    // the latency figures at once (a run stopped later, e.g. by a time limit, still has them)
    console.log(`ledger bench: ${protocol} n = ${n} latency (ms): ${JSON.stringify({ formMs, ledgerP50: +median(ledgerLat).toFixed(1), ledgerP99: +percentile(ledgerLat, 99).toFixed(1), clientP50: +median(client).toFixed(1), samples: client.length, all: ledgerLat.map(Math.round), loadavg1: +os.loadavg()[0].toFixed(2), syncPulls: framesByKind(lat0, lat1, lat1[0].height - lat0[0].height) })}`)
    const linksAfterLatency = await replicaLinks(cluster, peers)
    // throughput + wire + CPU: a burst from every peer at once
    const before = lat1
    const cpuBefore = peers.map(p => cpuMs(p.proc.child.pid))
    const t1 = performance.now()
    // one bulk request per peer (`ledger submit --file`: the entries ride that peer's microblocks),
    // so the figure is the ledger's, not the cost of `burst` separate control requests
    const done = await Promise.all(peers.map(async (p, k) => {
      const items = Array.from({ length: Math.ceil((burst - k) / peers.length) }, (_, j) => JSON.stringify({ text: `burst ${k + j * peers.length}` }))
      return await cluster.op(p, 'ledger.submitMany', { kind: 'note', items, timeoutMs: 600_000 }) as SubmitManyResult
    }))
    const burstMs = performance.now() - t1
    const after = await Promise.all(peers.map(async p => await cluster.statusOf(p)))
    const cpuAfter = peers.map(p => cpuMs(p.proc.child.pid))
    const decisions = Math.max(1, after[0].height - before[0].height)
    const wire = (s: LedgerStatus[]): { frames: number, bytes: number } => ({ frames: sum(s.map(x => x.wire.framesSent)), bytes: sum(s.map(x => x.wire.bytesSent)) })
    const w0 = wire(before); const w1 = wire(after)
    const cpuPerDecisionPerReplicaMs = sum(cpuAfter.map((c, i) => c - cpuBefore[i])) / decisions / peers.length
    const idlePerDecisionMs = idleCpuMsPerSecondPerPeer * (burstMs / 1000) / decisions
    // real checks (cache hits excluded) and the ms they took, per decision per replica
    type V = NonNullable<LedgerStatus['verification']>
    const vsum = (s: LedgerStatus[], k: keyof V): number => sum(s.map(x => x.verification?.[k] ?? Number.NaN))
    const per = (k: keyof V, digits = 2): number => +((vsum(after, k) - vsum(before, k)) / decisions / peers.length).toFixed(digits)
    const checks = Number.isNaN(vsum(after, 'signatures'))
      ? null
      : { signatures: per('signatures', 1), vrfProofs: per('vrfProofs', 1), microblocks: per('microblocks', 1), cacheHits: per('hits', 1) }
    const checkMs = checks == null ? null : { signatures: per('signatureMs'), vrf: per('vrfMs'), microblocks: per('microblockMs') }
    // where one decision's time goes (latency phase: one entry at a time), from the peers' own timers
    type T = NonNullable<LedgerStatus['timing']>
    const tsum = (s: LedgerStatus[], k: keyof T): number => sum(s.map(x => x.timing?.[k] ?? Number.NaN))
    const td = (k: keyof T): number => tsum(lat1, k) - tsum(lat0, k)
    const timing = {
      tickMs: lat1.map(x => x.timing?.tickMs ?? null),
      // the view-timeout backoff each peer ended the latency phase with (view-pacer.ts)
      viewBackoff: lat1.map(x => x.timing?.viewBackoff ?? null),
      decideMsPerDecision: +(td('decideMs') / Math.max(1, td('decided'))).toFixed(1),
      commitMsPerDecision: +(td('commitMs') / Math.max(1, td('commits'))).toFixed(1),
      engineTimersPerDecision: +(td('engineTimers') / Math.max(1, td('decided'))).toFixed(2),
      viewChanges: td('viewChanges'),
      decisions: lat1[0].height - lat0[0].height,
      loadavg1: +loadLatency.toFixed(2)
    }
    const linksEnd = await replicaLinks(cluster, peers)
    return {
      protocol, replicaDials: dials, n, f: formed[0].f,
      replicaLinks: { formed: linksFormed, afterLatency: linksAfterLatency, end: linksEnd }, sampleSize: formed[0].sampleSize, quorum: formed[0].quorum,
      formMs,
      epochChangeMs: { samples: epochChangeMs.length, p50: median(epochChangeMs), max: Math.max(...epochChangeMs) },
      latencyMs: { clientP50: +median(client).toFixed(1), clientP99: +percentile(client, 99).toFixed(1), ledgerP50: +median(ledgerLat).toFixed(1), ledgerP99: +percentile(ledgerLat, 99).toFixed(1), samples: client.length },
      burst: { entries: burst, ms: Math.round(burstMs), entriesPerSecond: Math.round(burst / (burstMs / 1000)), decisions, entriesPerDecision: +(burst / decisions).toFixed(1), maxSlot: Math.max(...done.map(e => e.lastSlot)), via: 'ledger.submitMany, one request per peer' },
      wirePerDecision: { frames: +((w1.frames - w0.frames) / decisions).toFixed(1), bytes: Math.round((w1.bytes - w0.bytes) / decisions) },
      // one entry at a time: mostly the consensus messages themselves (the burst's figure also
      // carries the microblocks, spread over however many decisions each protocol took)
      wirePerDecisionLatencyPhase: (() => {
        const a = wire(lat0); const b = wire(lat1); const d = Math.max(1, lat1[0].height - lat0[0].height)
        return { frames: +((b.frames - a.frames) / d).toFixed(1), bytes: Math.round((b.bytes - a.bytes) / d) }
      })(),
      ...(slotTimeline != null ? { slotTimeline } : {}),
      framesByKindPerDecision: { latencyPhase: framesByKind(lat0, lat1, lat1[0].height - lat0[0].height), burst: framesByKind(before, after, decisions) },
      cpuPerDecisionPerReplicaMs: +cpuPerDecisionPerReplicaMs.toFixed(2),
      idleCpuMsPerSecondPerPeer,
      // of cpuPerDecisionPerReplicaMs, what the idle mesh would have used in the same time
      idleShareOfCpuPerDecisionMs: +idlePerDecisionMs.toFixed(2),
      checksPerDecisionPerReplica: checks,
      // measured inside the peers around each real check (wall time of a synchronous call)
      cpuSplitMs: checkMs == null
        ? null
        : { ...checkMs, idleMesh: +idlePerDecisionMs.toFixed(2), rest: +Math.max(0, cpuPerDecisionPerReplicaMs - checkMs.signatures - checkMs.vrf - checkMs.microblocks - idlePerDecisionMs).toFixed(2) },
      timing,
      // view changes summed over the peers during the burst (the latency phase's are in timing)
      burstViewChanges: tsum(after, 'viewChanges') - tsum(before, 'viewChanges'),
      rejected: after.map(s => s.rejected),
      rssMb: { formed: rssFormed, end: rssOf(peers.map(p => p.proc.child.pid)) },
      loadavg: os.loadavg().map(l => +l.toFixed(2))
    }
  } finally {
    await cluster.stop()
    if (traceDir != null && !argv.includes('--keep-traces')) rmSync(traceDir, { recursive: true, force: true })
    else if (traceDir != null) console.log(`ledger bench: traces kept in ${traceDir}`)
  }
}

const loadavgStart = os.loadavg().map(l => +l.toFixed(2))
const crypto = await cryptoCosts()
console.log('crypto (ms per verify):', crypto)
const rows: Array<Record<string, unknown>> = []
for (const n of sizes) {
  const sim = Object.fromEntries((['probft', 'pbft'] as const).map(p => [p, simulate({ protocol: p, n, byzantine: 0, strategy: 'silent', decisions: 20, seed: 1, quorumMath, partitions: 0, loss: 0 }).messagesPerDecision]))
  const byProtocol: Record<string, Record<string, unknown>> = {}
  for (const protocol of protocols) for (const dials of replicaDials) {
    console.log(`ledger bench: ${protocol} n = ${n} (replica dials ${dials}) ...`)
    const r = await runOne(protocol, n, dials)
    byProtocol[dials === 'eager' ? protocol : `${protocol}:${dials}`] = r
    // the same checks had they all gone through noble (this run's per-check costs): what the
    // native path saves
    const checks = r.checksPerDecisionPerReplica as { signatures: number, vrfProofs: number, microblocks: number } | null
    if (checks != null) {
      r.signaturesIfNobleMs = +(checks.signatures * (crypto.consensusSignatureNobleMs as number)).toFixed(2)
      // counts × this process's CPU per check: the CPU split without the contention that the
      // peers' wall-time figures (cpuSplitMs) include on a loaded machine
      const sig = checks.signatures * (crypto.consensusSignatureCpuMs as number)
      const vrf = checks.vrfProofs * (crypto.vrfVerifyCpuMs as number)
      const mb = checks.microblocks * (crypto.microblockVerifyCpuMs as number)
      r.cpuSplitFromCountsMs = { signatures: +sig.toFixed(2), vrf: +vrf.toFixed(2), microblocks: +mb.toFixed(2), rest: +Math.max(0, (r.cpuPerDecisionPerReplicaMs as number) - sig - vrf - mb).toFixed(2) }
    }
    console.log(JSON.stringify(r))
  }
  const p = byProtocol.probft?.wirePerDecision as { frames: number } | undefined
  const b = byProtocol.pbft?.wirePerDecision as { frames: number } | undefined
  const pl = byProtocol.probft?.wirePerDecisionLatencyPhase as { frames: number } | undefined
  const bl = byProtocol.pbft?.wirePerDecisionLatencyPhase as { frames: number } | undefined
  rows.push({
    n,
    ...byProtocol,
    wireFrameRatio: p != null && b != null ? +(p.frames / b.frames).toFixed(3) : null,
    wireFrameRatioLatencyPhase: pl != null && bl != null ? +(pl.frames / bl.frames).toFixed(3) : null,
    simulatorMessageRatio: +(sim.probft / sim.pbft).toFixed(3),
    // eager replica dials (the default) against paced ones (the experiment), per protocol: frames and forwards per decision
    ...(replicaDials.length > 1
      ? {
          replicaDialsComparison: Object.fromEntries(protocols.map(pr => {
            const one = (r: Record<string, unknown> | undefined): Record<string, number> | null => {
              if (r == null) return null
              const f = r.framesByKindPerDecision as { latencyPhase: { byKind: Record<string, number> }, burst: { byKind: Record<string, number> } }
              const w = r.wirePerDecisionLatencyPhase as { frames: number }
              return { framesLatencyPhase: w.frames, forwardLatencyPhase: (f.latencyPhase.byKind.forward ?? 0) + (f.latencyPhase.byKind.forwarded ?? 0), forwardBurst: (f.burst.byKind.forward ?? 0) + (f.burst.byKind.forwarded ?? 0), linkShareEnd: (r.replicaLinks as { end: { share: number } }).end.share }
            }
            return [pr, { eager: one(byProtocol[pr]), paced: one(byProtocol[`${pr}:paced`]) }]
          }))
        }
      : {})
  })
  // what is done so far, in case a long run is stopped (the final write below replaces it)
  writeResult(out, { quick, sizes, protocols, replicaDials, burst, partial: true, loadavgStart, crypto, rows })
}
const at = (n: number): Record<string, unknown> | undefined => rows.find(r => r.n === n)?.probft as Record<string, unknown> | undefined
const lat = (n: number): { ledgerP50: number, ledgerP99: number } | undefined => at(n)?.latencyMs as { ledgerP50: number, ledgerP99: number } | undefined
const targets = {
  'p50 <= 250 ms at n = 7': lat(7) == null ? null : lat(7)!.ledgerP50 <= 250,
  'p99 <= 1 s at n = 7': lat(7) == null ? null : lat(7)!.ledgerP99 <= 1000,
  'p50 <= 500 ms at n = 16': lat(16) == null ? null : lat(16)!.ledgerP50 <= 500,
  '>= 2000 entries/s at n = 7': at(7) == null ? null : (at(7)!.burst as { entriesPerSecond: number }).entriesPerSecond >= 2000,
  'epoch change <= 1 s after its commit': rows.every(r => ['probft', 'pbft'].every(p => ((r[p] as { epochChangeMs?: { max: number } } | undefined)?.epochChangeMs?.max ?? 0) <= 1000))
}
console.log('targets:', targets)
console.log(writeResult(out, { quick, sizes, protocols, replicaDials, burst, loadavgStart, loadavgEnd: os.loadavg().map(l => +l.toFixed(2)), crypto, rows, targets }))
