/**
 * Entry of one task's Web Worker (app/jobs/runner.ts): answers the one `run` message with
 * core/jobs' sandbox, the same code a Node worker thread runs.
 */
import { handleRunMessage } from '../../core/jobs/worker-protocol.ts'

const scope = self as unknown as { postMessage: (m: unknown) => void, onmessage: ((e: MessageEvent) => void) | null }
scope.onmessage = (e: MessageEvent) => {
  scope.onmessage = null
  void handleRunMessage(e.data).then(reply => { scope.postMessage(reply) })
}
scope.postMessage({ type: 'ready' })
