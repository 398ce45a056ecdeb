/**
 * The submit-time answer to "can this module's tasks be checkpointed (moved, resumed)?" — cheap
 * checks a submitter's tool runs on the module before it is sent (`novacron job submit`, the Jobs
 * panel's drop zone), instead of the submitter finding out at migration time. No binaryen here:
 * compiling the module and reading its imports and exports takes milliseconds; a module that
 * passes can still fail binaryen's pass later (`instrument-failed`, `too-large` after growth),
 * which the peers report when they prepare the job (service.ts's `migration:not-checkpointable`).
 *
 * - `no-memory`: it must define and export its own memory (a snapshot carries it);
 * - `too-large`: over `maxModuleBytes` binaryen's pass would need several times that in memory;
 * - `parse-failed`: it does not compile;
 * - `foreign-imports`: it imports something other than WASI functions (the sandbox refuses it
 *   anyway, and the instrumenting refuses `novacron.*`: loop-polls.ts).
 * A module with no WASI calls is fine since session 11: its loops have poll points, and since
 * session 12 so do the entries of its recursive functions (loop-polls.ts, call-cycles.ts), so
 * nothing that runs long goes without one (see call-cycles.ts for why).
 * Whatever the answer, the module still runs (if the sandbox takes it); its tasks just cannot move.
 */
import type { NotCheckpointableReason } from './errors.ts'

export interface PrecheckOptions {
  /** largest module that is instrumented @default 32 MiB */
  maxModuleBytes?: number
}

export type Checkpointability = { ok: true } | { ok: false, reason: NotCheckpointableReason, message: string }

const WASI_MODULES = new Set(['wasi_snapshot_preview1', 'wasi_unstable'])
export const DEFAULT_MAX_CHECKPOINT_MODULE_BYTES = 32 * 1024 * 1024

export async function precheckCheckpointable (moduleBytes: Uint8Array, opts: PrecheckOptions = {}): Promise<Checkpointability> {
  const max = opts.maxModuleBytes ?? DEFAULT_MAX_CHECKPOINT_MODULE_BYTES
  if (moduleBytes.length > max) return { ok: false, reason: 'too-large', message: `the module is ${moduleBytes.length} bytes, over the ${max}-byte bound for instrumenting it` }
  let mod: WebAssembly.Module
  try {
    mod = await WebAssembly.compile(moduleBytes as Uint8Array<ArrayBuffer>)
  } catch (err) {
    return { ok: false, reason: 'parse-failed', message: `the module does not compile: ${err instanceof Error ? err.message : String(err)}` }
  }
  const imports = WebAssembly.Module.imports(mod)
  if (imports.some(i => i.kind === 'memory')) return { ok: false, reason: 'no-memory', message: 'the module imports its memory: it must define and export its own' }
  if (!WebAssembly.Module.exports(mod).some(e => e.kind === 'memory' && e.name === 'memory')) return { ok: false, reason: 'no-memory', message: 'the module exports no memory named "memory"' }
  const foreign = imports.find(i => i.kind !== 'function' || !WASI_MODULES.has(i.module))
  if (foreign != null) return { ok: false, reason: 'foreign-imports', message: `the module imports ${foreign.module}.${foreign.name} (${foreign.kind}): only WASI functions can be provided, so its tasks do not run at all` }
  return { ok: true }
}

/** One line for a submitter. */
export function checkpointabilityText (c: Checkpointability): string {
  return c.ok ? 'its tasks can be checkpointed and moved' : `its tasks cannot be checkpointed or moved (${c.reason}: ${c.message}); they still run`
}
