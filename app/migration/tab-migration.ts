/**
 * Live migration in a tab: the same migration service as a Node peer (core/migration/service.ts)
 * on the tab's MeshNode, blob service and job worker, with a Web Worker instrumenter
 * (./instrumenter.ts). A checkpointable task's Web Worker reads the shared control word at every
 * WASI call like a Node worker thread (app/jobs/task-worker.ts), so a tab's task can be moved,
 * checkpointed, and moved *to* a tab.
 *
 * The control word is a `SharedArrayBuffer`, which a page has only when it is cross-origin
 * isolated (`novacron start` serves the app with COOP/COEP, node-runtime/mesh/http-server.ts).
 * A page that is not runs its tasks plainly: they cannot move, as before.
 *
 * On `pagehide` the tab starts moving its running tasks out (`drain`), best effort: the browser
 * gives a closing page no guaranteed time, so a move usually does not finish; then the task's last
 * periodic checkpoint (kept by another peer) is resumed by the next claimer once its lease
 * expires (docs/migration.md). Exposed on the page as `__novacronMigration` for tests.
 */
import type { MeshNode } from '../../core/net/index.ts'
import type { BlobService } from '../../core/blobs/index.ts'
import type { JobsBinding } from '../../core/jobs/ledger-binding.ts'
import type { JobWorker } from '../../core/jobs/worker.ts'
import { createMigrationService, type MigrationInit, type MigrationService } from '../../core/migration/service.ts'
import { createTabInstrumenter } from './instrumenter.ts'

export interface TabMigrationInit extends MigrationInit {
  /** how long a leaving tab tries to move its tasks @default 5000 */
  graceMs?: number
}

export interface TabMigration {
  readonly service: MigrationService
  /** false when the page is not cross-origin isolated (no SharedArrayBuffer): tasks run plainly */
  readonly enabled: boolean
  start: () => Promise<void>
  stop: () => Promise<void>
}

/** True when this page can share memory with its workers (the control word needs it). */
export const canCheckpointHere = (): boolean => (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true && typeof SharedArrayBuffer === 'function'

export function createTabMigration (mesh: MeshNode, parts: { binding: JobsBinding, blobs: BlobService, worker: () => JobWorker | undefined }, init: TabMigrationInit = {}): TabMigration {
  const self = mesh.peerId.toString()
  const enabled = canCheckpointHere()
  const instrumenter = createTabInstrumenter()
  const { graceMs = 5000, ...opts } = init
  const service = createMigrationService({
    self,
    handle: async (protocol, handler, o) => { await mesh.handle(protocol, async (req, ctx) => await handler(req, ctx), o) },
    unhandle: async protocol => { await mesh.unhandle(protocol) },
    request: async (peer, protocol, payload, o) => await mesh.request(peer, protocol, payload, o),
    jobs: parts.binding,
    worker: parts.worker,
    fetchBlob: async (id, providers, o) => (await parts.blobs.fetch(id, providers.filter(p => p !== self), o)).bytes,
    putBlob: (bytes, o) => parts.blobs.put(bytes, o).id,
    removeBlob: id => parts.blobs.remove(id),
    getBlob: id => parts.blobs.get(id),
    hasBlob: id => parts.blobs.has(id),
    instrument: async bytes => await instrumenter.instrument(bytes),
    peers: () => mesh.members().filter(p => p !== self),
    log: m => { console.info(`migration: ${m}`) },
    out: (_event, _fields, human) => { console.info(human) }
  }, { ...opts, checkpointTasks: enabled && opts.checkpointTasks !== false })
  const onPageHide = (): void => {
    if (service.movable.length === 0) return
    service.drain(graceMs).catch((err: unknown) => { console.warn('migration: moving tasks out on pagehide failed:', err instanceof Error ? err.message : String(err)) })
  }
  let started = false
  const m: TabMigration = {
    service,
    enabled,
    async start () {
      // a tab that cannot run tasks checkpointably takes no task either: it does not serve the protocol
      if (started || !enabled) return
      started = true
      await service.start()
      globalThis.addEventListener?.('pagehide', onPageHide)
    },
    async stop () {
      if (!started) return
      started = false
      globalThis.removeEventListener?.('pagehide', onPageHide)
      await service.stop()
      instrumenter.stop()
    }
  }
  Object.assign(globalThis, { __novacronMigration: m })
  return m
}
