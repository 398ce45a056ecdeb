/**
 * The tab's half of the task runner: every task in its own module Web Worker (Vite bundles
 * task-worker.ts as a separate chunk through the `new Worker(new URL(…))` pattern), terminated
 * when the task ends. The module's linear memory is capped inside the sandbox
 * (core/jobs/wasm-binary.ts); a Web Worker has no JS-heap limit like Node's `resourceLimits`, so
 * in a tab the captured output cap is what bounds the worker's JS memory. Default capacity: 1 on
 * machines with up to 2 cores, else 2 — a tab must stay responsive.
 */
import { createTaskRunner, type SpawnTaskWorker, type TaskRunner, type TaskRunnerInit } from '../../core/jobs/runner.ts'
import { JobWorkerError } from '../../core/jobs/errors.ts'
import type { WorkerReply } from '../../core/jobs/worker-protocol.ts'

/** Tasks a tab runs at once by default. */
export function defaultTabCapacity (): number {
  return (navigator.hardwareConcurrency ?? 1) > 2 ? 2 : 1
}

const spawnWebWorker: SpawnTaskWorker = (_limits, events) => {
  const worker = new Worker(new URL('./task-worker.ts', import.meta.url), { type: 'module', name: 'novacron-task' })
  let done = false
  worker.onmessage = (e: MessageEvent<WorkerReply>) => { if (!done) events.message(e.data) }
  worker.onerror = (e: ErrorEvent) => {
    e.preventDefault()
    if (done) return
    done = true
    events.failure(new JobWorkerError(`the task's worker failed: ${e.message ?? 'unknown error'}`))
  }
  worker.onmessageerror = () => {
    if (done) return
    done = true
    events.failure(new JobWorkerError('the task\'s worker sent a message that could not be read'))
  }
  return {
    post: (msg, transfer = []) => { worker.postMessage(msg, transfer) },
    terminate: () => { done = true; worker.terminate() }
  }
}

/** A task runner backed by Web Workers. */
export function createBrowserTaskRunner (init: TaskRunnerInit = {}): TaskRunner {
  return createTaskRunner(spawnWebWorker, { ...init, capacity: init.capacity ?? defaultTabCapacity() })
}
