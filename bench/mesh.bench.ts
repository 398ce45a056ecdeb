/**
 * `npm run bench -- mesh`: how fast the mesh forms and what a peer costs.
 *
 * 1. Membership and degree: a bootstrap and N headless peers (N = 10, 20) in this process, all
 *    started at once; time until every peer's view holds all N peers AND every peer has its
 *    target number of direct WebRTC links (min(maxPeers, N-1)). Baseline: the same measurement
 *    at N = 10 (the 20/10 ratio shows how formation scales) and the 15 s target.
 * 2. Memory: resident-set growth per in-process peer once meshed, against an idle libp2p-free
 *    baseline (the process before any peer), and the RSS of one real `novacron peer` process
 *    (what a user runs) against the 80 MB target.
 * 3. Browser tabs: `measureTabTimes` from bench/mesh-tabs.ts (the mesh-browser helper's) against
 *    a real `novacron start` with two headless peers: ms from opening the URL to the first direct
 *    WebRTC connection, median over tabs, against the 2 s target.
 *
 * Options: --runs=<n> (default 2), --sizes=10,20, --tabs=<n> (default 4), --timeout=<ms> per
 * formation (default 120000; a miss is recorded as null times plus what was reached), --no-browser.
 */
import { existsSync, readFileSync } from 'node:fs'
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
const FAST: MeshNodeInit = { discoveryIntervalMs: 1000, topologyIntervalMs: 1000, peerTtlMs: 8000, maxPeers: MAX_PEERS }
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

function rssOf (pid: number | undefined): number | undefined {
  if (pid == null) return undefined
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m == null ? undefined : Number(m[1]) * 1024
}

function eventsOf (p: CliProcess): Array<Record<string, unknown>> {
  return p.stdout.split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l) as Record<string, unknown>)
}

/** A real bootstrap process plus two `novacron peer` processes; measures one peer's RSS, then the tabs. */
async function processesAndTabs (): Promise<Record<string, unknown>> {
  const boot = startCli(['start', '--port', '0', '--ws-port', '0', '--json'])
  try {
    await boot.waitForOutput(/"event":"listening"/)
    const info = eventsOf(boot).find(e => e.event === 'listening') as { url: string, multiaddrs: string[] }
    const peers = [startCli(['peer', '--bootstrap', info.multiaddrs[0], '--json']), startCli(['peer', '--bootstrap', info.multiaddrs[0], '--json'])]
    await Promise.all(peers.map(async p => await waitFor(() => eventsOf(p).some(e => e.event === 'peer:connect' && e.transport === 'webrtc'), { timeout: 90_000, message: 'peer processes to link' })))
    const peerRss = peers.map(p => rssOf(p.child.pid)).filter((x): x is number => x != null)
    const result: Record<string, unknown> = { peerProcessRssMB: peerRss.map(r => +(r / MB).toFixed(1)), bootstrapProcessRssMB: +((rssOf(boot.child.pid) ?? 0) / MB).toFixed(1) }
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
const result = {
  maxPeers: MAX_PEERS,
  runsPerSize: RUNS,
  formation,
  baseline: 'the 10-peer formation time (same run) and the targets: 20 peers < 15000 ms, < 80 MB per peer, first tab WebRTC < 2000 ms',
  ratio20to10: base?.medianTotalMs != null && big?.medianTotalMs != null ? +(big.medianTotalMs / base.medianTotalMs).toFixed(2) : null,
  ratio20ToTarget: big?.medianTotalMs != null ? +(big.medianTotalMs / 15_000).toFixed(2) : null,
  processes: procs,
  notes: 'In-process peers share one event loop (2 cores, shared with other work); RSS per in-process peer is the process growth divided by N.'
}
console.log(JSON.stringify(result, null, 2))
console.log(`bench: wrote ${writeResult('mesh', result)}`)
