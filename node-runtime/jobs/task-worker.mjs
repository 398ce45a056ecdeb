// Entry of one task's worker thread (node-runtime/jobs/runner.ts). Plain JavaScript: on Node 20
// a worker does not inherit the parent's module hooks (neither `--import tsx` nor tsx's
// `register()`), so it registers tsx itself before loading core/jobs' sandbox, then answers the
// one `run` message.
import { parentPort } from 'node:worker_threads'

const { register } = await import('tsx/esm/api')
register()
const { handleRunMessage } = await import('../../core/jobs/worker-protocol.ts')
parentPort.once('message', async (msg) => {
  const reply = await handleRunMessage(msg)
  parentPort.postMessage(reply)
})
parentPort.postMessage({ type: 'ready' })
