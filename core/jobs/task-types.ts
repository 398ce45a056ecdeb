/**
 * What one sandboxed task is: its input (stdin, args, env, optional read-only input files), its
 * limits, and its captured output. Shared by the sandbox (inside a worker), the runners that own
 * the workers (node-runtime/jobs, app/jobs) and the CLI.
 */
import { InvalidJobError } from './errors.ts'

export interface TaskSpec {
  /** bytes the module reads on fd 0 @default empty */
  stdin?: Uint8Array
  /** argv[1..]; argv[0] is the program name `task.wasm` @default [] */
  args?: string[]
  /** environment variables @default {} */
  env?: Record<string, string>
  /** read-only files preopened under `/input` (flat names) @default none */
  files?: Record<string, Uint8Array>
}

export interface TaskLimits {
  /** wall-clock limit from the start of the module's compilation; the worker is terminated @default 30000 */
  timeoutMs: number
  /** cap on the module's linear memory (and the worker's JS heap budget) @default 256 MiB */
  memoryBytes: number
  /** cap on each of stdout and stderr @default 16 MiB */
  maxOutputBytes: number
}

export interface TaskOutput {
  exitCode: number
  stdout: Uint8Array
  stderr: Uint8Array
  /** linear memory size when the task ended */
  memoryBytes: number
  /** time spent compiling and running inside the worker */
  runMs: number
}

export const DEFAULT_LIMITS: TaskLimits = Object.freeze({
  timeoutMs: 30_000,
  memoryBytes: 256 * 1024 * 1024,
  maxOutputBytes: 16 * 1024 * 1024
})

/** Hard ceilings on what a task may ask for (4 GiB is wasm32's whole address space). */
export const MAX_LIMITS: TaskLimits = Object.freeze({
  timeoutMs: 24 * 3600_000,
  memoryBytes: 4 * 1024 * 1024 * 1024,
  maxOutputBytes: 256 * 1024 * 1024
})

/** Fills defaults and checks every limit: `InvalidJobError` naming the bad field. */
export function resolveLimits (partial: Partial<TaskLimits> = {}): TaskLimits {
  const out = { ...DEFAULT_LIMITS }
  for (const key of Object.keys(DEFAULT_LIMITS) as Array<keyof TaskLimits>) {
    const v = partial[key]
    if (v === undefined) continue
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_LIMITS[key]) {
      throw new InvalidJobError(`${key} must be an integer from 1 to ${MAX_LIMITS[key]}, got ${String(v)}`)
    }
    out[key] = v
  }
  if (out.memoryBytes < 65536) throw new InvalidJobError('memoryBytes must be at least one 64 KiB page')
  return out
}

/** Checks a task's shape (it may come from a file or a peer): `InvalidJobError` on a bad field. */
export function checkTask (task: TaskSpec): void {
  if (task.stdin !== undefined && !(task.stdin instanceof Uint8Array)) throw new InvalidJobError('stdin must be bytes')
  if (task.args !== undefined && (!Array.isArray(task.args) || task.args.some(a => typeof a !== 'string' || a.includes('\0')))) {
    throw new InvalidJobError('args must be strings without NUL')
  }
  if (task.env !== undefined) {
    if (typeof task.env !== 'object' || task.env === null) throw new InvalidJobError('env must be an object of strings')
    for (const [k, v] of Object.entries(task.env)) {
      if (typeof v !== 'string' || k === '' || k.includes('=') || k.includes('\0') || v.includes('\0')) {
        throw new InvalidJobError(`env ${JSON.stringify(k)}: names are non-empty without '=' or NUL, values strings without NUL`)
      }
    }
  }
  if (task.files !== undefined) {
    for (const [name, data] of Object.entries(task.files)) {
      if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) throw new InvalidJobError(`input file name ${JSON.stringify(name)} must be a plain file name`)
      if (!(data instanceof Uint8Array)) throw new InvalidJobError(`input file ${name} must be bytes`)
    }
  }
}
