/**
 * A soak mesh for memory-slope measurements (issue 21): a `novacron start` bootstrap and N
 * `novacron peer` processes, each with its own temporary --data-dir, run through the bin as users
 * run them. Each process is sampled for VmRSS (from /proc) and V8 heap (from its memory probe,
 * `NOVACRON_MEMLOG_MS`, node-runtime/mesh/mem-probe.ts); `slope` fits MB per minute by least
 * squares. Light writes go through the CLI (`issues create`, `memory store`) against the peers'
 * data dirs, as a user's would. Used by bench/soak.bench.ts and test/net/soak.slow.test.ts.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { heapDataBytes, parseMemSamples, type MemSample } from '../../node-runtime/mesh/mem-probe.ts'
import { procMem, type ProcMem } from './proc-mem.ts'
import { startCli, type CliProcess } from './processes.ts'
import { waitFor } from './wait.ts'

const MB = 1024 * 1024

export type SoakKind = 'bootstrap' | 'peer'

export interface SoakSample {
  /** Minutes since the phase began. */
  min: number
  rssMB: number
  /** Private (anonymous) part of RSS. */
  rssAnonMB: number
  /** From the process's latest probe sample; NaN when it has none yet. */
  heapMB: number
  /** Of heapMB, the live data: compiled code and bytecode with their metadata subtracted (mem-probe.ts heapDataBytes). */
  heapDataMB: number
  /** Resident memory by bin from /proc/<pid>/smaps (proc-mem.ts), MB. */
  smapsMB: ProcMem
  /**
   * From the latest probe sample, MB: V8's resident heap pages, what V8 mallocs for itself, and
   * `external` (array buffers and other embedder memory); NaN without them.
   */
  heapPhysicalMB: number
  v8MallocMB: number
  externalMB: number
  /**
   * The heap and RSS as V8's own latest full collection left them (the probe's `afterMajorGc`, MB;
   * `at` in ms since the epoch), when the probe forces none before every sample; absent before the first.
   */
  afterMajorGc?: { at: number, heapMB: number, heapDataMB: number, rssMB: number }
  /** Closed inbound data channels over all its WebRTC links (see datachannel-tracker.ts). */
  closedChannels: number
  /** Of those, the ones its WebRTC stack still holds (not released). */
  heldChannels: number
}

export interface SoakProcess {
  kind: SoakKind
  name: string
  proc: CliProcess
  dataDir: string
}

/** Least-squares slope of `ys` over `xs` (NaN with fewer than 2 distinct points). */
export function slope (xs: readonly number[], ys: readonly number[]): number {
  const n = Math.min(xs.length, ys.length)
  if (n < 2) return Number.NaN
  const mx = xs.slice(0, n).reduce((a, b) => a + b, 0) / n
  const my = ys.slice(0, n).reduce((a, b) => a + b, 0) / n
  let num = 0
  let den = 0
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my)
    den += (xs[i] - mx) ** 2
  }
  return den === 0 ? Number.NaN : num / den
}

function procMB (pid: number): { rssMB: number, rssAnonMB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (re: RegExp): number => Number(re.exec(status)?.[1] ?? Number.NaN) / 1024
  return { rssMB: kb(/^VmRSS:\s+(\d+) kB/m), rssAnonMB: kb(/^RssAnon:\s+(\d+) kB/m) }
}

export class SoakMesh {
  readonly processes: SoakProcess[] = []
  private readonly root = mkdtempSync(join(tmpdir(), 'novacron-soak-'))
  private writes = 0
  /** Whether the heap figures come from collected samples only (NOVACRON_MEMLOG_GC=N with N ≥ 2). */
  private gcOnly = false

  /**
   * Starts the bootstrap and `peers` peers; resolves once every peer has `degree` direct links.
   * `gcEvery` (default 1): the probe collects before every sample (the live heap, an RSS without
   * garbage awaiting collection), every Nth sample (the heap figures then come from those only),
   * or never (0: the process collects when V8 decides, as in use; heap figures include garbage).
   */
  async start (peers: number, opts: { probeMs?: number, degree?: number, timeoutMs?: number, gcEvery?: number } = {}): Promise<void> {
    const gcEvery = opts.gcEvery ?? 1
    this.gcOnly = gcEvery > 1
    const env = { NOVACRON_MEMLOG_MS: String(opts.probeMs ?? 15_000), NOVACRON_MEMLOG_GC: String(gcEvery) }
    const timeout = opts.timeoutMs ?? 120_000
    const bootDir = join(this.root, 'bootstrap')
    const boot = startCli(['start', '--port', '0', '--ws-port', '0', '--host', '127.0.0.1', '--data-dir', bootDir, '--json'], env)
    this.processes.push({ kind: 'bootstrap', name: 'bootstrap', proc: boot, dataDir: bootDir })
    const line = await boot.waitForOutput(/^\{"event":"listening".*\}$/m, timeout)
    const addr = (JSON.parse(line[0]) as { multiaddrs: string[] }).multiaddrs[0]
    for (let i = 1; i <= peers; i++) {
      const dir = join(this.root, `peer${i}`)
      this.processes.push({ kind: 'peer', name: `peer${i}`, proc: startCli(['peer', '--bootstrap', addr, '--data-dir', dir, '--json'], env), dataDir: dir })
    }
    const degree = opts.degree ?? Math.min(2, peers - 1)
    await waitFor(() => this.peers().every(p => (this.latest(p)?.stats.connections.webrtc ?? 0) >= degree), {
      timeout,
      interval: 500,
      message: () => `every peer to hold ${degree} direct links (now ${this.peers().map(p => this.latest(p)?.stats.connections.webrtc ?? 'none').join(', ')})`
    })
  }

  peers (): SoakProcess[] { return this.processes.filter(p => p.kind === 'peer') }

  /** The process's latest probe sample (with `collected`, the latest taken after a forced GC). */
  latest (p: SoakProcess, collected = false): MemSample | undefined {
    if (p.proc.exitCode !== null) throw new Error(`${p.name} exited with ${p.proc.exitCode}: ${p.proc.stderr.slice(-1500)}`)
    // a sample line is ~400 bytes; every 10th one is collected when gcEvery is 10
    const samples = parseMemSamples(p.proc.stderr.slice(collected ? -40_000 : -8000))
    return collected ? samples.findLast(s => s.gc === true) : samples.at(-1)
  }

  /** One sample of every process, `min` minutes into the phase. */
  sample (min: number): Map<SoakProcess, SoakSample> {
    const out = new Map<SoakProcess, SoakSample>()
    for (const p of this.processes) {
      const pid = p.proc.child.pid
      if (pid == null) throw new Error(`${p.name} has no pid`)
      const last = this.latest(p)
      const heap = this.gcOnly ? this.latest(p, true) : last
      const count = (key: 'closed' | 'held'): number => last?.stats.webrtc.reduce((sum, l) => sum + (l.inboundChannels?.[key] ?? 0), 0) ?? 0
      const mb = (bytes: number | undefined): number => bytes != null ? bytes / MB : Number.NaN
      const smaps = procMem(pid)
      out.set(p, {
        min,
        ...procMB(pid),
        heapMB: mb(heap?.heapUsed),
        heapDataMB: heap != null ? heapDataBytes(heap) / MB : Number.NaN,
        smapsMB: Object.fromEntries(Object.entries(smaps).map(([k, v]) => [k, v / MB])) as unknown as ProcMem,
        heapPhysicalMB: mb(last?.heapPhysical),
        v8MallocMB: mb(last?.v8Malloced),
        externalMB: mb(last?.external),
        ...(last?.afterMajorGc != null ? { afterMajorGc: { at: last.afterMajorGc.t, heapMB: last.afterMajorGc.heapUsed / MB, heapDataMB: (last.afterMajorGc.heapUsed - last.afterMajorGc.codeMetaUsed) / MB, rssMB: last.afterMajorGc.rss / MB } } : {}),
        closedChannels: count('closed'),
        heldChannels: count('held')
      })
    }
    return out
  }

  /**
   * `issues` board issues and `memory` memory entries written through the CLI, round-robin over
   * the peers' data dirs (each command goes through the running peer). Resolves when all exited 0.
   */
  async write (issues: number, memory: number): Promise<void> {
    const peers = this.peers()
    for (let i = 0; i < issues + memory; i++) {
      const n = this.writes++
      const dir = peers[n % peers.length].dataDir
      const args = i < issues
        ? ['issues', 'create', '--title', `soak issue ${n}`, '--type', 'task', '--data-dir', dir]
        : ['memory', 'store', `soak/${n}`, JSON.stringify({ n, at: Date.now() }), '--namespace', 'soak', '--ttl', '10m', '--data-dir', dir]
      const p = startCli(args)
      const code = await p.exited
      if (code !== 0) throw new Error(`novacron ${args.slice(0, 2).join(' ')} exited ${code}: ${p.stderr.slice(-500)}`)
    }
  }

  async stop (): Promise<void> {
    await Promise.all(this.processes.map(async p => await p.proc.stop()))
    rmSync(this.root, { recursive: true, force: true })
  }
}
