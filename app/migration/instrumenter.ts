/**
 * Makes modules checkpointable for this tab, once per module: the Asyncify pass runs in one
 * long-lived Web Worker (instrument-worker.ts; binaryen stays loaded there), and the result — or
 * the typed reason a module cannot be checkpointed — is cached by the module's SHA-256, as
 * node-runtime/migration/instrumenter.ts does with a worker thread.
 */
import { NotCheckpointableError, type NotCheckpointableReason } from '../../core/migration/errors.ts'
import type { InstrumentedModule } from '../../core/migration/instrument.ts'

type Reply = { id: number, ok: true, bytes: Uint8Array, globals: InstrumentedModule['globals'], polls?: InstrumentedModule['polls'] } | { id: number, ok: false, reason: NotCheckpointableReason, message: string }

export interface TabInstrumenter {
  /** the instrumented module, or a `NotCheckpointableError` (cached either way) */
  instrument: (moduleBytes: Uint8Array) => Promise<InstrumentedModule>
  stop: () => void
}

const hex = (b: ArrayBuffer): string => [...new Uint8Array(b)].map(x => x.toString(16).padStart(2, '0')).join('')

export function createTabInstrumenter (): TabInstrumenter {
  const cache = new Map<string, Promise<InstrumentedModule>>()
  const pending = new Map<number, (r: Reply) => void>()
  let worker: Worker | undefined
  let nextId = 0

  function thread (): Worker {
    if (worker != null) return worker
    const w = new Worker(new URL('./instrument-worker.ts', import.meta.url), { type: 'module', name: 'novacron-instrument' })
    w.onmessage = (e: MessageEvent<Reply>) => { pending.get(e.data.id)?.(e.data); pending.delete(e.data.id) }
    w.onerror = (e: ErrorEvent) => {
      e.preventDefault()
      worker = undefined
      for (const [id, settle] of pending) settle({ id, ok: false, reason: 'instrument-failed', message: `the instrumenting worker failed: ${e.message}` })
      pending.clear()
    }
    worker = w
    return w
  }

  async function run (bytes: Uint8Array): Promise<InstrumentedModule> {
    const id = nextId++
    const r = await new Promise<Reply>(resolve => { pending.set(id, resolve); thread().postMessage({ id, bytes }) })
    if (!r.ok) throw new NotCheckpointableError(r.reason, r.message)
    return { bytes: r.bytes, globals: r.globals, originalBytes: bytes.length, ...(r.polls != null ? { polls: r.polls } : {}) }
  }

  return {
    async instrument (moduleBytes) {
      const key = hex(await crypto.subtle.digest('SHA-256', moduleBytes as Uint8Array<ArrayBuffer>))
      let p = cache.get(key)
      if (p == null) {
        p = run(moduleBytes)
        cache.set(key, p)
        // a failure of the worker itself is not the module's fault: try again next time
        p.catch((err: unknown) => { if (err instanceof NotCheckpointableError && err.message.startsWith('the instrumenting worker')) cache.delete(key) })
      }
      return await p
    },
    stop () {
      worker?.terminate()
      worker = undefined
    }
  }
}
