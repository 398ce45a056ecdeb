/**
 * The expected outputs of a jobs test: the same module run locally in the jobs' own Node sandbox.
 * Each distinct argument list runs once per test file (cached), and a test's runs go side by side on
 * the machine's cores (at most 4): they come after the mesh's work, when its peers are idle. Tests
 * that reuse a tile therefore pay for its local run once.
 */
import { availableParallelism } from 'node:os'
import type { TaskRunner } from '../../core/jobs/runner.ts'
import { createNodeTaskRunner } from '../../node-runtime/jobs/runner.ts'

export class LocalRuns {
  private runner: Promise<TaskRunner> | undefined
  private readonly runs = new Map<string, Promise<{ stdout: Uint8Array, runMs: number }>>()

  /**
   * `timeoutMs`: each run's limit; give the jobs' own (a long tile under load takes longer than the
   * runner's 30 s default: the 600,000-iteration tile of an earlier version of jobs/mesh.test.ts
   * timed out in the test process at a load average of ~11)
   */
  constructor (private readonly module: Uint8Array, private readonly timeoutMs = 300_000) {}

  /** One run's stdout and how long its sandbox ran (ms), from the cache when these args ran before. */
  async run (args: string[]): Promise<{ stdout: Uint8Array, runMs: number }> {
    const key = JSON.stringify(args)
    let run = this.runs.get(key)
    if (run == null) {
      this.runner ??= createNodeTaskRunner({ capacity: Math.min(4, availableParallelism()) })
      const runner = this.runner
      run = runner.then(async r => await r.run(this.module, { args }, { timeoutMs: this.timeoutMs })).then(out => ({ stdout: out.stdout, runMs: out.runMs }))
      this.runs.set(key, run)
    }
    return await run
  }

  /** The stdout of each run as UTF-8 text, in order. */
  async texts (argsOf: string[][]): Promise<string[]> {
    return await Promise.all(argsOf.map(async args => Buffer.from((await this.run(args)).stdout).toString('utf8')))
  }

  stop (): void {
    void this.runner?.then(r => { r.stop() })
    this.runner = undefined
  }
}
