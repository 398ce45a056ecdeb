/**
 * `novacron job <subcommand>`: WebAssembly (WASI preview 1) jobs. `job run` runs one task locally,
 * in the same sandbox a mesh worker uses (a worker thread per task, memory cap, wall clock, no
 * file system beyond the task's input, no network). The mesh-wide `job submit|status|result|list|
 * cancel` are in ./job-mesh.ts.
 */
import { readFileSync, statSync } from 'node:fs'
import { basename } from 'node:path'
import { bool, list, str, UsageError, type CliIO, type Command, type ParsedArgs } from '../args.ts'
import { createNodeTaskRunner } from '../../jobs/runner.ts'
import { parseDuration } from '../../../core/state/memory.ts'
import type { TaskSpec } from '../../../core/jobs/index.ts'
import { meshCommands } from './job-mesh.ts'
import { migrateCommands } from './job-migrate.ts'

/** Largest module or input file `job run` reads (the blob layer's default cap). */
const MAX_FILE_BYTES = 64 * 1024 * 1024

/** `256MiB`, `64M`, `1GiB`, `512KiB`, `65536` (bytes) → bytes. */
export function parseSize (text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?$/i.exec(text.trim())
  if (m == null) throw new UsageError(`${flag} expects a size such as 256MiB, 64M or 1GiB (got '${text}')`, flag)
  const unit = (m[2] ?? 'b').toLowerCase()[0] as 'b' | 'k' | 'm' | 'g'
  return Math.round(Number(m[1]) * { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[unit])
}

export function duration (text: string, flag: string): number {
  try {
    return parseDuration(text)
  } catch {
    throw new UsageError(`${flag} expects a duration such as 500ms, 30s or 5m (got '${text}')`, flag)
  }
}

export function readCapped (path: string, what: string): Uint8Array {
  let size: number
  try {
    size = statSync(path).size
  } catch {
    throw new UsageError(`${what} '${path}' cannot be read`)
  }
  if (size > MAX_FILE_BYTES) throw new UsageError(`${what} '${path}' is ${size} bytes; the cap is ${MAX_FILE_BYTES}`)
  return new Uint8Array(readFileSync(path))
}

export async function readStdin (io: CliIO): Promise<Uint8Array> {
  const parts: Buffer[] = []
  let n = 0
  for await (const chunk of io.stdin) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk as Buffer
    n += b.length
    if (n > MAX_FILE_BYTES) throw new UsageError(`stdin is over the cap of ${MAX_FILE_BYTES} bytes`)
    parts.push(b)
  }
  return new Uint8Array(Buffer.concat(parts))
}

async function runLocal (args: ParsedArgs, io: CliIO): Promise<number> {
  const [modulePath, ...rest] = args.positionals
  if (modulePath == null) throw new UsageError('missing <module.wasm>')
  const module = readCapped(modulePath, 'module')
  const task: TaskSpec = { args: [...list(args, 'arg'), ...rest] }
  const input = str(args, 'input')
  if (input === '-') task.stdin = await readStdin(io)
  else if (input != null) task.stdin = readCapped(input, '--input')
  const files = list(args, 'file')
  if (files.length > 0) task.files = Object.fromEntries(files.map(f => [basename(f), readCapped(f, '--file')]))
  const env = list(args, 'env')
  if (env.length > 0) {
    task.env = {}
    for (const kv of env) {
      const i = kv.indexOf('=')
      if (i <= 0) throw new UsageError(`--env expects NAME=VALUE (got '${kv}')`, '--env')
      task.env[kv.slice(0, i)] = kv.slice(i + 1)
    }
  }
  const runner = await createNodeTaskRunner({ capacity: 1 })
  try {
    const out = await runner.run(module, task, {
      timeoutMs: duration(str(args, 'timeout') ?? '30s', '--timeout'),
      memoryBytes: parseSize(str(args, 'memory') ?? '256MiB', '--memory'),
      maxOutputBytes: parseSize(str(args, 'max-output') ?? '16MiB', '--max-output')
    })
    if (bool(args, 'json')) {
      io.stdout.write(JSON.stringify({
        exitCode: out.exitCode,
        stdout: Buffer.from(out.stdout).toString('base64'),
        stderr: Buffer.from(out.stderr).toString('base64'),
        memoryBytes: out.memoryBytes,
        runMs: Math.round(out.runMs)
      }) + '\n')
      return 0
    }
    io.stdout.write(out.stdout)
    io.stderr.write(out.stderr)
    return out.exitCode & 0xff
  } finally {
    runner.stop()
  }
}

const run: Command = {
  name: 'run',
  summary: 'Run a WASI module locally in the jobs sandbox',
  description: 'Runs <module.wasm> (wasm32-wasi, preview 1: what clang, Rust, Go, Zig and AssemblyScript emit)\n' +
    'as one task: its _start with the given stdin, args and env, in its own worker thread with a\n' +
    'memory cap and a wall-clock limit, no file system beyond /input and no network. The module\'s\n' +
    'stdout and stderr are written to ours and its exit code is ours. A task that cannot run or\n' +
    'fails (JobTimeoutError, JobMemoryError, JobTrapError, InvalidModuleError, UnsupportedImportError,\n' +
    'JobOutputLimitError) prints that error and exits 1. Arguments after `--` go to the module.',
  positionals: [
    { name: 'module.wasm', description: 'The WASI module to run', required: true },
    { name: 'args', description: 'Arguments for the module (after --)', variadic: true }
  ],
  options: [
    { name: 'input', type: 'string', value: '<file|->', description: "The task's stdin: a file, or - for ours (default: empty)" },
    { name: 'arg', type: 'list', value: '<arg>', description: 'An argument for the module (repeatable; also everything after --)' },
    { name: 'env', type: 'list', value: '<NAME=VALUE>', description: 'An environment variable for the module (repeatable)' },
    { name: 'file', type: 'list', value: '<path>', description: 'A file the module may read as /input/<name> (repeatable)' },
    { name: 'timeout', type: 'string', value: '<duration>', default: '30s', description: 'Wall-clock limit (e.g. 500ms, 30s, 5m)' },
    { name: 'memory', type: 'string', value: '<size>', default: '256MiB', description: "Cap on the module's memory (e.g. 64MiB, 1GiB)" },
    { name: 'max-output', type: 'string', value: '<size>', default: '16MiB', description: 'Cap on each of stdout and stderr' },
    { name: 'json', type: 'boolean', description: 'Print { exitCode, stdout, stderr (base64), memoryBytes, runMs } instead' }
  ],
  examples: [
    'novacron job run examples/jobs/build/mandelbrot.wasm -- 800 600 0 0 800 600 > tile.pgm',
    'echo "--checksum 400 300 0 0 200 150" | novacron job run mandelbrot.wasm --input -',
    'novacron job run task.wasm --timeout 5s --memory 64MiB --env MODE=fast --file data.csv'
  ],
  run: runLocal
}

export const command: Command = {
  name: 'job',
  summary: 'Run WebAssembly (WASI) jobs',
  description: 'Subcommands: run (one task locally, in the sandbox); submit, status, result, list and cancel\n' +
    '(jobs on the mesh, through the peer running on --data-dir: its ledger orders every claim and\n' +
    'result, its peers run the tasks). See docs/jobs.md.',
  options: [],
  subcommands: [run, ...meshCommands, ...migrateCommands]
}
