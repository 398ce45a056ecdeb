/**
 * `npm run bench -- migration-polls [--runs 5] [--steps 300000000] [--depth 27] [--out <name>]`: what
 * the poll points (core/migration/loop-polls.ts: at loop headers and, since session 12, at the
 * entries of functions that can recurse, call-cycles.ts) cost. Each program runs, side by side in
 * one process and interleaved run by run, as
 *   - `plain`: the submitted module in the ordinary sandbox (core/jobs/sandbox.ts);
 *   - `asyncify`: instrumented as before session 11 (asyncify only, `pollEvery` 0), checkpointable;
 *   - `loops`: instrumented as in session 11 (a poll every 10,000 iterations of any loop);
 *   - `polls`: instrumented as now (loops, and the entries of recursive functions).
 * Programs: spin (examples/jobs/spin.c: a pure compute loop, no WASI call), the counter (a loop
 * with a WASI call every n/200 steps), a Mandelbrot tile (nested float loops) and recurse (a binary
 * recursion of 2^depth calls with no loop: the case entry polls are for). Reports the median wall
 * time of each and the ratios polls / loops, polls / asyncify and polls / plain, with the poll calls
 * one run made and the load average at start and end. Outputs are compared: every variant must
 * print the same bytes.
 */
import { loadavg } from 'node:os'
import { runInSandbox } from '../core/jobs/sandbox.ts'
import { resolveLimits, type TaskSpec } from '../core/jobs/task-types.ts'
import { POLL_CALL, runCheckpointable } from '../core/migration/checkpoint-run.ts'
import { instrumentForCheckpoint, type InstrumentedModule } from '../core/migration/instrument.ts'
import { exampleWasm } from '../test/jobs/_examples.ts'
import { median, writeResult } from './_results.ts'

const flag = (name: string, dflt: string): string => { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? process.argv[i + 1] : dflt }
const runs = Number(flag('runs', '5'))
const steps = flag('steps', '300000000')
const depth = flag('depth', '27')
const outName = flag('out', 'migration-polls')
const limits = resolveLimits({ memoryBytes: 64 * 1024 * 1024, timeoutMs: 600_000 })
const text = (b: Uint8Array): string => new TextDecoder().decode(b)

const programs: Array<{ name: string, wasm: Uint8Array, task: TaskSpec }> = [
  { name: 'spin', wasm: exampleWasm('spin'), task: { args: [steps] } },
  { name: 'counter', wasm: exampleWasm('counter'), task: { args: [String(Math.round(Number(steps) / 10))] } },
  { name: 'mandelbrot', wasm: exampleWasm('mandelbrot'), task: { args: ['--checksum', '1200', '800', '0', '0', '1200', '800', '1000'] } },
  { name: 'recurse', wasm: exampleWasm('recurse'), task: { args: [depth] } }
]

const loadStart = loadavg()[0]
const rows = []
type Variant = 'asyncify' | 'loops' | 'polls'
for (const p of programs) {
  // in this process: the bench measures the instrumented code, not where binaryen runs
  const mods: Record<Variant, InstrumentedModule> = {
    asyncify: await instrumentForCheckpoint(p.wasm, { pollEvery: 0 }),
    loops: await instrumentForCheckpoint(p.wasm, { entryPolls: false }),
    polls: await instrumentForCheckpoint(p.wasm)
  }
  const times: Record<string, number[]> = { plain: [], asyncify: [], loops: [], polls: [] }
  const outputs = new Set<string>()
  const pollCalls: Record<string, number> = {}
  const variants = ['plain', 'asyncify', 'loops', 'polls'] as const
  for (let r = 0; r < runs; r++) {
    for (let k = 0; k < variants.length; k++) {
      const v = variants[(k + r) % variants.length] // a different one first each run
      const t0 = performance.now()
      if (v === 'plain') {
        outputs.add(text((await runInSandbox(p.wasm, p.task, limits)).stdout))
      } else {
        let n = 0
        const res = await runCheckpointable(mods[v], p.task, limits, { shouldPause: at => { if (at.name === POLL_CALL) n++; return false } })
        if (res.kind !== 'done') throw new Error(`${p.name} ${v} paused`)
        outputs.add(text(res.output.stdout))
        pollCalls[v] = n
      }
      times[v].push(performance.now() - t0)
    }
  }
  if (outputs.size !== 1) throw new Error(`${p.name}: the variants printed different outputs`)
  const m = { plain: median(times.plain), asyncify: median(times.asyncify), loops: median(times.loops), polls: median(times.polls) }
  const row = { program: p.name, args: p.task.args, medianMs: m, pollsVsLoops: m.polls / m.loops, pollsVsAsyncify: m.polls / m.asyncify, pollsVsPlain: m.polls / m.plain, pollCalls, pollPoints: mods.polls.polls, bytes: { original: p.wasm.length, asyncify: mods.asyncify.bytes.length, loops: mods.loops.bytes.length, polls: mods.polls.bytes.length }, runsMs: times }
  rows.push(row)
  console.log(`${p.name.padEnd(10)} plain ${m.plain.toFixed(0)} ms  asyncify ${m.asyncify.toFixed(0)} ms  loops ${m.loops.toFixed(0)} ms  polls ${m.polls.toFixed(0)} ms  polls/loops ${row.pollsVsLoops.toFixed(3)}  polls/asyncify ${row.pollsVsAsyncify.toFixed(3)}  polls/plain ${row.pollsVsPlain.toFixed(3)}  (poll calls ${JSON.stringify(pollCalls)}, ${mods.polls.polls?.loops ?? 0} loops, ${mods.polls.polls?.entries ?? 0} entries)`)
}
const file = writeResult(outName, { runs, load: { start: loadStart, end: loadavg()[0] }, rows })
console.log(`load ${loadStart.toFixed(1)} → ${loadavg()[0].toFixed(1)}; ${file}`)
