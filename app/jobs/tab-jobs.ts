/**
 * Jobs in a tab: the same worker loop as a Node peer (core/jobs/worker.ts) over the tab's ledger,
 * with the blob service (`/novacron/blobs/1.0.0`) on the tab's MeshNode, its blobs kept in
 * IndexedDB (./idb-blob-store.ts, so a reloaded tab still serves what it computed), and a Web Worker per task
 * (./runner.ts, capacity 1–2). `prepare(ledger)` registers the `job.*` kinds before the ledger
 * starts (app/ledger/page-ledger.ts calls it); `start()` runs blobs and the worker. The Jobs panel
 * reads `binding.state` and listens for `jobs` events (the state machine's events, in commit
 * order). Live migration (app/migration/tab-migration.ts) rides along when the page is
 * cross-origin isolated. Exposed on the page as `__novacronJobs` for tests.
 */
import type { MeshNode } from '../../core/net/index.ts'
import { createBlobService, type BlobService } from '../../core/blobs/index.ts'
import { bindJobs, type JobsBinding, type JobsLedger } from '../../core/jobs/ledger-binding.ts'
import { createJobWorker, type JobWorker } from '../../core/jobs/worker.ts'
import type { JobEvent } from '../../core/jobs/state.ts'
import { jobBlobRetention } from '../../core/jobs/retention.ts'
import { createBrowserTaskRunner, defaultTabCapacity } from './runner.ts'
import { BLOBS_IDB_PREFIX, IdbBlobStore } from './idb-blob-store.ts'
import { createTabMigration, type TabMigration, type TabMigrationInit } from '../migration/tab-migration.ts'

export interface TabJobs {
  readonly events: EventTarget
  readonly blobs: BlobService
  readonly binding: () => JobsBinding | undefined
  readonly worker: () => JobWorker | undefined
  /** live migration (app/migration/tab-migration.ts), once prepared */
  readonly migration: () => TabMigration | undefined
  readonly self: string
  /** peers that may hold blobs */
  peers: () => string[]
  prepare: (ledger: unknown) => void
  start: () => Promise<void>
}

function isJobsLedger (l: unknown): l is JobsLedger {
  const o = l as Partial<JobsLedger> | null
  return typeof o?.registerKind === 'function' && typeof o.submit === 'function'
}

export function createTabJobs (mesh: MeshNode, init: { capacity?: number, migration?: TabMigrationInit } = {}): TabJobs {
  const self = mesh.peerId.toString()
  const events = new EventTarget()
  // blobs in IndexedDB (one database per peer id, kept across reloads), what live jobs need pinned
  // until the ledger caught up after start, a blob no known job names is pinned as well (a
  // reloaded tab's stored blobs may hold the unfetched results of jobs it has not synced yet)
  let ledgerRef: JobsLedger | undefined
  const store = new IdbBlobStore({ retention: jobBlobRetention(() => binding?.state, { caughtUp: () => ledgerRef?.synced ?? true }) })
  const blobs = createBlobService(mesh, { store })
  const peers = (): string[] => mesh.members().filter(p => p !== self)
  let binding: JobsBinding | undefined
  let worker: JobWorker | undefined
  let migration: TabMigration | undefined
  const jobs: TabJobs = {
    events,
    blobs,
    self,
    peers,
    binding: () => binding,
    worker: () => worker,
    migration: () => migration,
    prepare (ledger) {
      if (!isJobsLedger(ledger)) throw new TypeError('this ledger cannot register entry kinds')
      ledgerRef = ledger
      binding = bindJobs(ledger, undefined, (evs: JobEvent[]) => {
        worker?.poke()
        if (migration?.enabled === true) migration.service.onEvents(evs)
        if (evs.length > 0) events.dispatchEvent(new CustomEvent('jobs', { detail: evs }))
      })
      const b = binding
      migration = createTabMigration(mesh, { binding: b, blobs, worker: () => worker }, init.migration ?? {})
    },
    async start () {
      if (binding == null || worker != null) return
      // without IndexedDB (a private window may refuse it) the tab's blobs live in memory only
      await store.open(`${BLOBS_IDB_PREFIX}${self}`).catch(err => { console.warn('blobs stay in memory: IndexedDB could not be opened:', err) })
      await blobs.start()
      const capacity = init.capacity ?? defaultTabCapacity()
      const hooks = migration?.enabled === true ? { migration: migration.service.hooks } : {}
      worker = createJobWorker({ jobs: binding, blobs, runner: createBrowserTaskRunner({ capacity }), self, peers, ...hooks }, { capacity })
      worker.start()
      await migration?.start()
    }
  }
  Object.assign(globalThis, { __novacronJobs: jobs })
  return jobs
}
