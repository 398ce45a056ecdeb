/**
 * Entry of one task's Web Worker (app/jobs/runner.ts): answers the one `run` message with
 * core/jobs' sandbox, the same code a Node worker thread runs, or, for a checkpointable run (live
 * migration), with core/migration's worker side, which posts its interim replies (memory copies,
 * checkpoints) before the last one — as node-runtime/jobs/task-worker-main.ts does.
 */
import { handleRunMessage, type WorkerReply } from '../../core/jobs/worker-protocol.ts'
import { isCheckpointRun, runCheckpointTask } from '../../core/migration/worker-run.ts'

const scope = self as unknown as { postMessage: (m: unknown, transfer?: Transferable[]) => void, onmessage: ((e: MessageEvent) => void) | null }
/** a memory copy or a snapshot is as large as the task's memory: move it, do not clone it again */
const post = (reply: WorkerReply): void => {
  const big = reply.type === 'memory' ? reply.bytes : reply.type === 'paused' || reply.type === 'checkpoint' ? reply.snapshot : undefined
  scope.postMessage(reply, big != null && big.byteOffset === 0 && big.byteLength === big.buffer.byteLength && big.buffer instanceof ArrayBuffer ? [big.buffer] : [])
}
scope.onmessage = (e: MessageEvent) => {
  scope.onmessage = null
  const msg: unknown = e.data
  void (isCheckpointRun(msg) ? runCheckpointTask(msg, post) : handleRunMessage(msg)).then(post)
}
scope.postMessage({ type: 'ready' })
