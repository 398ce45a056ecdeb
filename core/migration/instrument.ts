/**
 * Makes a submitted WASI module checkpointable: binaryen's Asyncify pass, applied by the runner.
 *
 * Asyncify rewrites every function that can reach an import so that the call stack can be
 * unwound into a buffer in linear memory (`asyncify_start_unwind`) and rebuilt later
 * (`asyncify_start_rewind`), in this or a *fresh* instance. We also export every mutable global
 * the module defines (`__novacron_global_<i>`, e.g. clang's `__stack_pointer`), since a snapshot
 * must carry them and the JS API can only read exported globals. The original module is never
 * changed; a module this fails on gets a `NotCheckpointableError` with a typed reason and runs
 * as it is.
 */
import { NotCheckpointableError } from './errors.ts'
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
}

export interface InstrumentOptions {
  /** the instrumented module may be at most this many times the original @default 8 */
  maxGrowth?: number
}

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
    if (taken.length > 0) throw new NotCheckpointableError('already-instrumented', `the module already exports ${taken.slice(0, 3).join(', ')}`)
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
    try {
      mod.runPasses(['asyncify'])
      if (mod.validate() !== 1) throw new Error('the instrumented module does not validate')
    } catch (err) {
      if (err instanceof NotCheckpointableError) throw err
      throw new NotCheckpointableError('instrument-failed', `asyncify failed: ${msg(err)}`)
    }
    const bytes = mod.emitBinary()
    const maxGrowth = opts.maxGrowth ?? 8
    if (bytes.length > moduleBytes.length * maxGrowth) {
      throw new NotCheckpointableError('too-large', `instrumenting grew the module from ${moduleBytes.length} to ${bytes.length} bytes (over ${maxGrowth}×)`)
    }
    return { bytes, globals, originalBytes: moduleBytes.length }
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
