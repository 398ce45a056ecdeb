/**
 * The mesh half of `npm run bench -- jobs`: `novacron start` + 3 `novacron peer` processes (4
 * workers of capacity 1; one ledger replica, `ledger.maxReplicas` 1, so the ledger's own
 * consensus cost is not what is measured) run M short tasks submitted together (as one job, or
 * ⌈M/500⌉ jobs of at most 500: a `job.submit` entry is at most 48 KiB, and 1,000 listed tasks with
 * their args do not fit in one); reports tasks/s,
 * claim → commit latency p50/p99 (each worker times its claim's submission to its result's
 * commit) and how the tasks spread over the peers. Then fairness: two jobs of F tasks submitted
 * together; once half of their tasks settled, the share of each in what settled.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { median, percentile } from './_results.ts'
import { LedgerCluster, type ClusterPeer } from '../test/_support/ledger-cluster.ts'
import { waitFor } from '../test/_support/wait.ts'
import type { JobSummary } from '../core/jobs/submitter.ts'
import type { JobWorkerStats } from '../core/jobs/worker.ts'

const WASM = new URL('../examples/jobs/build/mandelbrot.wasm', import.meta.url).pathname

/**
 * One worker's part of the mesh run (peer 0 is the bootstrap, the ledger's one replica): its
 * share of the tasks, the claims it submitted and how many the ledger refused (another worker won
 * the slot first), and where a task's claim → commit time goes: the sandbox run (`runMs`) and the
 * rest (two ledger rounds, blob fetches, worker start).
 */
export interface PeerRow {
  peer: string
  role: 'bootstrap (ledger replica)' | 'peer (follower)'
  tasks: number
  share: number
  claimsSubmitted: number
  claimsRefused: number
  claimsTimedOut: number
  claimToCommitP50Ms: number
  claimToCommitMeanMs: number
  runP50Ms: number
  /** mean claim → commit minus mean run: what the ledger and the worker's start cost per task */
  overheadMeanMs: number
  /**
   * the share this worker would get if each worker simply ran tasks back to back at its own mean
   * claim → commit time (share ∝ 1 / mean): compare with `share` to tell a faster cycle from
   * claims won ahead of others
   */
  shareByCycleTime?: number
}

export interface MeshRow { tasks: number, peers: number, tasksPerSecond: number, wallMs: number, claimToCommitP50Ms: number, claimToCommitP99Ms: number, byPeer: number[], perPeer: PeerRow[], outputs: string[] }

const mean = (xs: number[]): number => xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length

/** Listed tasks per `job.submit` entry here (about 31 KiB of args, under the 48 KiB entry cap). */
const TASKS_PER_JOB = 500

async function submit (cluster: LedgerCluster, peer: ClusterPeer, name: string, args: (i: number) => string[], n: number, first = 0): Promise<string> {
  const split = join(cluster.root, `${name}.jsonl`)
  writeFileSync(split, Array.from({ length: n }, (_, i) => JSON.stringify({ args: args(first + i) })).join('\n') + '\n')
  const { readFileSync } = await import('node:fs')
  const r = await cluster.op(peer, 'job.submit', {
    module: readFileSync(WASM).toString('base64'),
    split: readFileSync(split, 'utf8').trim().split('\n').map(l => JSON.parse(l) as unknown),
    timeoutMs: 60_000, memoryBytes: 64 * 1024 * 1024
  }) as { job: string }
  return r.job
}

export async function meshBench (m: number, fairTasks: number, args: (i: number) => string[]): Promise<{ mesh: MeshRow, fairness: Record<string, number> }> {
  const cluster = new LedgerCluster({ flags: ['--job-capacity', '1'] })
  try {
    const boot = await cluster.startBoot()
    await cluster.op(boot, 'config.set', { key: 'ledger.maxReplicas', value: 1 })
    for (let i = 0; i < 3; i++) await cluster.startPeer()
    const t0 = performance.now()
    const jobs: string[] = []
    for (let first = 0; first < m; first += TASKS_PER_JOB) jobs.push(await submit(cluster, boot, `mesh-${first}`, args, Math.min(TASKS_PER_JOB, m - first), first))
    let done: number[] = []
    await waitFor(async () => {
      const st = await Promise.all(jobs.map(async job => await cluster.op(boot, 'job.status', { job }) as JobSummary))
      done = st.map(s => s.done)
      return st.every(s => s.status === 'done')
    }, { timeout: 3_600_000, interval: 250, message: () => `mesh jobs done; now ${done.join(' + ')} of ${m}` })
    const wallMs = performance.now() - t0
    const stats = await Promise.all(cluster.peers.map(async p => (await cluster.op(p, 'job.worker') as { stats: JobWorkerStats }).stats))
    const ours = new Set(jobs)
    const lat = stats.flatMap(s => s.recent.filter(r => ours.has(r.job)).map(r => r.claimToCommitMs))
    const rows: Array<{ stdout: string }> = []
    for (const job of jobs) rows.push(...await cluster.op(boot, 'job.result', { job }) as Array<{ stdout: string }>)
    const perPeer: PeerRow[] = stats.map((s, i) => {
      const rec = s.recent.filter(r => ours.has(r.job))
      const c2c = rec.map(r => r.claimToCommitMs)
      const run = rec.map(r => r.runMs)
      return {
        peer: cluster.peers[i].name,
        role: i === 0 ? 'bootstrap (ledger replica)' : 'peer (follower)',
        tasks: rec.length,
        share: Number((rec.length / m).toFixed(3)),
        claimsSubmitted: s.claimsSubmitted,
        claimsRefused: s.claimsRefused,
        claimsTimedOut: s.claimsTimedOut,
        claimToCommitP50Ms: Math.round(median(c2c)),
        claimToCommitMeanMs: Math.round(mean(c2c)),
        runP50Ms: Math.round(median(run)),
        overheadMeanMs: Math.round(mean(c2c) - mean(run))
      }
    })
    const rate = perPeer.map(p => p.tasks > 0 ? 1 / p.claimToCommitMeanMs : 0)
    const rates = rate.reduce((a, b) => a + b, 0)
    for (const [i, p] of perPeer.entries()) p.shareByCycleTime = Number((rate[i] / rates).toFixed(3))
    const mesh: MeshRow = {
      tasks: m,
      peers: cluster.peers.length,
      tasksPerSecond: Number((m / (wallMs / 1000)).toFixed(2)),
      wallMs: Math.round(wallMs),
      claimToCommitP50Ms: Math.round(median(lat)),
      claimToCommitP99Ms: Math.round(percentile(lat, 99)),
      byPeer: stats.map(s => s.recent.filter(r => ours.has(r.job)).length),
      perPeer,
      outputs: rows.map(r => Buffer.from(r.stdout, 'base64').toString('utf8'))
    }
    // fairness: two jobs together; shares of what settled while both ran
    const a = await submit(cluster, boot, 'fair-a', args, fairTasks)
    const b = await submit(cluster, cluster.peers[1], 'fair-b', args, fairTasks)
    const at = await waitFor(async () => {
      const [sa, sb] = await Promise.all([a, b].map(async id => await cluster.op(boot, 'job.status', { job: id }) as JobSummary))
      // sampled once half of all their tasks settled, while both still compete for the workers
      return sa.done + sb.done >= fairTasks ? { a: sa.done, b: sb.done } : null
    }, { timeout: 3_600_000, interval: 200, message: 'half of the fairness jobs settled' })
    const total = at.a + at.b
    return { mesh, fairness: { tasksEach: fairTasks, settledA: at.a, settledB: at.b, shareA: Number((at.a / total).toFixed(3)), shareB: Number((at.b / total).toFixed(3)), deviationFromEqual: Number((Math.abs(at.a - at.b) / (total / 2)).toFixed(3)) } }
  } finally {
    await cluster.stop()
  }
}
