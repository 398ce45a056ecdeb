/**
 * The Node half of the task runner: every task in its own `worker_threads` Worker with
 * `resourceLimits` on its JS heap (the module's linear memory is capped inside the sandbox, see
 * core/jobs/wasm-binary.ts), stdout/stderr of the worker not inherited, no env or argv of ours
 * passed in. A heap blow-up (ERR_WORKER_OUT_OF_MEMORY) is a `JobMemoryError`; any other death a
 * `JobWorkerError`. Default capacity: cores − 1 (at least 1).
 */
import { Worker } from 'node:worker_threads'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { existsSync } from 'node:fs'
import { createTaskRunner, type SpawnTaskWorker, type TaskRunner, type TaskRunnerInit } from '../../core/jobs/runner.ts'
import { JobMemoryError, JobWorkerError } from '../../core/jobs/errors.ts'
import type { WorkerReply } from '../../core/jobs/worker-protocol.ts'

const FALLBACK_ENTRY = new URL('./task-worker.mjs', import.meta.url)
const MAIN = new URL('./task-worker-main.ts', import.meta.url)
/** In the dist/node bundle this file is a chunk beside the worker's own bundled entry (node-runtime/build.mjs). */
const BUNDLED = new URL('./task-worker-main.mjs', import.meta.url)
const MiB = 1024 * 1024

let entry: URL | undefined

/**
 * The worker's code as one plain-JavaScript ESM module (a `data:` URL), bundled by esbuild (it
 * ships with tsx, a runtime dependency) once per process: a worker then starts in tens of ms
 * instead of ~1 s through tsx. When bundling fails, or when this file itself runs from a bundle
 * (no .ts next to it), the fallback entry loads the TypeScript through tsx.
 */
async function workerEntry (): Promise<URL> {
  if (entry != null) return entry
  if (!existsSync(fileURLToPath(MAIN)) && existsSync(fileURLToPath(BUNDLED))) {
    entry = BUNDLED
    return entry
  }
  try {
    const { build } = await import('esbuild')
    const result = await build({
      entryPoints: [fileURLToPath(MAIN)], bundle: true, format: 'esm', platform: 'node', target: 'node20', write: false, logLevel: 'silent'
    })
    entry = new URL(`data:text/javascript;base64,${Buffer.from(result.outputFiles[0].contents).toString('base64')}`)
  } catch {
    entry = FALLBACK_ENTRY
  }
  return entry
}

/** Tasks a Node peer runs at once by default: one core left for the peer itself. */
export function defaultNodeCapacity (): number {
  return Math.max(1, availableParallelism() - 1)
}

const spawnThread = (url: URL): SpawnTaskWorker => (limits, events) => {
  const worker = new Worker(url, {
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
    post: (msg, transfer = []) => { worker.postMessage(msg, transfer) },
    terminate: () => { done = true; void worker.terminate() }
  }
}

/** A task runner backed by worker threads (resolves once the worker code is bundled). */
export async function createNodeTaskRunner (init: TaskRunnerInit = {}): Promise<TaskRunner> {
  return createTaskRunner(spawnThread(await workerEntry()), { ...init, capacity: init.capacity ?? defaultNodeCapacity() })
}
