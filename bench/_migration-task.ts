/**
 * The migration benches' task (examples/jobs/dirty.c) run checkpointably in the Node runner's
 * worker threads, with the owner's handle on it: the control word, memory copies, the pause and
 * its decision, as the migration service holds a running task (core/migration/task-control.ts).
 * Shared by `migration.bench.ts` and the offer probe (`_migration-offer-profile.ts`).
 */
import { hash } from 'node:crypto'
import { initCoreWasm } from '../core-wasm/index.ts'
import { TaskAbortedError, TaskHandedOverError } from '../core/jobs/errors.ts'
import type { CheckpointLink, PauseDecision, TaskRunner, WarmWorker } from '../core/jobs/runner.ts'
import type { TaskLimits } from '../core/jobs/task-types.ts'
import type { MemoryDelta, PausedReply } from '../core/jobs/worker-protocol.ts'
import type { InstrumentedModule } from '../core/migration/instrument.ts'
import { CONTROL_WORDS } from '../core/migration/task-control.ts'
import { CONTROL_CHECKPOINT, CONTROL_COPY_MEMORY, CONTROL_PAUSE, REQUEST_BITS } from '../core/migration/worker-run.ts'
import { createNodeTaskRunner } from '../node-runtime/jobs/runner.ts'
import { createInstrumenter } from '../node-runtime/migration/instrumenter.ts'
import { exampleWasm } from '../test/jobs/_examples.ts'

export interface TaskHandle {
  control: Int32Array
  link: CheckpointLink
  resumed: Promise<boolean>
  stop: () => void
  /** a memory delta (`fresh`: a new epoch, from the checkpoint tagged `base` when given) */
  copy: (fresh: boolean, base?: number) => Promise<MemoryDelta>
  pause: (fresh: boolean, base?: number) => Promise<PausedReply>
  /** a checkpoint (the whole snapshot) the worker remembers under `tag` (worker-run.ts) */
  checkpoint: (tag: number) => Promise<Uint8Array>
  decide: (d: PauseDecision) => void
  done: Promise<unknown>
}

/**
 * A starter of the task (`args`: dirty.c's MiB, % per second, seconds) from a snapshot `from` when
 * given, in a `warm` worker when given, its memory tracked in `chunkBytes` chunks (dirty.ts) when given.
 */
export function taskStarter (runner: TaskRunner, mod: InstrumentedModule, limits: Partial<TaskLimits>, args: string[]): (from?: Uint8Array, warm?: WarmWorker, baseHeld?: Uint8Array, chunkBytes?: number) => TaskHandle {
  return (from, warm, baseHeld, chunkBytes) => {
    const sab = new SharedArrayBuffer(4 * CONTROL_WORDS) // the request, the dirty-tracking epoch, the memory size, the throttle, the ms slept, a base checkpoint's tag (worker-run.ts)
    const control = new Int32Array(sab)
    const memWaiters: Array<(d: MemoryDelta) => void> = []
    let pauseWaiter: ((s: PausedReply) => void) | undefined
    let checkpointWaiter: ((s: Uint8Array) => void) | undefined
    let decider: ((d: PauseDecision) => void) | undefined
    let onResumed = (_warm: boolean): void => {}
    const resumed = new Promise<boolean>(resolve => { onResumed = resolve })
    const ac = new AbortController()
    const newEpoch = (base?: number): void => { Atomics.store(control, 5, base ?? 0); Atomics.add(control, 1, 1) }
    const link: CheckpointLink = {
      spec: { globals: mod.globals, control: sab, ...(from != null ? { from } : {}), ...(baseHeld != null ? { baseHeld } : {}), ...(chunkBytes != null ? { chunkBytes } : {}) },
      moveFrom: true, // the target's snapshot is built for this run alone
      ...(warm != null ? { warm } : {}), // its worker made ahead, as the service does (warm-arrivals.ts)
      onReply: r => { if (r.type === 'memory') memWaiters.shift()?.(r.delta); else checkpointWaiter?.(r.snapshot) },
      onResumed,
      onPaused: async s => await new Promise(resolve => { decider = resolve; pauseWaiter?.(s) })
    }
    const done = runner.run(mod.bytes, { args }, limits, { checkpoint: link, signal: ac.signal }).catch((err: unknown) => {
      if (!(err instanceof TaskHandedOverError) && !(err instanceof TaskAbortedError)) throw err
    })
    return {
      control,
      link,
      done,
      resumed,
      stop: () => { ac.abort('bench over') },
      copy: async (fresh, base) => await new Promise(resolve => { if (fresh) newEpoch(base); memWaiters.push(resolve); Atomics.store(control, 0, CONTROL_COPY_MEMORY) }),
      pause: async (fresh, base) => await new Promise(resolve => { if (fresh) newEpoch(base); pauseWaiter = resolve; Atomics.store(control, 0, CONTROL_PAUSE) }),
      checkpoint: async tag => await new Promise(resolve => { checkpointWaiter = resolve; Atomics.store(control, 0, CONTROL_CHECKPOINT | (tag << REQUEST_BITS)) }),
      decide: d => { decider?.(d) }
    }
  }
}

/** Waits until the task has grown its memory to `bytes` (it fills it as it grows), polling every 500 ms. */
export async function filled (task: TaskHandle, bytes: number): Promise<void> {
  for (;;) {
    const m = await task.copy(false)
    if (m.memoryBytes >= bytes) return
    await new Promise(resolve => setTimeout(resolve, 500))
  }
}

/** The benches' setup: core-wasm, a Node runner of 2 tasks, dirty.c instrumented, its limits for `mib` MiB, a Node peer's SHA-256. */
export async function dirtySetup (mib: number): Promise<{ runner: TaskRunner, instrumenter: ReturnType<typeof createInstrumenter>, mod: InstrumentedModule, limits: TaskLimits, sha256: (b: Uint8Array) => Uint8Array }> {
  await initCoreWasm()
  const runner = await createNodeTaskRunner({ capacity: 2 })
  const instrumenter = createInstrumenter()
  const mod = await instrumenter.instrument(exampleWasm('dirty'))
  const limits = { memoryBytes: (mib + 64) * 1024 * 1024, timeoutMs: 3_600_000, maxOutputBytes: 1 << 20 }
  // chunk digests as a Node peer makes them (node-runtime/migration/peer-migration.ts)
  return { runner, instrumenter, mod, limits, sha256: b => hash('sha256', b, 'buffer') }
}
