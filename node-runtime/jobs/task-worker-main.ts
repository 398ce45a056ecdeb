/**
 * The body of one task's worker thread: answer the one `run` message with core/jobs' sandbox, or,
 * for a checkpointable run (live migration), with core/migration's worker side, which posts its
 * interim replies (memory copies, checkpoints) before the last one.
 * node-runtime/jobs/runner.ts bundles this file (and what it imports) into one plain-JavaScript
 * module once per process, so a task's worker loads in tens of milliseconds without a TypeScript
 * loader; task-worker.mjs is the fallback that loads it through tsx.
 */
import { parentPort } from 'node:worker_threads'
import { transferOf, type WorkerReply } from '../../core/jobs/worker-protocol.ts'
import { taskWorkerHandler } from '../../core/migration/worker-run.ts'

const port = parentPort
if (port == null) throw new Error('task-worker-main runs only as a worker thread')
// a memory delta or a snapshot is as large as the task's memory: move it, do not clone it again
const post = (reply: WorkerReply): void => { port.postMessage(reply, transferOf(reply)) }
port.on('message', taskWorkerHandler(post))
port.postMessage({ type: 'ready' })
