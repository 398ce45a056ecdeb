/**
 * `npm run bench -- migration-polls [--runs 5] [--steps 300000000] [--out <name>]`: what the poll
 * points at loop headers (core/migration/loop-polls.ts) cost a hot loop. Each program runs, side
 * by side in one process and interleaved run by run, as
 *   - `plain`: the submitted module in the ordinary sandbox (core/jobs/sandbox.ts);
 *   - `asyncify`: instrumented as before session 11 (asyncify only, `pollEvery` 0), checkpointable;
 *   - `polls`: instrumented as now (asyncify and a poll every 10,000 iterations of any loop).
 * Programs: spin (examples/jobs/spin.c: a pure compute loop, no WASI call: the case the polls are
 * for), the counter (a loop with a WASI call every n/200 steps) and a Mandelbrot tile (nested
 * float loops). Reports the median wall time of each and the ratios polls / asyncify and
 * polls / plain, with the poll calls one run made and the load average at start and end.
 * Outputs are compared: every variant must print the same bytes.
 */
import { loadavg } from 'node:os'
import { runInSandbox } from '../core/jobs/sandbox.ts'
import { resolveLimits, type TaskSpec } from '../core/jobs/task-types.ts'
import { POLL_CALL, runCheckpointable } from '../core/migration/checkpoint-run.ts'
import type { InstrumentedModule } from '../core/migration/instrument.ts'
import { createInstrumenter } from '../node-runtime/migration/instrumenter.ts'
import { exampleWasm } from '../test/jobs/_examples.ts'
import { median, writeResult } from './_results.ts'

const flag = (name: string, dflt: string): string => { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? process.argv[i + 1] : dflt }
const runs = Number(flag('runs', '5'))
const steps = flag('steps', '300000000')
const outName = flag('out', 'migration-polls')
const limits = resolveLimits({ memoryBytes: 64 * 1024 * 1024, timeoutMs: 600_000 })
const text = (b: Uint8Array): string => new TextDecoder().decode(b)

const programs: Array<{ name: string, wasm: Uint8Array, task: TaskSpec }> = [
  { name: 'spin', wasm: exampleWasm('spin'), task: { args: [steps] } },
  { name: 'counter', wasm: exampleWasm('counter'), task: { args: [String(Math.round(Number(steps) / 10))] } },
  { name: 'mandelbrot', wasm: exampleWasm('mandelbrot'), task: { args: ['--checksum', '1200', '800', '0', '0', '1200', '800', '1000'] } }
]

const withPolls = createInstrumenter()
const without = createInstrumenter({ pollEvery: 0 })
const loadStart = loadavg()[0]
const rows = []
try {
  for (const p of programs) {
    const mods: Record<'asyncify' | 'polls', InstrumentedModule> = { asyncify: await without.instrument(p.wasm), polls: await withPolls.instrument(p.wasm) }
    const times: Record<string, number[]> = { plain: [], asyncify: [], polls: [] }
    const outputs = new Set<string>()
    let polls = 0
    const variants = ['plain', 'asyncify', 'polls'] as const
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
          if (v === 'polls') polls = n
        }
        times[v].push(performance.now() - t0)
      }
    }
    if (outputs.size !== 1) throw new Error(`${p.name}: the variants printed different outputs`)
    const m = { plain: median(times.plain), asyncify: median(times.asyncify), polls: median(times.polls) }
    const row = { program: p.name, args: p.task.args, medianMs: m, pollsVsAsyncify: m.polls / m.asyncify, pollsVsPlain: m.polls / m.plain, pollCalls: polls, loopsPolled: mods.polls.polls?.loops, bytes: { original: p.wasm.length, asyncify: mods.asyncify.bytes.length, polls: mods.polls.bytes.length }, runsMs: times }
    rows.push(row)
    console.log(`${p.name.padEnd(10)} plain ${m.plain.toFixed(0)} ms  asyncify ${m.asyncify.toFixed(0)} ms  polls ${m.polls.toFixed(0)} ms  polls/asyncify ${row.pollsVsAsyncify.toFixed(3)}  polls/plain ${row.pollsVsPlain.toFixed(3)}  (${polls} poll calls, ${row.loopsPolled ?? 0} loops)`)
  }
} finally {
  await withPolls.stop()
  await without.stop()
}
const file = writeResult(outName, { runs, load: { start: loadStart, end: loadavg()[0] }, rows })
console.log(`load ${loadStart.toFixed(1)} → ${loadavg()[0].toFixed(1)}; ${file}`)
