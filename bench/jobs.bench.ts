/**
 * `npm run bench -- jobs [--tasks N]`: the local half of the jobs benchmark (the mesh half — 1,000
 * tasks over 4 peers, claim → commit latency, fairness on the ledger — waits for the ledger wiring,
 * docs/jobs.md). Runs N short tasks (a 64×48 Mandelbrot tile, clang-built, checksummed) three ways
 * in the same run:
 *   baseline   `runInSandbox` in this thread, one after another (no worker, no isolation)
 *   runner×1   the Node task runner, one worker thread per task, capacity 1
 *   runner×2   the same with capacity 2
 * and reports tasks/s, per-task latency p50/p99 (queue → result) and the ratio to the baseline.
 * Writes bench/results/jobs.json.
 */
import { readFileSync } from 'node:fs'
import { median, percentile, writeResult } from './_results.ts'
import { runInSandbox } from '../core/jobs/sandbox.ts'
import { resolveLimits } from '../core/jobs/task-types.ts'
import { createNodeTaskRunner } from '../node-runtime/jobs/runner.ts'

const argv = process.argv.slice(2)
const at = argv.indexOf('--tasks')
const N = at >= 0 ? Number(argv[at + 1]) : 40
if (!Number.isInteger(N) || N < 1) throw new RangeError('--tasks expects a positive integer')
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
console.table(rows)
console.log(`bench: wrote ${writeResult('jobs', { tasks: N, task: 'mandelbrot 64x48 tile, 200 iterations, --checksum', rows, pending: 'mesh: 1,000 tasks over 4 peers, claim→commit p50/p99, fairness on the ledger' })}`)
