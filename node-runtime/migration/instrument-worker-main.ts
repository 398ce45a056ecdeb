/**
 * The instrumenting worker thread's body: binaryen's Asyncify pass (core/migration/instrument.ts)
 * off the peer's event loop. Loading binaryen and its first pass take ~20 s of CPU under load;
 * on the main thread that would stall the peer's ledger and mesh for as long.
 *
 *   owner → worker { id, bytes, pollEvery? }
 *   worker → owner { id, ok: true, bytes, globals, polls } | { id, ok: false, reason, message }
 */
import { parentPort } from 'node:worker_threads'
import { instrumentForCheckpoint } from '../../core/migration/instrument.ts'
import { NotCheckpointableError } from '../../core/migration/errors.ts'

const port = parentPort
if (port == null) throw new Error('instrument-worker-main runs only as a worker thread')
port.on('message', (msg: { id: number, bytes: Uint8Array, pollEvery?: number }) => {
  instrumentForCheckpoint(msg.bytes, msg.pollEvery != null ? { pollEvery: msg.pollEvery } : {}).then(m => {
    port.postMessage({ id: msg.id, ok: true, bytes: m.bytes, globals: m.globals, polls: m.polls })
  }, (err: unknown) => {
    const reason = err instanceof NotCheckpointableError ? err.reason : 'instrument-failed'
    port.postMessage({ id: msg.id, ok: false, reason, message: err instanceof Error ? err.message : String(err) })
  })
})
