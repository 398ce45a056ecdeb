/**
 * `npm run bench -- mesh`: how fast the mesh forms and what a peer costs.
 *
 * 1. Membership and degree: a bootstrap and N headless peers (N = 10, 20) in this process, all
 *    started at once; time until every peer's view holds all N peers AND every peer has its
 *    target number of direct WebRTC links (min(maxPeers, N-1)). Baseline: the same measurement
 *    at N = 10 (the 20/10 ratio shows how formation scales) and the 15 s target.
 * 2. Memory: resident-set growth per in-process peer once meshed, against an idle libp2p-free
 *    baseline (the process before any peer), and the memory of real `novacron peer` processes
 *    (what a user runs) against the 80 MB target: one run from the bundle in dist/node (what the
 *    bin runs when the build is fresh) and one through the tsx loader (the baseline,
 *    NOVACRON_NO_BUNDLE=1), side by side, each as VmRSS, its anonymous and file-backed parts (the
 *    file-backed part is mostly the node binary, shared by every Node process) and PSS.
 * 3. Browser tabs: `measureTabTimes` from bench/mesh-tabs.ts (the mesh-browser helper's) against
 *    a real `novacron start` with two headless peers: ms from opening the URL to the first direct
 *    WebRTC connection, median over tabs, against the 2 s target.
 *
 * 4. Formation across processes: the measurement of 1, but with a `novacron start` bootstrap and
 *    N `novacron peer` processes (what users run; the in-process runs put 21 nodes on one event
 *    loop). One run per size, after the in-process runs.
 *
 * Peers run with the default intervals (what `novacron peer` runs); `--fast` uses the 1 s
 * discovery/topology intervals of earlier runs. The machine's load average is recorded at the
 * start and end: on a shared machine absolute times are inflated, compare ratios within a run.
 *
 * Options: --runs=<n> (default 2), --sizes=10,20, --tabs=<n> (default 4), --timeout=<ms> per
 * formation (default 120000; a miss is recorded as null times plus what was reached), --no-browser,
 * --fast, --no-process-formation.
 */
import { existsSync, readFileSync } from 'node:fs'
import os from 'node:os'
import { spawnSync } from 'node:child_process'
import { freshBundleEntry } from '../node-runtime/bundle.mjs'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { createMeshNode, isDirectWebRTC, type MeshNode, type MeshNodeInit } from '../core/net/index.ts'
import { releaseWebRTC } from '../node-runtime/mesh/webrtc-release.ts'
import { startCli, stopAll, type CliProcess } from '../test/_support/processes.ts'
import { waitFor } from '../test/_support/wait.ts'
import { median, writeResult } from './_results.ts'

const arg = (name: string): string | undefined => process.argv.find(a => a.startsWith(`--${name}=`))?.split('=')[1]
const RUNS = Number(arg('runs') ?? 2)
const SIZES = (arg('sizes') ?? '10,20').split(',').map(Number)
const TABS = Number(arg('tabs') ?? 4)
const MAX_PEERS = 8
const FAST: MeshNodeInit = process.argv.includes('--fast')
  ? { discoveryIntervalMs: 1000, topologyIntervalMs: 1000, peerTtlMs: 8000, maxPeers: MAX_PEERS }
  : { maxPeers: MAX_PEERS }
const loadavg = (): number[] => os.loadavg().map(x => +x.toFixed(2))
const loadAtStart = loadavg()
const MB = 1024 * 1024
const FORM_TIMEOUT_MS = Number(arg('timeout') ?? 120_000)

function direct (n: MeshNode): number {
  return new Set(n.libp2p.getConnections().filter(c => c.status === 'open' && isDirectWebRTC(c)).map(c => c.remotePeer.toString())).size
}

interface FormRun { n: number, membershipMs: number | null, degreeMs: number | null, totalMs: number | null, rssPerPeerMB: number, meanDegree: number, minMembers: number, dialFailures: number, dialSuccesses: number }

async function formMesh (n: number): Promise<FormRun> {
  global.gc?.()
  const rss0 = process.memoryUsage().rss
  const boot = await createMeshNode({ ...FAST, role: 'bootstrap', privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0/ws'] })
  await boot.start()
  const addr = boot.getMultiaddrs()[0]
  const peers = await Promise.all(Array.from({ length: n }, async () => await createMeshNode({ ...FAST, bootstrap: [addr] })))
  const target = Math.min(MAX_PEERS, n - 1)
  const t0 = performance.now()
  let membershipMs = -1
  let degreeMs = -1
  try {
    await Promise.all(peers.map(async p => { await p.start() }))
    let done = true
    try {
      await waitFor(() => {
        const now = performance.now() - t0
        if (membershipMs < 0 && peers.every(p => p.members().length === n)) membershipMs = now
        if (degreeMs < 0 && peers.every(p => direct(p) >= target)) degreeMs = now
        return membershipMs >= 0 && degreeMs >= 0
      }, { timeout: FORM_TIMEOUT_MS, interval: 100, message: `${n} peers to mesh` })
    } catch {
      done = false // recorded as a miss (null times) with what was reached by the deadline
    }
    return {
      n,
      membershipMs: membershipMs >= 0 ? Math.round(membershipMs) : null,
      degreeMs: degreeMs >= 0 ? Math.round(degreeMs) : null,
      totalMs: done ? Math.round(performance.now() - t0) : null,
      rssPerPeerMB: +((process.memoryUsage().rss - rss0) / n / MB).toFixed(1),
      meanDegree: +(peers.reduce((s, p) => s + direct(p), 0) / n).toFixed(2),
      minMembers: Math.min(...peers.map(p => p.members().length)),
      dialFailures: peers.reduce((s, p) => s + p.stats.dialFailures, 0),
      dialSuccesses: peers.reduce((s, p) => s + p.stats.dialSuccesses, 0)
    }
  } finally {
    await Promise.all([...peers, boot].map(async p => { await p.stop() }))
  }
}

interface ProcMem { rssMB: number, rssAnonMB: number, rssFileMB: number, pssMB?: number }

/** VmRSS with its anonymous and file-backed parts, and PSS (shared pages divided among their users). */
function memOf (pid: number | undefined): ProcMem | undefined {
  if (pid == null) return undefined
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (re: RegExp, text: string): number => Number(re.exec(text)?.[1] ?? Number.NaN) / 1024
  let pssMB: number | undefined
  try { pssMB = +kb(/^Pss:\s+(\d+) kB/m, readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8')).toFixed(1) } catch { pssMB = undefined }
  return {
    rssMB: +kb(/VmRSS:\s+(\d+) kB/, status).toFixed(1),
    rssAnonMB: +kb(/RssAnon:\s+(\d+) kB/, status).toFixed(1),
    rssFileMB: +kb(/RssFile:\s+(\d+) kB/, status).toFixed(1),
    ...(pssMB != null && !Number.isNaN(pssMB) ? { pssMB } : {})
  }
}

/** Samples a process's memory every second for `ms` and keeps the sample with the median RSS. */
async function medianMem (pid: number | undefined, ms: number): Promise<ProcMem | undefined> {
  const samples: ProcMem[] = []
  for (let t = 0; t < ms; t += 1000) {
    const m = memOf(pid)
    if (m != null) samples.push(m)
    await new Promise(resolve => setTimeout(resolve, 1000))
  }
  samples.sort((a, b) => a.rssMB - b.rssMB)
  return samples[samples.length >> 1]
}

function eventsOf (p: CliProcess): Array<Record<string, unknown>> {
  return p.stdout.split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l) as Record<string, unknown>)
}

/** A real bootstrap process plus two `novacron peer` processes; measures one peer's RSS, then the tabs. */
async function processesAndTabs (): Promise<Record<string, unknown>> {
  // rebuild the runtime bundle now: other work may have edited its sources since `npm run build`
  spawnSync(process.execPath, [new URL('../node-runtime/build.mjs', import.meta.url).pathname], { stdio: 'inherit' })
  const bundleFresh = freshBundleEntry(new URL('..', import.meta.url).pathname, 'peer') != null
  const boot = startCli(['start', '--port', '0', '--ws-port', '0', '--json'])
  try {
    await boot.waitForOutput(/"event":"listening"/)
    const info = eventsOf(boot).find(e => e.event === 'listening') as { url: string, multiaddrs: string[] }
    // one peer from the bundle (what the bin runs after a build), one through tsx (the baseline)
    const peers = [startCli(['peer', '--bootstrap', info.multiaddrs[0], '--json']), startCli(['peer', '--bootstrap', info.multiaddrs[0], '--json'], { NOVACRON_NO_BUNDLE: '1' })]
    await Promise.all(peers.map(async p => await waitFor(() => eventsOf(p).some(e => e.event === 'peer:connect' && e.transport === 'webrtc'), { timeout: 90_000, message: 'peer processes to link' })))
    const [bundled, tsx, bootMem] = await Promise.all([medianMem(peers[0].child.pid, 8000), medianMem(peers[1].child.pid, 8000), medianMem(boot.child.pid, 8000)])
    // the bin ran the bundle only if it was still fresh when the process started
    const bundleBuilt = bundleFresh && freshBundleEntry(new URL('..', import.meta.url).pathname, 'peer') != null
    const result: Record<string, unknown> = {
      peerProcess: {
        bundled: bundleBuilt ? bundled : 'the dist/node bundle was missing or stale: this process ran through tsx too',
        tsxBaseline: tsx,
        ratioRssBundledToTsx: bundleBuilt && bundled != null && tsx != null ? +(bundled.rssMB / tsx.rssMB).toFixed(2) : null,
        targetRssMB: 80,
        note: 'median of 8 one-second samples once each peer has a direct WebRTC link; rssFileMB is mostly the node binary, shared by all Node processes (PSS counts it once per process sharing it)'
      },
      bootstrapProcess: bootMem
    }
    if (process.argv.includes('--no-browser')) return { ...result, tabs: 'skipped (--no-browser)' }
    if (!existsSync(new URL('./mesh-tabs.ts', import.meta.url))) return { ...result, tabs: 'skipped: bench/mesh-tabs.ts does not exist' }
    if (!existsSync(new URL('../dist/app/index.html', import.meta.url))) return { ...result, tabs: 'skipped: dist/app is not built' }
    const { measureTabTimes } = await import('./mesh-tabs.ts') as { measureTabTimes: (url: string, tabs: number, opts?: { timeoutMs?: number }) => Promise<{ firstWebrtcMs: number[], tabMemoryBytes?: number[], stagesMs?: unknown }> }
    try {
      const tabs = await measureTabTimes(info.url, TABS, { timeoutMs: 60_000 })
      return {
        ...result,
        tabs: {
          count: TABS,
          firstWebrtcMs: tabs.firstWebrtcMs.map(Math.round),
          medianFirstWebrtcMs: Math.round(median(tabs.firstWebrtcMs)),
          targetMs: 2000,
          ratioToTarget: +(median(tabs.firstWebrtcMs) / 2000).toFixed(2),
          ...(tabs.tabMemoryBytes != null ? { medianTabJsHeapMB: +(median(tabs.tabMemoryBytes) / MB).toFixed(1) } : {}),
          stagesMs: tabs.stagesMs
        }
      }
    } catch (err) {
      return { ...result, tabs: `failed: ${(err as Error).message}` }
    }
  } finally {
    await stopAll()
  }
}

/**
 * The same formation with every peer in its own `novacron peer` process (as users run them, and
 * spread over both cores, where the in-process runs share one event loop): a `novacron start`
 * bootstrap and N peers started at once; membership from each process's `members` events, degree
 * from its `peer:connect` (webrtc) / `peer:disconnect` events. One run per size.
 */
async function formProcesses (n: number): Promise<Record<string, unknown>> {
  const target = Math.min(MAX_PEERS, n - 1)
  const boot = startCli(['start', '--port', '0', '--ws-port', '0', '--json'])
  try {
    await boot.waitForOutput(/"event":"listening"/)
    const info = eventsOf(boot).find(e => e.event === 'listening') as { multiaddrs: string[] }
    const t0 = performance.now()
    const peers = Array.from({ length: n }, () => startCli(['peer', '--bootstrap', info.multiaddrs[0], '--json']))
    const members = (p: CliProcess): number => {
      const m = eventsOf(p).filter(e => e.event === 'members').at(-1) as { members?: string[] } | undefined
      return m?.members?.length ?? 0
    }
    const degree = (p: CliProcess): number => {
      const links = new Set<string>()
      for (const e of eventsOf(p)) {
        if (e.event === 'peer:connect' && e.transport === 'webrtc') links.add(String(e.peerId))
        else if (e.event === 'peer:disconnect') links.delete(String(e.peerId))
      }
      return links.size
    }
    let membershipMs = -1
    let degreeMs = -1
    try {
      await waitFor(() => {
        const now = performance.now() - t0
        if (membershipMs < 0 && peers.every(p => members(p) === n)) membershipMs = now
        if (degreeMs < 0 && peers.every(p => degree(p) >= target)) degreeMs = now
        return membershipMs >= 0 && degreeMs >= 0
      }, { timeout: FORM_TIMEOUT_MS, interval: 250, message: `${n} peer processes to mesh` })
    } catch {
      // a miss: recorded as null with what was reached
    }
    const rss = peers.map(p => memOf(p.child.pid)?.rssMB).filter((x): x is number => x != null)
    return {
      n,
      membershipMs: membershipMs >= 0 ? Math.round(membershipMs) : null,
      degreeMs: degreeMs >= 0 ? Math.round(degreeMs) : null,
      meanDegree: +(peers.reduce((sum, p) => sum + degree(p), 0) / n).toFixed(2),
      minMembers: Math.min(...peers.map(members)),
      medianPeerRssMB: rss.length > 0 ? +median(rss).toFixed(1) : null,
      ratioToTarget: degreeMs >= 0 && membershipMs >= 0 ? +(Math.max(degreeMs, membershipMs) / 15_000).toFixed(2) : null
    }
  } finally {
    await stopAll()
  }
}

const formation: Record<string, unknown> = {}
for (const n of SIZES) {
  const runs: FormRun[] = []
  for (let r = 0; r < RUNS; r++) {
    runs.push(await formMesh(n))
    console.log(`mesh: ${n} peers run ${r + 1}: ${JSON.stringify(runs[r])}`)
  }
  const ok = <T>(xs: Array<T | null>): T[] => xs.filter((x): x is T => x != null)
  const med = (xs: Array<number | null>): number | null => ok(xs).length === runs.length ? Math.round(median(ok(xs))) : null
  formation[n] = {
    runs,
    medianMembershipMs: med(runs.map(r => r.membershipMs)),
    medianDegreeMs: med(runs.map(r => r.degreeMs)),
    medianTotalMs: med(runs.map(r => r.totalMs)),
    medianRssPerPeerMB: +median(runs.map(r => r.rssPerPeerMB)).toFixed(1)
  }
}
releaseWebRTC()
const base = formation[10] as { medianTotalMs: number | null } | undefined
const big = formation[20] as { medianTotalMs: number | null } | undefined
const procs = await processesAndTabs()
releaseWebRTC()
const processFormation: Record<string, unknown> = {}
if (!process.argv.includes('--no-process-formation')) {
  spawnSync(process.execPath, [new URL('../node-runtime/build.mjs', import.meta.url).pathname], { stdio: 'inherit' })
  for (const n of SIZES) {
    processFormation[n] = await formProcesses(n)
    console.log(`mesh: ${n} peer processes: ${JSON.stringify(processFormation[n])}`)
  }
}
const result = {
  loadavg: { start: loadAtStart, end: loadavg(), cpus: os.cpus().length },
  peerConfig: FAST,
  maxPeers: MAX_PEERS,
  runsPerSize: RUNS,
  formation,
  baseline: 'the 10-peer formation time (same run) and the targets: 20 peers < 15000 ms, < 80 MB per peer, first tab WebRTC < 2000 ms',
  ratio20to10: base?.medianTotalMs != null && big?.medianTotalMs != null ? +(big.medianTotalMs / base.medianTotalMs).toFixed(2) : null,
  ratio20ToTarget: big?.medianTotalMs != null ? +(big.medianTotalMs / 15_000).toFixed(2) : null,
  processes: procs,
  processFormation,
  notes: 'In-process peers share one event loop (2 cores, shared with other work: see loadavg); RSS per in-process peer is the process growth divided by N.'
}
console.log(JSON.stringify(result, null, 2))
console.log(`bench: wrote ${writeResult('mesh', result)}`)
