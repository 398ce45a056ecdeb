/**
 * What a paused task is: the state a fresh instance of the same instrumented module needs to go
 * on exactly where the old one stopped. Encoded by snapshot-codec.ts.
 */
/** The value types a snapshot carries for a module's mutable globals. */
export type GlobalKind = 'i32' | 'i64' | 'f32' | 'f64'

/**
 * instrument.ts exports mutable global i as `__novacron_global_<i>`. Kept here, not in
 * instrument.ts, so code that only runs instrumented modules (a task's worker) never bundles
 * binaryen.
 */
export const GLOBAL_EXPORT_PREFIX = '__novacron_global_'

export interface GlobalValue { kind: GlobalKind, value: number | bigint }

export interface TaskSnapshot {
  /** the whole linear memory (its length is a multiple of 64 KiB), exactly as the program left it */
  memory: Uint8Array
  /** the module's mutable globals, in the order instrument.ts exported them */
  globals: GlobalValue[]
  /** the saved call stack: the used part of asyncify's unwind buffer (after its 8-byte header) */
  unwind: Uint8Array
  /** the WASI import the task was stopped in, and what it returned there */
  pausedIn: string
  pausedResult: number
  /** bytes of stdin the task has read */
  stdinPos: number
  /** stdout and stderr so far */
  stdout: Uint8Array
  stderr: Uint8Array
  /** the task's monotonic clock at the pause, ns: it goes on from there after a resume */
  clockNs: bigint
  /** WASI calls made so far (pause points are counted in them) */
  calls: number
  /** how many times this task has been paused */
  pauses: number
}
