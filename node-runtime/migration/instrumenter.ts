/**
 * Makes modules checkpointable for this peer, once per module: the Asyncify pass runs in one
 * long-lived worker thread (instrument-worker-main.ts; binaryen stays loaded there), and the
 * result — or the typed reason a module cannot be checkpointed — is cached by the module's
 * SHA-256, so binaryen runs once per module per process however many tasks of it run or arrive.
 * The thread is started on first use and `unref`ed: an idle peer does not wait for it to exit.
 */
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { NotCheckpointableError, type NotCheckpointableReason } from '../../core/migration/errors.ts'
import type { InstrumentedModule } from '../../core/migration/instrument.ts'

type Reply = { id: number, ok: true, bytes: Uint8Array, globals: InstrumentedModule['globals'], polls?: InstrumentedModule['polls'] } | { id: number, ok: false, reason: NotCheckpointableReason, message: string }

export interface Instrumenter {
  /** the instrumented module, or a `NotCheckpointableError` (cached either way) */
  instrument: (moduleBytes: Uint8Array) => Promise<InstrumentedModule>
  /** modules instrumented (binaryen passes actually run) */
  readonly passes: number
  stop: () => Promise<void>
}

/** From the dist/node bundle (node-runtime/build.mjs) the thread's own bundled entry sits beside this chunk; from sources, the tsx entry. */
const BUNDLED = new URL('./instrument-worker-main.mjs', import.meta.url)
const FROM_SOURCE = new URL('./instrument-worker.mjs', import.meta.url)
const threadEntry = (): URL => existsSync(fileURLToPath(FROM_SOURCE)) ? FROM_SOURCE : BUNDLED

export const sha256Hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

export interface InstrumenterInit {
  /** loop iterations between poll calls (core/migration/instrument.ts; 0: none, for benchmarks) @default 10000 */
  pollEvery?: number
}

export function createInstrumenter (init: InstrumenterInit = {}): Instrumenter {
  const cache = new Map<string, Promise<InstrumentedModule>>()
  const pending = new Map<number, (r: Reply) => void>()
  let worker: Worker | undefined
  let nextId = 0
  let passes = 0

  function thread (): Worker {
    if (worker != null) return worker
    const w = new Worker(threadEntry(), { stdout: true, stderr: true })
    w.stdout.resume()
    w.stderr.resume()
    w.unref()
    w.on('message', (r: Reply) => { pending.get(r.id)?.(r); pending.delete(r.id) })
    const fail = (why: string): void => {
      worker = undefined
      for (const [id, settle] of pending) settle({ id, ok: false, reason: 'instrument-failed', message: why })
      pending.clear()
    }
    w.on('error', err => { fail(`the instrumenting thread failed: ${err.message}`) })
    w.on('exit', code => { fail(`the instrumenting thread exited (code ${code})`) })
    worker = w
    return w
  }

  async function run (bytes: Uint8Array): Promise<InstrumentedModule> {
    passes++
    const id = nextId++
    const w = thread()
    w.ref() // keep the process up while a pass is in flight
    const r = await new Promise<Reply>(resolve => { pending.set(id, resolve); w.postMessage({ id, bytes, ...(init.pollEvery != null ? { pollEvery: init.pollEvery } : {}) }) })
    if (pending.size === 0) worker?.unref()
    if (!r.ok) throw new NotCheckpointableError(r.reason, r.message)
    return { bytes: r.bytes, globals: r.globals, originalBytes: bytes.length, ...(r.polls != null ? { polls: r.polls } : {}) }
  }

  return {
    get passes () { return passes },
    async instrument (moduleBytes) {
      const key = sha256Hex(moduleBytes)
      let p = cache.get(key)
      if (p == null) {
        p = run(moduleBytes)
        cache.set(key, p)
        // a failure of the thread itself is not the module's fault: try again next time
        p.catch((err: unknown) => { if (err instanceof NotCheckpointableError && err.message.startsWith('the instrumenting thread')) cache.delete(key) })
      }
      return await p
    },
    async stop () {
      const w = worker
      worker = undefined
      if (w != null) await w.terminate()
    }
  }
}
