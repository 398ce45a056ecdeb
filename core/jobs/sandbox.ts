/**
 * The sandbox proper: runs one WASI preview 1 command module (`_start`) with a task's stdin, args
 * and env, and captures stdout, stderr and the exit code. It runs *inside* a worker (a Node worker
 * thread or a Web Worker, see node-runtime/jobs and app/jobs), so an infinite loop or a crash
 * takes down only that worker; the owner enforces the wall clock by terminating it.
 *
 * WASI is `@bjorn3/browser_wasi_shim`, pure JavaScript, the same in tabs and Node (Node's
 * `node:wasi` is experimental on Node 20 and one large run segfaulted at exit here). What the
 * module can reach is exactly its imports, so the checks are on them:
 * - only functions of `wasi_snapshot_preview1` that the shim implements; anything else (another
 *   module, an imported memory/table/global) is an `UnsupportedImportError` before instantiation;
 * - file system: fd 0 is stdin, 1 and 2 are capture buffers (capped), and the only preopen is an
 *   in-memory `/input` holding the task's input files — nothing of the host's;
 * - network: the `sock_*` calls answer ENOTSUP (the shim would throw a string);
 * - memory: the module's declared maximum is lowered to the cap (wasm-binary.ts); a trap while
 *   memory sits at the cap is reported as `JobMemoryError`, other traps as `JobTrapError`.
 * The shim's `args_sizes_get` counts UTF-16 units, not UTF-8 bytes; it is replaced here so
 * non-ASCII args cannot overrun the module's buffer.
 */
import { ConsoleStdout, File, OpenFile, PreopenDirectory, WASI, WASIProcExit, type Fd, type Inode } from '@bjorn3/browser_wasi_shim'
import { capModuleMemory, WASM_PAGE } from './wasm-binary.ts'
import { InvalidModuleError, JobMemoryError, JobOutputLimitError, JobTrapError, UnsupportedImportError } from './errors.ts'
import type { TaskLimits, TaskOutput, TaskSpec } from './task-types.ts'

const WASI_MODULE = 'wasi_snapshot_preview1'
const ERRNO_SUCCESS = 0
const ERRNO_NOTSUP = 58

/** Collects one output stream up to a cap; one byte more throws `JobOutputLimitError`. */
export class Capture {
  private readonly parts: Uint8Array[] = []
  size = 0
  constructor (private readonly label: string, private readonly cap: number) {}
  write = (data: Uint8Array): void => {
    if (this.size + data.length > this.cap) throw new JobOutputLimitError(`${this.label} exceeds the output cap of ${this.cap} bytes`)
    this.parts.push(data.slice())
    this.size += data.length
  }

  bytes (): Uint8Array {
    const out = new Uint8Array(this.size)
    let o = 0
    for (const p of this.parts) { out.set(p, o); o += p.length }
    return out
  }
}

type WasiImports = Record<string, (...args: never[]) => unknown>

export function buildImports (wasi: WASI, args: string[]): WasiImports {
  const base = wasi.wasiImport as unknown as WasiImports
  const enc = new TextEncoder()
  const memory = (): ArrayBuffer => wasi.inst.exports.memory.buffer
  return {
    ...base,
    args_sizes_get: (argc: number, bufSize: number) => {
      const view = new DataView(memory())
      view.setUint32(argc, args.length, true)
      view.setUint32(bufSize, args.reduce((n, a) => n + enc.encode(a).length + 1, 0), true)
      return ERRNO_SUCCESS
    },
    sock_accept: () => ERRNO_NOTSUP,
    sock_recv: () => ERRNO_NOTSUP,
    sock_send: () => ERRNO_NOTSUP,
    sock_shutdown: () => ERRNO_NOTSUP,
    proc_raise: (sig: number) => { throw new JobTrapError(`the module raised signal ${sig}`) }
  }
}

/**
 * Every import the module asks for must be a WASI function we provide (or, for a module the
 * runner instrumented itself, one of `also`'s functions: core/migration's poll point).
 */
export function checkImports (module: WebAssembly.Module, provided: WasiImports, also: ReadonlyArray<{ module: string, name: string }> = []): void {
  const bad = WebAssembly.Module.imports(module)
    .filter(i => i.kind !== 'function' || (i.module === WASI_MODULE ? !Object.hasOwn(provided, i.name) : !also.some(a => a.module === i.module && a.name === i.name)))
    .map(i => `${i.module}.${i.name} (${i.kind})`)
  if (bad.length > 0) {
    const shown = bad.slice(0, 8).join(', ') + (bad.length > 8 ? `, and ${bad.length - 8} more` : '')
    throw new UnsupportedImportError(`the module imports what the sandbox does not provide: ${shown}; only ${WASI_MODULE} functions are available`)
  }
}

async function compile (bytes: Uint8Array): Promise<WebAssembly.Module> {
  try {
    return await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>)
  } catch (err) {
    throw new InvalidModuleError(`not a valid WebAssembly module: ${err instanceof Error ? err.message : String(err)}`)
  }
}

/**
 * Compiles and runs one task. Resolves with its output (any exit code); rejects with a typed
 * `JobError` when the module cannot run or fails (trap, memory, output cap).
 */
export async function runInSandbox (moduleBytes: Uint8Array, task: TaskSpec, limits: TaskLimits): Promise<TaskOutput> {
  const started = performance.now()
  const capPages = Math.floor(limits.memoryBytes / WASM_PAGE)
  const { bytes } = capModuleMemory(moduleBytes, capPages)
  const module = await compile(bytes)

  const args = ['task.wasm', ...(task.args ?? [])]
  const env = Object.entries(task.env ?? {}).map(([k, v]) => `${k}=${v}`)
  const stdout = new Capture('stdout', limits.maxOutputBytes)
  const stderr = new Capture('stderr', limits.maxOutputBytes)
  const inputs = new Map<string, Inode>(Object.entries(task.files ?? {}).map(([name, data]) => [name, new File(data, { readonly: true })]))
  const fds: Fd[] = [
    new OpenFile(new File(task.stdin ?? new Uint8Array(0), { readonly: true })),
    new ConsoleStdout(stdout.write),
    new ConsoleStdout(stderr.write),
    new PreopenDirectory('/input', inputs)
  ]
  const wasi = new WASI(args, env, fds)
  const imports = buildImports(wasi, args)
  checkImports(module, imports)

  const exportKinds = new Map(WebAssembly.Module.exports(module).map(e => [e.name, e.kind]))
  if (exportKinds.get('_start') !== 'function') throw new InvalidModuleError('not a WASI command: the module exports no _start function')
  if (exportKinds.get('memory') !== 'memory') throw new InvalidModuleError('not a WASI command: the module exports no memory')

  let instance: WebAssembly.Instance
  try {
    instance = await WebAssembly.instantiate(module, { [WASI_MODULE]: imports as WebAssembly.ModuleImports })
  } catch (err) {
    // a start function or a data segment can trap during instantiation
    throw new JobTrapError(`instantiation failed: ${err instanceof Error ? err.message : String(err)}`)
  }
  const memory = instance.exports.memory as WebAssembly.Memory
  const atCap = (): boolean => memory.buffer.byteLength + WASM_PAGE > capPages * WASM_PAGE
  let exitCode: number
  try {
    exitCode = wasi.start(instance as unknown as Parameters<WASI['start']>[0])
  } catch (err) {
    if (err instanceof JobOutputLimitError || err instanceof JobTrapError) throw err
    if (err instanceof WASIProcExit) exitCode = err.code
    else if (err instanceof WebAssembly.RuntimeError || err instanceof RangeError) {
      const what = err.message
      if (atCap()) throw new JobMemoryError(`the module trapped (${what}) with its memory at the cap of ${limits.memoryBytes} bytes`)
      throw new JobTrapError(`the module trapped: ${what}`)
    } else {
      throw new JobTrapError(`the task failed: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`)
    }
  }
  return { exitCode, stdout: stdout.bytes(), stderr: stderr.bytes(), memoryBytes: memory.buffer.byteLength, runMs: performance.now() - started }
}
