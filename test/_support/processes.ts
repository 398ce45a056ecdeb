/**
 * Starts `novacron` CLI processes for multi-process tests, collects their output, waits for lines,
 * and guarantees cleanup: every process started here is killed by `stopAll()` (call it in `after`).
 *
 * Each process gets its own empty NOVACRON_HOME (removed when it exits) unless the test passes
 * one: peers default their data dir to `$NOVACRON_HOME/<name>` and list themselves there, so
 * without this, tests would share (and leave behind) state, and never the user's ~/.novacron.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { waitFor } from './wait.ts'

const root = new URL('../..', import.meta.url).pathname
const running = new Set<CliProcess>()

// Safety net: if the test process ends before an `after` hook could run `stopAll()` (a hook threw
// first, or the runner was interrupted), no child may outlive it.
process.once('exit', () => { for (const p of running) p.child.kill('SIGKILL') })

export class CliProcess {
  readonly child: ChildProcess
  stdout = ''
  stderr = ''
  exitCode: number | null = null
  readonly exited: Promise<number | null>

  constructor (args: string[], env: NodeJS.ProcessEnv = {}) {
    const ownHome = env.NOVACRON_HOME == null ? mkdtempSync(join(tmpdir(), 'nc-home-')) : undefined
    // executed through its shebang, as `npx novacron …` runs it (node flags included)
    this.child = spawn(`${root}bin/novacron.mjs`, args, {
      cwd: root,
      env: { ...process.env, ...env, ...(ownHome != null ? { NOVACRON_HOME: ownHome } : {}) },
      stdio: ['pipe', 'pipe', 'pipe']
    })
    if (ownHome != null) this.child.on('exit', () => { rmSync(ownHome, { recursive: true, force: true }) })
    this.child.stdout?.setEncoding('utf8').on('data', (d: string) => { this.stdout += d })
    this.child.stderr?.setEncoding('utf8').on('data', (d: string) => { this.stderr += d })
    this.exited = new Promise(resolve => this.child.on('exit', code => { this.exitCode = code; running.delete(this); resolve(code) }))
    running.add(this)
  }

  /** Waits until stdout matches `pattern`; returns the match. */
  async waitForOutput (pattern: RegExp, timeout = 60_000): Promise<RegExpMatchArray> {
    return await waitFor(() => {
      if (this.exitCode !== null && pattern.exec(this.stdout) == null) {
        throw new Error(`process exited with ${this.exitCode}: ${this.stderr.slice(-2000)}`)
      }
      return pattern.exec(this.stdout)
    }, { timeout, message: `output ${pattern}` })
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  async stop (graceMs = 10_000): Promise<number | null> {
    if (this.exitCode !== null || this.child.exitCode !== null) return this.exitCode ?? this.child.exitCode
    this.child.kill('SIGTERM')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs)
    const code = await this.exited
    clearTimeout(timer)
    return code
  }
}

export function startCli (args: string[], env?: NodeJS.ProcessEnv): CliProcess {
  return new CliProcess(args, env)
}

export async function stopAll (): Promise<void> {
  await Promise.all([...running].map(async p => await p.stop()))
}

/**
 * Runs every cleanup step even when an earlier one throws, then rethrows the first failure:
 * an `after` hook written with it cannot leave processes or directories behind.
 */
export async function cleanup (...steps: Array<() => unknown>): Promise<void> {
  let first: unknown
  for (const step of steps) {
    try { await step() } catch (err) { first ??= err }
  }
  if (first !== undefined) throw first
}
