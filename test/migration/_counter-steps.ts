/**
 * How many steps a migration test's counter (examples/jobs/counter.c) or spin walks, scaled to this
 * machine's speed. The tests that move a running counter race it against steps bound by timers,
 * not by the CPU (checkpoint intervals, leases, ledger commits, dials): on a machine twice as fast
 * the counter ends twice as soon while those steps take as long, and a test that moves a task which
 * already finished fails ("job … is not active here"). So the step count is chosen from a short
 * native run: `steps` on the machine the tests were written on, proportionally more on a faster
 * one, never fewer. The output is still exact: the reference is the native build run with the
 * same count.
 */
import { execFileSync } from 'node:child_process'
import { examplePath } from '../jobs/_examples.ts'

/** native ms for 10⁸ steps on the machine the tests were tuned on (a 2-core VM) */
const TUNED_MS_PER_1E8 = { counter: 550, spin: 390 }
const PROBE = 100_000_000

/** `steps` of the counter scaled up by how much faster than the tuned machine a native probe runs here (at most 10×) */
export function counterSteps (steps: number): string {
  return scaledSteps('counter', steps)
}

/** the same for spin (examples/jobs/spin.c: a pure compute loop; its step count is 64-bit) */
export function spinSteps (steps: number): string {
  return scaledSteps('spin', steps)
}

function scaledSteps (example: keyof typeof TUNED_MS_PER_1E8, steps: number): string {
  const t0 = performance.now()
  execFileSync(examplePath(example, 'native'), [String(PROBE)])
  const ms = Math.max(1, performance.now() - t0)
  const speedup = Math.min(10, Math.max(1, TUNED_MS_PER_1E8[example] / ms))
  return String(Math.round(steps * speedup / 1e6) * 1e6)
}
