/**
 * Entry of one task's Web Worker (app/jobs/runner.ts): answers the one `run` message with
 * core/jobs' sandbox, the same code a Node worker thread runs, or, for a checkpointable run (live
 * migration), with core/migration's worker side, which posts its interim replies (memory copies,
 * checkpoints) before the last one — as node-runtime/jobs/task-worker-main.ts does.
 */
import { transferOf, type WorkerReply } from '../../core/jobs/worker-protocol.ts'
import { taskWorkerHandler } from '../../core/migration/worker-run.ts'

const scope = self as unknown as { postMessage: (m: unknown, transfer?: Transferable[]) => void, onmessage: ((e: MessageEvent) => void) | null }
/** a memory delta or a snapshot is as large as the task's memory: move it, do not clone it again */
const post = (reply: WorkerReply): void => { scope.postMessage(reply, transferOf(reply)) }
const handle = taskWorkerHandler(post)
scope.onmessage = (e: MessageEvent) => { handle(e.data) }
scope.postMessage({ type: 'ready' })
