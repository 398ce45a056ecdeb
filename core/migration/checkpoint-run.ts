/**
 * Runs an instrumented task (instrument.ts) so that it can stop at a safe point and go on later
 * in a fresh instance from a `TaskSnapshot`.
 *
 * Safe points are the task's WASI calls and the poll points instrument.ts puts at loop headers
 * (the `novacron.poll` import, called every few thousand iterations: loop-polls.ts), so that a
 * loop without WASI calls stops too. After each call's effect is done (the bytes written, the
 * stdin read), `shouldPause` is asked; on yes the import starts an asyncify unwind, `_start`
 * returns with the stack saved in a buffer in linear memory, and the snapshot is taken: memory,
 * mutable globals, the stdin position, stdout/stderr so far, the clock. Resuming instantiates the
 * module afresh, restores all of it and starts a rewind: `_start` runs back down to the same call,
 * which now returns the result saved at the pause without doing its effect again — so no output
 * is lost or doubled. A paused run can also go on in its own instance (`resume()`): memory and
 * globals are still in place, only the saved stack is put back and rewound — no snapshot restored.
 *
 * The unwind buffer borrows the first `unwindBytes` of linear memory: while asyncify unwinds or
 * rewinds no program code runs, only the buffer is written or read, so the region's own bytes are
 * put aside and put back (in the snapshot at a pause; in memory when the rewind reaches its call).
 * The program never sees the buffer and memory never grows for it. A pause is declined (the task
 * just goes on) when the task holds files open beyond stdin/out/err and the `/input` preopen
 * (their positions are not captured yet). A call stack deeper than the buffer traps the task.
 */
import { ConsoleStdout, File, OpenFile, PreopenDirectory, WASI, WASIProcExit, type Fd, type Inode } from '@bjorn3/browser_wasi_shim'
import { buildImports, Capture, checkImports } from '../jobs/sandbox.ts'
import { capModuleMemory, WASM_PAGE } from '../jobs/wasm-binary.ts'
import { InvalidModuleError, JobMemoryError, JobOutputLimitError, JobTrapError } from '../jobs/errors.ts'
import type { TaskLimits, TaskOutput, TaskSpec } from '../jobs/task-types.ts'
import { ResumeError } from './errors.ts'
import type { InstrumentedModule } from './instrument.ts'
import { POLL_MODULE, POLL_NAME } from './loop-polls.ts'
import { GLOBAL_EXPORT_PREFIX, type GlobalValue, type TaskSnapshot } from './snapshot.ts'
import { applyOver, copyBase, type WarmBase } from './warm-base.ts'

const WASI_MODULE = 'wasi_snapshot_preview1'
const CLOCK_MONOTONIC = 1
const STD_FDS = 4 // stdin, stdout, stderr, /input
/** the poll point's name among the task's calls (`PausePoint.name`, a snapshot's `pausedIn`) */
export const POLL_CALL = `${POLL_MODULE}.${POLL_NAME}`
const POLL_IMPORT = [{ module: POLL_MODULE, name: POLL_NAME }]

export interface PausePoint {
  /** the WASI function just called, or `POLL_CALL` at a loop header's poll point */
  name: string
  /** WASI calls and polls so far, this one included */
  calls: number
  /** the linear memory's size now */
  memoryBytes: number
}

export interface CheckpointRunOptions {
  /**
   * asked after every WASI call; true stops the task there. `memory()` is a view of the linear
   * memory as it is now, valid until the task runs on (what pre-copy rounds read while it runs)
   */
  shouldPause?: (at: PausePoint, memory: () => Uint8Array) => boolean
  /** go on from this snapshot instead of starting */
  from?: TaskSnapshot
  /** bytes of memory lent to asyncify's unwind buffer @default 65536 */
  unwindBytes?: number
  /**
   * the share of time (0–99 %) the task is made to sleep, asked at every WASI call: a migration
   * whose pre-copy does not converge slows the task so that it dirties memory more slowly
   * (auto-converge). The sleeps do not count on the task's monotonic clock, as a pause does not:
   * a task pacing itself by that clock does not catch up. @default none
   */
  throttle?: () => number
  /** told the ms of each throttle sleep, as it ends (the worker counts them for the owner's wall-clock limit) */
  onSlept?: (ms: number) => void
  /** called once when a run restored `from` a snapshot reaches the call it was paused in: it runs again */
  onResumed?: () => void
  /**
   * an instance of this module made ahead with its memory grown and touched (`warmInstance`): a
   * run `from` a snapshot at least that large restores into it, so the snapshot's memory is
   * copied into pages already faulted in (a fresh 256 MiB costs ~1.7 s of page faults here, a
   * warm copy ~40 ms). Used once; ignored (a fresh instance) when it does not fit
   */
  warm?: WarmInstance
  /**
   * by chunk of `from`'s memory: 1 where `warm` already holds it (its `base`, warm-base.ts): the
   * restore copies only the other chunks. A `ResumeError` when `warm` is not taken (it does not fit)
   */
  baseHeld?: Uint8Array
}

/** An instance made before its run (see `CheckpointRunOptions.warm`). */
export interface WarmInstance {
  /** the (capped) module's bytes it was compiled from */
  readonly bytes: Uint8Array
  readonly module: WebAssembly.Module
  readonly instance: WebAssembly.Instance
  /** its memory's size now, bytes */
  readonly memoryBytes: number
  /** the WASI functions its imports call, set by the run that takes it */
  readonly dispatch: Record<string, (...a: never[]) => unknown>
  /** taken by a run */
  used: boolean
  /** the chunk size of the base copied in, if one was (`warmInstance`'s `base`) */
  readonly baseChunkBytes?: number
}

/**
 * Compiles `mod` under `limits`' memory cap, instantiates it with WASI imports bound later (by the
 * run that takes it) and grows its memory to `memoryBytes` (at most the cap), writing one byte of
 * each 4 KiB page so that the pages are faulted in now, not while a resume copies a snapshot in.
 * Throws a `ResumeError` when the module cannot be made so (it imports anything but WASI
 * functions, or its start section calls one).
 */
export async function warmInstance (mod: InstrumentedModule, limits: TaskLimits, memoryBytes: number, base?: WarmBase | Promise<WarmBase | undefined>): Promise<WarmInstance & { held?: Uint8Array }> {
  const capPages = Math.floor(limits.memoryBytes / WASM_PAGE)
  const { bytes } = capModuleMemory(mod.bytes, capPages)
  const module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>)
  const dispatch: Record<string, (...a: never[]) => unknown> = {}
  const wasi: Record<string, (...a: never[]) => unknown> = {}
  const poll: Record<string, (...a: never[]) => unknown> = {}
  for (const imp of WebAssembly.Module.imports(module)) {
    const isPoll = imp.module === POLL_MODULE && imp.name === POLL_NAME
    if ((imp.module !== WASI_MODULE && !isPoll) || imp.kind !== 'function') throw new ResumeError(`a warm instance takes WASI functions and the poll only, not ${imp.module}.${imp.name}`)
    const key = isPoll ? POLL_CALL : imp.name
    ;(isPoll ? poll : wasi)[imp.name] = (...a: never[]) => {
      const f = dispatch[key]
      if (f == null) throw new ResumeError(`${key} was called before the run took the instance`)
      return f(...a)
    }
  }
  const instance = await WebAssembly.instantiate(module, { [WASI_MODULE]: wasi as WebAssembly.ModuleImports, [POLL_MODULE]: poll as WebAssembly.ModuleImports })
  const memory = (instance.exports as { memory?: WebAssembly.Memory }).memory
  if (!(memory instanceof WebAssembly.Memory)) throw new ResumeError('the module exports no memory')
  const pages = Math.min(capPages, Math.floor(memoryBytes / WASM_PAGE))
  const have = memory.buffer.byteLength / WASM_PAGE
  if (pages > have) memory.grow(pages - have)
  const mem = new Uint8Array(memory.buffer)
  const touch = (): void => { for (let i = 0; i < mem.length; i += 4096) mem[i] = mem[i] } // a write faults the page in; its byte is kept
  // a kept checkpoint's chunks are copied in where they match their names (faulting those pages
  // in); one that comes later (read after this worker was made) lands on pages touched meanwhile
  let b: WarmBase | undefined
  let held: Uint8Array | undefined
  if (base instanceof Promise) {
    touch()
    b = await base
    if (b != null) held = copyBase(mem, b)
  } else {
    b = base
    if (b != null) held = copyBase(mem, b)
    touch()
  }
  return { bytes, module, instance, memoryBytes: mem.length, dispatch, used: false, ...(b != null ? { baseChunkBytes: b.chunkBytes, held } : {}) }
}

export type CheckpointRunResult =
  | { kind: 'done', output: TaskOutput, pauses: number, declinedPauses: number }
  | {
    kind: 'paused'
    /** its `memory` is a view of the paused instance's memory: read it before `resume()` */
    snapshot: TaskSnapshot
    declinedPauses: number
    /** goes on in this same instance from where it paused (once), until it ends or pauses again */
    resume: () => Promise<CheckpointRunResult>
  }

interface AsyncifyExports {
  memory: WebAssembly.Memory
  _start: () => void
  asyncify_start_unwind: (addr: number) => void
  asyncify_stop_unwind: () => void
  asyncify_start_rewind: (addr: number) => void
  asyncify_stop_rewind: () => void
}

/** Runs (or resumes) one task until it ends or pauses. Errors are the sandbox's typed JobErrors. */
export async function runCheckpointable (mod: InstrumentedModule, task: TaskSpec, limits: TaskLimits, opts: CheckpointRunOptions = {}): Promise<CheckpointRunResult> {
  const started = performance.now()
  const from = opts.from
  const capPages = Math.floor(limits.memoryBytes / WASM_PAGE)
  const { bytes } = capModuleMemory(mod.bytes, capPages)
  const warm = from != null && opts.warm != null && fits(opts.warm, bytes, from.memory.length) ? opts.warm : undefined
  if (warm != null) warm.used = true
  const baseHeld = opts.baseHeld
  if (baseHeld != null && warm?.baseChunkBytes == null) throw new ResumeError('the snapshot leaves out the chunks of a kept checkpoint, but the instance holding them cannot take it')
  let module: WebAssembly.Module
  try {
    module = warm?.module ?? await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>)
  } catch (err) {
    throw new InvalidModuleError(`not a valid WebAssembly module: ${err instanceof Error ? err.message : String(err)}`)
  }

  const args = ['task.wasm', ...(task.args ?? [])]
  const env = Object.entries(task.env ?? {}).map(([k, v]) => `${k}=${v}`)
  const stdout = new Capture('stdout', limits.maxOutputBytes)
  const stderr = new Capture('stderr', limits.maxOutputBytes)
  if (from != null) { stdout.write(from.stdout); stderr.write(from.stderr) }
  const stdin = new OpenFile(new File(task.stdin ?? new Uint8Array(0), { readonly: true }))
  if (from != null) stdin.file_pos = BigInt(from.stdinPos)
  const inputs = new Map<string, Inode>(Object.entries(task.files ?? {}).map(([name, data]) => [name, new File(data, { readonly: true })]))
  const fds: Fd[] = [stdin, new ConsoleStdout(stdout.write), new ConsoleStdout(stderr.write), new PreopenDirectory('/input', inputs)]
  const wasi = new WASI(args, env, fds)
  const base = buildImports(wasi, args)
  checkImports(module, base, POLL_IMPORT)

  // the task's monotonic clock continues from the snapshot's
  let clockStart = performance.now()
  let clockBase = from?.clockNs ?? 0n
  let slept = 0 // ms of throttle sleeps since clockStart: not on the task's clock
  const clockNs = (): bigint => clockBase + BigInt(Math.round((performance.now() - clockStart - slept) * 1e6))
  let runningSince: number | undefined // while throttled: when the task last woke
  const sleeper = opts.throttle != null ? new Int32Array(new SharedArrayBuffer(4)) : undefined
  /** Sleeps the throttle's share of the time the task ran since it last woke (slices of ≥ 2 ms run). */
  const throttleHere = (pct: number): void => {
    if (!(pct > 0) || sleeper == null) { runningSince = undefined; return }
    const now = performance.now()
    if (runningSince == null) { runningSince = now; return }
    const ran = now - runningSince
    if (ran < 2) return
    Atomics.wait(sleeper, 0, 0, Math.min(200, ran * Math.min(pct, 99) / (100 - Math.min(pct, 99))))
    runningSince = performance.now()
    slept += runningSince - now
    opts.onSlept?.(runningSince - now)
  }
  base.clock_time_get = ((id: number, precision: bigint, ptr: number) => {
    if (id !== CLOCK_MONOTONIC) return (wasi.wasiImport.clock_time_get as (a: number, b: bigint, c: number) => number)(id, precision, ptr)
    new DataView(ex().memory.buffer).setBigUint64(ptr, clockNs(), true)
    return 0
  }) as never

  let ex = (): AsyncifyExports => { throw new ResumeError('not instantiated') }
  let state: 'normal' | 'unwinding' | 'rewinding' = from != null ? 'rewinding' : 'normal'
  let calls = from?.calls ?? 0
  let pauses = from?.pauses ?? 0
  /** the call a rewind must reach, and what it returns there */
  let rewindTo = from != null ? { name: from.pausedIn, result: from.pausedResult } : undefined
  let declined = 0
  let restoring = from != null // until the first rewind reaches its call
  let lent: Uint8Array | undefined // the bytes the unwind buffer covers, while it is lent
  let pausedIn = ''
  let pausedResult = 0
  const unwindBytesOpt = opts.unwindBytes ?? 65536

  // every WASI import and the poll point (a call with no effect) are pause points
  const imports: Record<string, (...a: never[]) => unknown> = {}
  const pausePoints: Array<[string, (...a: never[]) => unknown]> = [...Object.entries(base), [POLL_CALL, () => undefined]]
  for (const [name, fn] of pausePoints) {
    imports[name] = (...a: never[]) => {
      if (state === 'rewinding') {
        // back at the call the task was stopped in: its effect is done already
        ex().asyncify_stop_rewind()
        state = 'normal'
        if (lent != null) { new Uint8Array(ex().memory.buffer).set(lent, 0); lent = undefined }
        if (rewindTo == null || name !== rewindTo.name) throw new ResumeError(`the rewind reached ${name}, not ${rewindTo?.name ?? '?'}: the snapshot does not fit this module`)
        if (restoring) { restoring = false; opts.onResumed?.() }
        return rewindTo.result
      }
      const result = fn(...a)
      calls++
      if (opts.throttle != null) throttleHere(opts.throttle())
      if (opts.shouldPause?.({ name, calls, memoryBytes: ex().memory.buffer.byteLength }, copyMemory) === true) {
        if (!prepareUnwind()) { declined++; return result }
        pausedIn = name
        pausedResult = typeof result === 'number' ? result : 0
        state = 'unwinding'
        ex().asyncify_start_unwind(0)
      }
      return result
    }
  }

  const copyMemory = (): Uint8Array => new Uint8Array(ex().memory.buffer)

  /** Lends the start of memory to the unwind buffer; false when this pause must be declined. */
  function prepareUnwind (): boolean {
    if (wasi.fds.length > STD_FDS && wasi.fds.slice(STD_FDS).some(f => f != null)) return false
    const memory = ex().memory
    const size = bufferSize(memory.buffer.byteLength)
    lent = new Uint8Array(memory.buffer, 0, size).slice()
    const view = new DataView(memory.buffer)
    view.setUint32(0, 8, true)
    view.setUint32(4, size, true)
    return true
  }
  const bufferSize = (memoryBytes: number): number => Math.min(unwindBytesOpt, memoryBytes)

  let instance: WebAssembly.Instance
  try {
    if (warm != null) Object.assign(warm.dispatch, imports)
    instance = warm?.instance ?? await WebAssembly.instantiate(module, { [WASI_MODULE]: imports as WebAssembly.ModuleImports, [POLL_MODULE]: { [POLL_NAME]: imports[POLL_CALL] } as WebAssembly.ModuleImports })
  } catch (err) {
    throw new JobTrapError(`instantiation failed: ${err instanceof Error ? err.message : String(err)}`)
  }
  const exports = instance.exports as unknown as AsyncifyExports & Record<string, WebAssembly.Global>
  ex = () => exports
  wasi.inst = instance as unknown as typeof wasi.inst
  const memory = exports.memory
  const globalAt = (i: number): WebAssembly.Global => exports[GLOBAL_EXPORT_PREFIX + String(i)]

  if (from != null) restore(from)
  return go()

  /** Runs `_start` (rewinding when resuming) until the task ends or pauses. */
  function go (): CheckpointRunResult {
    const atCap = (): boolean => memory.buffer.byteLength + WASM_PAGE > capPages * WASM_PAGE
    let exitCode = 0
    try {
      if (state === 'rewinding') exports.asyncify_start_rewind(0)
      exports._start()
    } catch (err) {
      if (err instanceof JobOutputLimitError || err instanceof JobTrapError || err instanceof ResumeError) throw err
      if (err instanceof WASIProcExit) exitCode = err.code
      else if (err instanceof WebAssembly.RuntimeError || err instanceof RangeError) {
        if (atCap()) throw new JobMemoryError(`the module trapped (${err.message}) with its memory at the cap of ${limits.memoryBytes} bytes`)
        throw new JobTrapError(`the module trapped: ${err.message}`)
      } else {
        throw new JobTrapError(`the task failed: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`)
      }
    }
    const ended = state as 'normal' | 'unwinding' | 'rewinding' // set inside the imports
    if (ended === 'unwinding') {
      exports.asyncify_stop_unwind()
      state = 'normal'
      const mem = new Uint8Array(memory.buffer)
      const used = new DataView(memory.buffer).getUint32(0, true)
      const unwind = mem.slice(8, used)
      // the instance's memory, with the lent region put back, is the snapshot's (a view, not a
      // 256 MiB copy taken while the task is paused; encoding it copies it once)
      mem.set(lent as Uint8Array, 0)
      lent = undefined
      const globals: GlobalValue[] = mod.globals.map((kind, i) => ({ kind, value: globalAt(i).value as number | bigint }))
      const snapshot: TaskSnapshot = {
        memory: mem,
        globals,
        unwind,
        pausedIn,
        pausedResult,
        stdinPos: Number(stdin.file_pos),
        stdout: stdout.bytes(),
        stderr: stderr.bytes(),
        clockNs: clockNs(),
        calls,
        pauses: ++pauses
      }
      let resumed = false
      const resume = async (): Promise<CheckpointRunResult> => {
        if (resumed) throw new ResumeError('this pause was resumed already')
        resumed = true
        rewindHere(snapshot)
        return go()
      }
      return { kind: 'paused', declinedPauses: declined, snapshot, resume }
    }
    if (ended === 'rewinding') throw new ResumeError('the task ended without reaching the call it was stopped in')
    return {
      kind: 'done',
      pauses,
      declinedPauses: declined,
      output: { exitCode, stdout: stdout.bytes(), stderr: stderr.bytes(), memoryBytes: memory.buffer.byteLength, runMs: performance.now() - started }
    }
  }

  /** Sets up a rewind of this instance (memory and globals in place) to where `snap` paused. */
  function rewindHere (snap: TaskSnapshot): void {
    lendFor(snap.unwind)
    rewindTo = { name: snap.pausedIn, result: snap.pausedResult }
    clockBase = snap.clockNs
    clockStart = performance.now()
    slept = 0
    state = 'rewinding'
  }

  /** Lends the start of memory to the unwind buffer, holding the saved stack `unwind`. */
  function lendFor (unwind: Uint8Array): void {
    const size = bufferSize(memory.buffer.byteLength)
    if (unwind.length + 8 > size) throw new ResumeError(`the snapshot's saved stack (${unwind.length} bytes) does not fit the unwind buffer (${size})`)
    const mem = new Uint8Array(memory.buffer)
    lent = mem.slice(0, size)
    mem.set(unwind, 8)
    const view = new DataView(memory.buffer)
    view.setUint32(0, 8 + unwind.length, true)
    view.setUint32(4, size, true)
  }

  function restore (snap: TaskSnapshot): void {
    if (snap.globals.length !== mod.globals.length || snap.globals.some((g, i) => g.kind !== mod.globals[i])) {
      throw new ResumeError(`the snapshot's globals (${snap.globals.map(g => g.kind).join(',')}) do not fit the module's (${mod.globals.join(',')})`)
    }
    const pages = snap.memory.length / WASM_PAGE
    if (!Number.isInteger(pages) || pages > capPages) throw new ResumeError(`the snapshot's memory (${snap.memory.length} bytes) is not whole pages within the cap`)
    const have = memory.buffer.byteLength / WASM_PAGE
    if (pages < have) throw new ResumeError(`the snapshot's memory (${pages} pages) is smaller than the module's initial memory (${have})`)
    if (pages > have) memory.grow(pages - have)
    if (baseHeld != null && warm?.baseChunkBytes != null) applyOver(new Uint8Array(memory.buffer), snap.memory, baseHeld, warm.baseChunkBytes)
    else new Uint8Array(memory.buffer).set(snap.memory)
    lendFor(snap.unwind)
    snap.globals.forEach((g, i) => { globalAt(i).value = g.value })
  }
}

/** `warm` was made from these module bytes, never ran, and its memory is no larger than the snapshot's. */
function fits (warm: WarmInstance, bytes: Uint8Array, memoryBytes: number): boolean {
  if (warm.used || warm.memoryBytes > memoryBytes || warm.bytes.length !== bytes.length) return false
  for (let i = 0; i < bytes.length; i++) if (warm.bytes[i] !== bytes[i]) return false
  return true
}
