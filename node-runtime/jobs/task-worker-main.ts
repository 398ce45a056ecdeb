/**
 * The body of one task's worker thread: answer the one `run` message with core/jobs' sandbox.
 * node-runtime/jobs/runner.ts bundles this file (and what it imports) into one plain-JavaScript
 * module once per process, so a task's worker loads in tens of milliseconds without a TypeScript
 * loader; task-worker.mjs is the fallback that loads it through tsx.
 */
import { parentPort } from 'node:worker_threads'
import { handleRunMessage } from '../../core/jobs/worker-protocol.ts'

const port = parentPort
if (port == null) throw new Error('task-worker-main runs only as a worker thread')
port.once('message', (msg: unknown) => {
  void handleRunMessage(msg).then(reply => { port.postMessage(reply) })
})
port.postMessage({ type: 'ready' })
