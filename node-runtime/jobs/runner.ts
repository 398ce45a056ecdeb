/**
 * The Node half of the task runner: every task in its own `worker_threads` Worker with
 * `resourceLimits` on its JS heap (the module's linear memory is capped inside the sandbox, see
 * core/jobs/wasm-binary.ts), stdout/stderr of the worker not inherited, no env or argv of ours
 * passed in. A heap blow-up (ERR_WORKER_OUT_OF_MEMORY) is a `JobMemoryError`; any other death a
 * `JobWorkerError`. Default capacity: cores − 1 (at least 1).
 */
import { Worker } from 'node:worker_threads'
import { availableParallelism } from 'node:os'
import { createTaskRunner, type SpawnTaskWorker, type TaskRunner, type TaskRunnerInit } from '../../core/jobs/runner.ts'
import { JobMemoryError, JobWorkerError } from '../../core/jobs/errors.ts'
import type { WorkerReply } from '../../core/jobs/worker-protocol.ts'

const ENTRY = new URL('./task-worker.mjs', import.meta.url)
const MiB = 1024 * 1024

/** Tasks a Node peer runs at once by default: one core left for the peer itself. */
export function defaultNodeCapacity (): number {
  return Math.max(1, availableParallelism() - 1)
}

const spawnThread: SpawnTaskWorker = (limits, events) => {
  const worker = new Worker(ENTRY, {
    env: {},
    argv: [],
    stdout: true,
    stderr: true,
    resourceLimits: {
      // the shim, the captured output (stdout + stderr, and a copy when posted back) and headroom
      maxOldGenerationSizeMb: 64 + Math.ceil(3 * limits.maxOutputBytes / MiB),
      maxYoungGenerationSizeMb: 8,
      stackSizeMb: 4
    }
  })
  // drain the worker's own stdio (a module never writes there, but a loader warning might)
  worker.stdout.resume()
  worker.stderr.resume()
  let done = false
  worker.on('message', (reply: WorkerReply) => { if (!done) events.message(reply) })
  worker.on('error', (err: Error & { code?: string }) => {
    if (done) return
    done = true
    events.failure(err.code === 'ERR_WORKER_OUT_OF_MEMORY'
      ? new JobMemoryError(`the task's worker ran out of JS heap: ${err.message}`)
      : new JobWorkerError(`the task's worker failed: ${err.name}: ${err.message}`))
  })
  worker.on('exit', code => {
    if (done) return
    done = true
    events.failure(new JobWorkerError(`the task's worker exited (code ${code}) before answering`))
  })
  return {
    post: msg => { worker.postMessage(msg) },
    terminate: () => { done = true; void worker.terminate() }
  }
}

/** A task runner backed by worker threads. */
export function createNodeTaskRunner (init: TaskRunnerInit = {}): TaskRunner {
  return createTaskRunner(spawnThread, { capacity: init.capacity ?? defaultNodeCapacity(), ...init })
}
