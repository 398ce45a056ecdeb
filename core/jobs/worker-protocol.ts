/**
 * Messages between a runner and the worker that runs one task (structured clone, same shape for
 * Node worker threads and Web Workers), and the worker side's handler, shared by both platforms'
 * worker entry files.
 *
 *   worker → owner  { type: 'ready' }                       code loaded; waiting for the task
 *   owner  → worker { type: 'run', module, task, limits }   exactly one per worker
 *   worker → owner  { type: 'done', output } | { type: 'failed', error: { name, message } }
 *
 * A checkpointable run (live migration, core/migration/worker-run.ts) carries `checkpoint`: the
 * module is then the instrumented one, `from` an encoded snapshot to go on from, and `control` a
 * SharedArrayBuffer the owner writes requests into (the worker is busy in WebAssembly and reads no
 * messages; it reads the flag at each WASI call). Its extra replies, before the last one:
 *
 *   worker → owner  { type: 'memory', delta }        the memory chunks changed since the last copy
 *                                                    (all of them on a new tracking epoch): pre-copy
 *   worker → owner  { type: 'checkpoint', snapshot, tag } a snapshot taken on the way (the task runs on;
 *                   `tag`: the owner's tag of the request, under which the worker remembers it)
 *   worker → owner  { type: 'resumed', warm }        a run restored `from` a snapshot has reached the
 *                                                    call it was paused in: it runs again (`warm`: in
 *                                                    the instance a `warm` message made)
 *   worker → owner  { type: 'paused', snapshot, delta } the task stopped: its snapshot *without*
 *                                                    memory, and the chunks changed since the last
 *                                                    copy; the worker keeps the paused instance
 *   owner  → worker { type: 'resume' }               go on in that same instance (a failed move);
 *                                                    to let the task leave, the owner terminates it
 *
 * A worker made ahead for a migrating task (TaskRunner.warm) first gets
 *
 *   owner  → worker { type: 'warm', module, limits, memoryBytes, base? }  an instance made now, its
 *                                                    memory grown and touched; the `run` that follows
 *                                                    restores its snapshot into it when it fits
 *   worker → owner  { type: 'warmed', held }         (with `base`: a checkpoint the target keeps) its
 *                                                    chunks copied into that instance, `held` flagging
 *                                                    those whose xxh64 matched (core/migration/warm-base.ts);
 *                                                    the run's `checkpoint.baseHeld` then names the
 *                                                    chunks its snapshot leaves out
 *   owner  → worker { type: 'base', base? }          after a `warm` with `baseFollows` (the worker was
 *                                                    made at the offer, before the checkpoint was read):
 *                                                    the base, copied in once the memory is touched
 */
import { runInSandbox } from './sandbox.ts'
import { serializeJobError, type SerializedJobError } from './errors.ts'
import type { TaskLimits, TaskOutput, TaskSpec } from './task-types.ts'

/** What makes a run checkpointable (see the module doc). */
export interface CheckpointRunSpec {
  /** the instrumented module's mutable global kinds, in export order */
  globals: Array<'i32' | 'i64' | 'f32' | 'f64'>
  /** an encoded snapshot to resume from */
  from?: Uint8Array
  /**
   * Int32Array view: element 0 the request (0 nothing, 1 copy memory, 2 pause, 3 checkpoint and go
   * on); element 1, when present, the dirty-tracking epoch: a copy or pause under an epoch the
   * worker has not seen sends every chunk (a new migration's first round) @default epoch 0;
   * element 2, when present, is written by the worker: the task's memory size in 64 KiB pages
   * as of its last WASI call (a migration's offer announces it); element 3, when present, is the
   * owner's throttle: the share of time (0–99 %) the task sleeps at its WASI calls
   */
  control: SharedArrayBuffer
  /** memory chunk size of the dirty tracking (core/migration/dirty.ts) @default 4096 (DEFAULT_CHUNK_BYTES) */
  chunkBytes?: number
  /**
   * by chunk index of `from`'s memory: 1 where the warm instance already holds that chunk (a kept
   * checkpoint its `warm` message's `base` copied in): the restore leaves those out, and `from`'s
   * bytes there are not read. Only for a run that takes that warm worker; a run that cannot
   * restore into it fails with a `ResumeError` @default every chunk from `from`
   */
  baseHeld?: Uint8Array
}

/**
 * Chunks of a task's linear memory (fixed, aligned `chunkBytes` chunks; the last one of memory may
 * be shorter): those that changed since the worker's previous delta, or all of them.
 */
export interface MemoryDelta {
  /** the memory's length now */
  memoryBytes: number
  chunkBytes: number
  /** true when every chunk is listed (a new tracking epoch) */
  full: boolean
  /** the listed chunks' indices (offset = index × chunkBytes), ascending */
  indices: Uint32Array
  /** each listed chunk's xxHash64 (its name in the chunk protocol) */
  hashes: BigUint64Array
  /**
   * the listed chunks' bytes, back to back; unless `full`, a view of a buffer the worker shares and
   * reuses: valid only until the owner's next copy or pause request
   */
  bytes: Uint8Array
}

export interface RunMessage { type: 'run', module: Uint8Array, task: TaskSpec, limits: TaskLimits, checkpoint?: CheckpointRunSpec }
/**
 * before `run`, optional: make an instance of this (instrumented) module now, its memory grown to
 * `memoryBytes` and touched, for a checkpointable run `from` a snapshot that arrives later (a
 * migration's target, while the chunks come in: core/migration/checkpoint-run.ts `warmInstance`)
 */
export interface WarmMessage {
  type: 'warm', module: Uint8Array, limits: TaskLimits, memoryBytes: number, base?: WarmBaseSpec
  /** the base comes later, in a `base` message (the worker grows and touches its memory meanwhile) */
  baseFollows?: boolean
}
/** after a `warm` with `baseFollows`, before `run`: the base to copy in (none: there is none after all) */
export interface BaseMessage { type: 'base', base?: WarmBaseSpec }
/** a kept checkpoint's memory and its chunks' xxh64 names (core/migration/warm-base.ts `WarmBase`) */
export interface WarmBaseSpec { memory: Uint8Array, hashes: BigUint64Array, chunkBytes: number, held?: Uint8Array }
/** after a `paused` reply: go on in the paused instance */
export interface ResumeMessage { type: 'resume' }
export type OwnerMessage = RunMessage | ResumeMessage | WarmMessage | BaseMessage
export type WorkerReply =
  | { type: 'ready' }
  | { type: 'done', output: TaskOutput }
  | { type: 'failed', error: SerializedJobError }
  | { type: 'memory', delta: MemoryDelta }
  | { type: 'checkpoint', snapshot: Uint8Array, tag?: number }
  | { type: 'resumed', warm: boolean }
  | { type: 'warmed', held: Uint8Array }
  | PausedReply

/** `snapshot` is encoded without memory (snapshot-codec.ts); the memory is the tracked chunks */
export interface PausedReply { type: 'paused', snapshot: Uint8Array, delta: MemoryDelta }

/** The buffer worth moving (not cloning) with a reply: a memory delta's or a snapshot's, when it owns its buffer. */
export function transferOf (reply: WorkerReply): ArrayBuffer[] {
  const big = reply.type === 'memory' || reply.type === 'paused' ? reply.delta.bytes : reply.type === 'checkpoint' ? reply.snapshot : undefined
  return big != null && big.byteOffset === 0 && big.byteLength === big.buffer.byteLength && big.buffer instanceof ArrayBuffer ? [big.buffer] : []
}

/** The worker side: answers one `run` message, then the owner terminates the worker. */
export async function handleRunMessage (msg: unknown): Promise<WorkerReply> {
  const m = msg as Partial<RunMessage> | null
  if (m?.type !== 'run' || !(m.module instanceof Uint8Array) || m.task == null || m.limits == null) {
    return { type: 'failed', error: { name: 'JobWorkerError', message: 'the worker got a malformed run message' } }
  }
  try {
    return { type: 'done', output: await runInSandbox(m.module, m.task, m.limits) }
  } catch (err) {
    return { type: 'failed', error: serializeJobError(err) }
  }
}
