/**
 * Folds the runs of bench/_jobs-quiet-series.sh into one file: reads
 * bench/results/<prefix>-run{1,2,3}.json (jobs.bench.ts's output) and the 1-minute load averages
 * sampled beside each run (/tmp/<prefix>-runN.load), and writes bench/results/<prefix>-median.json:
 * every run (mesh tasks/s, wall, claim → commit p50/p99, each worker's part, the in-process and
 * local-runner baselines of the same run, fairness, load) and the medians.
 * `node --import tsx bench/_jobs-median.ts <prefix>`
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { median, writeResult } from './_results.ts'

interface Row { tasksPerSecond: number, wallMs?: number, latencyP50Ms?: number, latencyP99Ms?: number }
interface PeerRow { peer: string, role: string, tasks: number, share: number, claimsSubmitted: number, claimsRefused: number, claimToCommitMeanMs: number, runP50Ms: number, overheadMeanMs: number }
interface JobsResult {
  date: string
  result: {
    rows: Record<string, Row>
    mesh: { tasks: number, tasksPerSecond: number, wallMs: number, claimToCommitP50Ms: number, claimToCommitP99Ms: number, byPeer: number[], perPeer: PeerRow[], throughputVsBaseline: number, fairness: Record<string, number> }
    load: { before: number[], after: number[] }
  }
}

const prefix = process.argv[2] ?? 'jobs-1000-quiet'
const dir = join(new URL('.', import.meta.url).pathname, 'results')
interface RunRow {
  run: number
  date: string
  tasks: number
  tasksPerSecond: number
  wallMs: number
  claimToCommitP50Ms: number
  claimToCommitP99Ms: number
  byPeer: number[]
  perPeer: PeerRow[]
  baselineTps: number
  runner1Tps: number
  runner2Tps: number
  vsBaseline: number
  vsRunner1: number
  vsRunner2: number
  fairness: Record<string, number>
  load: { before: number[], after: number[], loadavg1Sampled: number[] | null, samples: number }
}
const runs: RunRow[] = []
for (let i = 1; i <= 3; i++) {
  const file = join(dir, `${prefix}-run${i}.json`)
  if (!existsSync(file)) { console.log(`${prefix}: run ${i} has no result (${file})`); continue }
  const r = JSON.parse(readFileSync(file, 'utf8')) as JobsResult
  const loadFile = `/tmp/${prefix}-run${i}.load`
  const samples = existsSync(loadFile) ? readFileSync(loadFile, 'utf8').trim().split('\n').map(l => Number(l.split(' ')[1])).filter(Number.isFinite) : []
  const m = r.result.mesh
  runs.push({
    run: i,
    date: r.date,
    tasks: m.tasks,
    tasksPerSecond: m.tasksPerSecond,
    wallMs: m.wallMs,
    claimToCommitP50Ms: m.claimToCommitP50Ms,
    claimToCommitP99Ms: m.claimToCommitP99Ms,
    byPeer: m.byPeer,
    perPeer: m.perPeer,
    baselineTps: r.result.rows.baseline.tasksPerSecond,
    runner1Tps: r.result.rows['runner×1'].tasksPerSecond,
    runner2Tps: r.result.rows['runner×2'].tasksPerSecond,
    vsBaseline: m.throughputVsBaseline,
    vsRunner1: Number((m.tasksPerSecond / r.result.rows['runner×1'].tasksPerSecond).toFixed(2)),
    vsRunner2: Number((m.tasksPerSecond / r.result.rows['runner×2'].tasksPerSecond).toFixed(2)),
    fairness: m.fairness,
    load: { before: r.result.load.before, after: r.result.load.after, loadavg1Sampled: samples.length > 0 ? [Math.min(...samples), Math.max(...samples)] : null, samples: samples.length }
  })
}
const med = (f: (r: RunRow) => number): number => median(runs.map(f))
const medians = runs.length === 0
  ? null
  : {
      tasksPerSecond: med(r => r.tasksPerSecond),
      wallMs: med(r => r.wallMs),
      claimToCommitP50Ms: med(r => r.claimToCommitP50Ms),
      claimToCommitP99Ms: med(r => r.claimToCommitP99Ms),
      baselineTps: med(r => r.baselineTps),
      runner1Tps: med(r => r.runner1Tps),
      runner2Tps: med(r => r.runner2Tps),
      bootstrapShare: med(r => r.perPeer[0]?.share ?? Number.NaN)
    }
const file = writeResult(`${prefix}-median`, {
  command: `/work/bin/heavy --quiet bash bench/_jobs-quiet-series.sh ${prefix} (npm run bench -- jobs --tasks 100 --mesh-tasks 1000, 3 runs in a row)`,
  note: 'heavy --quiet: every heavy slot held by this series, so no other heavy test or bench ran beside it (other engineers\' light work, editors and type-checks may have); load: 1-minute load average before/after each run and sampled every 10 s during it (it includes the bench\'s own 4 peer processes)',
  runs,
  medians
})
console.log(JSON.stringify(medians))
console.log(`bench: wrote ${file}`)
