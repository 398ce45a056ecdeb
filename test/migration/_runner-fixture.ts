/**
 * The setup several migration tests share: the Node task runner (worker threads, capacity 1), the
 * peer's instrumenter thread, one example program instrumented, and its uninterrupted output from
 * the ordinary sandbox — made before the file's tests and stopped after them.
 */
import { after, before } from 'node:test'
import type { TaskRunner } from '../../core/jobs/runner.ts'
import type { TaskLimits } from '../../core/jobs/task-types.ts'
import type { InstrumentedModule } from '../../core/migration/instrument.ts'
import { createNodeTaskRunner } from '../../node-runtime/jobs/runner.ts'
import { createInstrumenter, type Instrumenter } from '../../node-runtime/migration/instrumenter.ts'

export interface RunnerFixture {
  runner: TaskRunner
  instrumenter: Instrumenter
  /** the program, instrumented */
  mod: InstrumentedModule
  /** its stdout from an uninterrupted run in the ordinary sandbox */
  plain: string
}

/** Registers `before`/`after` hooks; the fields are set once `before` has run. */
export function runnerFixture (wasm: Uint8Array, args: string[], limits: Partial<TaskLimits>): RunnerFixture {
  const f = {} as RunnerFixture
  before(async () => {
    f.runner = await createNodeTaskRunner({ capacity: 1 })
    f.instrumenter = createInstrumenter()
    f.plain = new TextDecoder().decode((await f.runner.run(wasm, { args }, limits)).stdout)
    f.mod = await f.instrumenter.instrument(wasm)
  })
  after(async () => { f.runner?.stop(); await f.instrumenter?.stop() })
  return f
}
