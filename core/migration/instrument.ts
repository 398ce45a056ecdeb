/**
 * Makes a submitted WASI module checkpointable: binaryen's Asyncify pass, applied by the runner.
 *
 * Asyncify rewrites every function that can reach an import so that the call stack can be
 * unwound into a buffer in linear memory (`asyncify_start_unwind`) and rebuilt later
 * (`asyncify_start_rewind`), in this or a *fresh* instance. We also export every mutable global
 * the module defines (`__novacron_global_<i>`, e.g. clang's `__stack_pointer`), since a snapshot
 * must carry them and the JS API can only read exported globals, and, before the pass, a poll
 * point at every loop header and at the entry of every function that can recurse (loop-polls.ts,
 * call-cycles.ts), so that a loop or a recursion without WASI calls can be paused too. The original module is never changed; a module this fails on gets a
 * `NotCheckpointableError` with a typed reason and runs as it is.
 */
import { NotCheckpointableError } from './errors.ts'
import { addLoopPolls, POLL_MODULE, type LoopPolls } from './loop-polls.ts'
import { GLOBAL_EXPORT_PREFIX, type GlobalKind } from './snapshot.ts'

export { GLOBAL_EXPORT_PREFIX }
export type { GlobalKind }
const ASYNCIFY_EXPORTS = ['asyncify_start_unwind', 'asyncify_stop_unwind', 'asyncify_start_rewind', 'asyncify_stop_rewind', 'asyncify_get_state']

export interface InstrumentedModule {
  /** the asyncified module, exporting the asyncify_* functions and the mutable globals */
  bytes: Uint8Array
  /** the value type of each exported mutable global, in export order */
  globals: GlobalKind[]
  /** bytes of the original module (for reports: instrumentation grows code) */
  originalBytes: number
  /** the poll points added at loop headers and recursive functions' entries (loop-polls.ts); absent where not reported */
  polls?: LoopPolls
}

export interface InstrumentOptions {
  /** the instrumented module may be at most this many times the original (or 64 KiB more) @default 8 */
  maxGrowth?: number
  /**
   * a loop header calls the `novacron.poll` import (a pause point, like a WASI call) once every
   * this many iterations, counted down in a global (loop-polls.ts); 0 adds none @default 10000
   */
  pollEvery?: number
  /**
   * poll points at the entry of every function that can recurse (call-cycles.ts) too, not only at
   * loop headers, so that a long recursion without loops can be paused; false only to measure what
   * they cost @default true
   */
  entryPolls?: boolean
}

/** Loop iterations between two calls of the poll import: a JS call per ~0.01–1 ms of a hot loop. */
export const DEFAULT_POLL_EVERY = 10_000

type Binaryen = typeof import('binaryen').default
let loaded: Promise<Binaryen> | undefined
/** binaryen is 13 MB of JS: loaded on first use only. */
async function binaryen (): Promise<Binaryen> {
  loaded ??= import('binaryen').then(m => m.default)
  return await loaded
}

/** Instruments `moduleBytes`, or throws `NotCheckpointableError`. */
export async function instrumentForCheckpoint (moduleBytes: Uint8Array, opts: InstrumentOptions = {}): Promise<InstrumentedModule> {
  const b = await binaryen()
  let mod: ReturnType<Binaryen['readBinary']>
  try {
    mod = b.readBinaryWithFeatures(moduleBytes, b.Features.All)
  } catch (err) {
    throw new NotCheckpointableError('parse-failed', `binaryen could not read the module: ${msg(err)}`)
  }
  try {
    const exports = new Set<string>()
    let memory: string | undefined
    for (let i = 0; i < mod.getNumExports(); i++) {
      const info = b.getExportInfo(mod.getExportByIndex(i))
      exports.add(info.name)
      if (info.kind === b.ExternalMemory && info.name === 'memory') memory = info.value
    }
    const taken = [...exports].filter(n => ASYNCIFY_EXPORTS.includes(n) || n.startsWith(GLOBAL_EXPORT_PREFIX))
    for (let i = 0; i < mod.getNumFunctions(); i++) {
      const f = b.getFunctionInfo(mod.getFunctionByIndex(i))
      if (f.module === POLL_MODULE) taken.push(`${f.module}.${f.base ?? ''}`)
    }
    if (taken.length > 0) throw new NotCheckpointableError('already-instrumented', `the module already exports or imports ${taken.slice(0, 3).join(', ')}`)
    const imported = memory != null && (mod.getMemoryInfo(memory).module ?? '') !== ''
    if (memory == null || imported) {
      throw new NotCheckpointableError('no-memory', 'the module must define and export its own memory')
    }
    const globals: GlobalKind[] = []
    for (let i = 0; i < mod.getNumGlobals(); i++) {
      const info = b.getGlobalInfo(mod.getGlobalByIndex(i))
      if (!info.mutable || (info.module ?? '') !== '') continue
      const kind = kindOf(b, info.type)
      if (kind == null) throw new NotCheckpointableError('instrument-failed', `global ${info.name} has a type a snapshot cannot carry`)
      mod.addGlobalExport(info.name, GLOBAL_EXPORT_PREFIX + String(globals.length))
      globals.push(kind)
    }
    // after the globals above: the poll countdown is not exported, so snapshots do not carry it
    const pollEvery = opts.pollEvery ?? DEFAULT_POLL_EVERY
    const polls = pollEvery > 0 ? addLoopPolls(b, mod, pollEvery, { entries: opts.entryPolls !== false }) : { loops: 0, entries: 0, opaque: 0 }
    try {
      mod.runPasses(['asyncify'])
      // binaryen advises optimizing after asyncify: it cleans up the state checks asyncify wraps
      // around each segment between calls, which the poll points add to hot loops (the counter,
      // whose loop also calls printf: 175 → 158 ms against 159 ms without polls, one process; the
      // pass takes ~2× as long: 1.0 → 2.1 s for the counter)
      mod.optimize()
      if (mod.validate() !== 1) throw new Error('the instrumented module does not validate')
    } catch (err) {
      if (err instanceof NotCheckpointableError) throw err
      throw new NotCheckpointableError('instrument-failed', `asyncify failed: ${msg(err)}`)
    }
    const bytes = mod.emitBinary()
    const maxGrowth = opts.maxGrowth ?? 8
    // a tiny module may grow by more than the factor: the asyncify runtime alone is ~1 KB
    if (bytes.length > Math.max(moduleBytes.length * maxGrowth, moduleBytes.length + 65536)) {
      throw new NotCheckpointableError('too-large', `instrumenting grew the module from ${moduleBytes.length} to ${bytes.length} bytes (over ${maxGrowth}×)`)
    }
    return { bytes, globals, originalBytes: moduleBytes.length, polls }
  } finally {
    mod.dispose()
  }
}

/** Whether a module can be checkpointed, without throwing: what submit-time checks report. */
export async function checkpointability (moduleBytes: Uint8Array): Promise<{ ok: true } | { ok: false, reason: NotCheckpointableError['reason'], message: string }> {
  try {
    await instrumentForCheckpoint(moduleBytes)
    return { ok: true }
  } catch (err) {
    if (err instanceof NotCheckpointableError) return { ok: false, reason: err.reason, message: err.message }
    throw err
  }
}

function kindOf (b: Binaryen, type: number): GlobalKind | undefined {
  if (type === b.i32) return 'i32'
  if (type === b.i64) return 'i64'
  if (type === b.f32) return 'f32'
  if (type === b.f64) return 'f64'
  return undefined
}

function msg (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
