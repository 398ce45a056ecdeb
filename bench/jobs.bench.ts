/**
 * `npm run bench -- jobs [--tasks N] [--mesh-tasks M] [--fair-tasks F] [--out NAME]`: the jobs
 * benchmark. Runs N short tasks (a 64×48 Mandelbrot tile, clang-built, checksummed) three ways in the same run:
 *   baseline   `runInSandbox` in this thread, one after another (no worker, no isolation)
 *   runner×1   the Node task runner, one worker thread per task, capacity 1
 *   runner×2   the same with capacity 2
 * and reports tasks/s, per-task latency p50/p99 (queue → result) and the ratio to the baseline;
 * then the mesh half (bench/_jobs-mesh.ts): M of the same tasks as one job over 4 peer processes
 * (claim → commit p50/p99, tasks per peer, throughput vs the in-process baseline), and fairness
 * of two jobs of F tasks submitted together, and each worker's part (tasks, refused claims, where
 * its claim → commit time goes). Writes bench/results/NAME.json (default jobs.json) with the load
 * averages before and after.
 */
import { readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { median, percentile, writeResult } from './_results.ts'
import { runInSandbox } from '../core/jobs/sandbox.ts'
import { resolveLimits } from '../core/jobs/task-types.ts'
import { createNodeTaskRunner } from '../node-runtime/jobs/runner.ts'
import { meshBench } from './_jobs-mesh.ts'

const argv = process.argv.slice(2)
const at = argv.indexOf('--tasks')
const N = at >= 0 ? Number(argv[at + 1]) : 40
if (!Number.isInteger(N) || N < 1) throw new RangeError('--tasks expects a positive integer')
const flag = (name: string, def: number): number => {
  const i = argv.indexOf(name)
  const v = i >= 0 ? Number(argv[i + 1]) : def
  if (!Number.isInteger(v) || v < 0) throw new RangeError(`${name} expects a non-negative integer`)
  return v
}
const outAt = argv.indexOf('--out')
const OUT = outAt >= 0 ? argv[outAt + 1] : 'jobs'
if (OUT == null || !/^[\w.-]+$/.test(OUT)) throw new RangeError('--out expects a file name (letters, digits, . _ -)')
const loadBefore = loadavg()
const M = flag('--mesh-tasks', 200)
const F = flag('--fair-tasks', 60)
const wasm = new Uint8Array(readFileSync(new URL('../examples/jobs/build/mandelbrot.wasm', import.meta.url)))
const task = (i: number): { args: string[] } => ({ args: ['--checksum', '640', '480', String((i % 10) * 64), String(Math.floor(i / 10) % 10 * 48), '64', '48', '200'] })
const limits = resolveLimits({})

async function baseline (): Promise<{ wallMs: number, latencies: number[], outputs: string[] }> {
  const t0 = performance.now()
  const latencies: number[] = []
  const outputs: string[] = []
  for (let i = 0; i < N; i++) {
    const s = performance.now()
    const out = await runInSandbox(wasm, task(i), limits)
    latencies.push(performance.now() - s)
    outputs.push(new TextDecoder().decode(out.stdout))
  }
  return { wallMs: performance.now() - t0, latencies, outputs }
}

async function pooled (capacity: number): Promise<{ wallMs: number, latencies: number[], outputs: string[] }> {
  const runner = await createNodeTaskRunner({ capacity })
  const t0 = performance.now()
  const latencies: number[] = []
  const outputs = await Promise.all(Array.from({ length: N }, async (_, i) => {
    const s = performance.now()
    const out = await runner.run(wasm, task(i))
    latencies.push(performance.now() - s)
    return new TextDecoder().decode(out.stdout)
  }))
  runner.stop()
  return { wallMs: performance.now() - t0, latencies, outputs }
}

const base = await baseline()
const rows: Record<string, unknown> = {}
const summary = (r: { wallMs: number, latencies: number[] }): Record<string, number> => ({
  tasksPerSecond: Number((N / (r.wallMs / 1000)).toFixed(2)),
  latencyP50Ms: Math.round(median(r.latencies)),
  latencyP99Ms: Math.round(percentile(r.latencies, 99)),
  wallMs: Math.round(r.wallMs)
})
rows.baseline = summary(base)
for (const capacity of [1, 2]) {
  const r = await pooled(capacity)
  if (r.outputs.join() !== base.outputs.join()) throw new Error(`runner×${capacity} outputs differ from the baseline's`)
  rows[`runner×${capacity}`] = { ...summary(r), throughputVsBaseline: Number(((N / r.wallMs) / (N / base.wallMs)).toFixed(3)) }
}
let mesh: Record<string, unknown> | undefined
if (M > 0) {
  const r = await meshBench(M, F, i => task(i).args)
  const local = await baseline()
  // the mesh ran tasks 0..M-1; the baseline run above computed 0..N-1, and task i's tile repeats
  // every 100 tasks, so every mesh task whose tile the baseline ran is checked (all of them when N >= 100)
  let checked = 0
  for (let i = 0; i < M; i++) {
    if (i % 100 >= N) continue
    if (r.mesh.outputs[i] !== local.outputs[i % 100]) throw new Error(`mesh task ${i}'s output differs from the in-process run`)
    checked++
  }
  console.log(`bench: ${checked} of ${M} mesh outputs checked against the in-process run`)
  const { outputs: _o, ...row } = r.mesh
  mesh = { ...row, throughputVsBaseline: Number((r.mesh.tasksPerSecond / (N / (base.wallMs / 1000))).toFixed(4)), fairness: r.fairness }
  rows.mesh = row
}
console.table(rows)
console.log(mesh)
const load = { before: loadBefore.map(l => Number(l.toFixed(2))), after: loadavg().map(l => Number(l.toFixed(2))), note: '1 / 5 / 15-minute load averages before and after this run' }
console.log(`bench: wrote ${writeResult(OUT, { tasks: N, task: 'mandelbrot 64x48 tile, 200 iterations, --checksum', rows, mesh: mesh ?? 'skipped (--mesh-tasks 0)', load })}`)
