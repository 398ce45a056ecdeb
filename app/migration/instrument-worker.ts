/**
 * Entry of the tab's instrumenting Web Worker (app/migration/instrumenter.ts): binaryen's Asyncify
 * pass (core/migration/instrument.ts) off the page's main thread, one module per message. binaryen
 * (13 MB of JS) is loaded on the first message and stays loaded for the next ones.
 */
import { instrumentForCheckpoint } from '../../core/migration/instrument.ts'
import { NotCheckpointableError } from '../../core/migration/errors.ts'

const scope = self as unknown as { postMessage: (m: unknown) => void, onmessage: ((e: MessageEvent<{ id: number, bytes: Uint8Array }>) => void) | null }
scope.onmessage = (e) => {
  const { id, bytes } = e.data
  instrumentForCheckpoint(bytes).then(
    m => { scope.postMessage({ id, ok: true, bytes: m.bytes, globals: m.globals, polls: m.polls }) },
    (err: unknown) => {
      const reason = err instanceof NotCheckpointableError ? err.reason : 'instrument-failed'
      scope.postMessage({ id, ok: false, reason, message: err instanceof Error ? err.message : String(err) })
    })
}
