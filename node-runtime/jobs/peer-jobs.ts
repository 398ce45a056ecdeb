/**
 * Jobs inside `novacron start` / `novacron peer`: the jobs service attached to the peer's ledger
 * through narrow components, not grown into the MeshNode. Its blobs live in `<data-dir>/blobs` when
 * the peer has a data dir (node-runtime/blobs/file-store.ts). `prepare` registers the `job.*` kinds
 * and binds `JobsState` to the ledger's commits (before the ledger starts, so every committed job
 * entry is applied); `start` runs the blob service (`/novacron/blobs/1.0.0`) on the MeshNode, a
 * worker-thread task runner and the worker loop, and serves the `job.*` control ops that
 * `novacron job submit|status|result|list|cancel` call through the data dir.
 *
 * Live migration (node-runtime/migration/peer-migration.ts) rides along unless `migration` is
 * undefined: its hooks go into the worker, the job events to it, and `stop` first moves the running
 * tasks out within the grace period (a leaving peer).
 *
 * Test-only: with NOVACRON_TEST=1, NOVACRON_JOBS_HOSTILE=wrong-output makes this peer's worker lie,
 * NOVACRON_JOBS_HOSTILE=skip-renewals makes it stop renewing its leases, =zombie also makes it
 * ignore losing them (it submits its late result anyway), and the `job.hostile` control op switches
 * any of them on or off while the peer runs (`job.pause` stops or resumes its claiming).
 */
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import type { MeshNode } from '../../core/net/index.ts'
import { createBlobService, MemoryBlobStore, type BlobService } from '../../core/blobs/index.ts'
import { jobBlobRetention } from '../../core/jobs/retention.ts'
import { bindJobs, type JobsBinding, type JobsLedger } from '../../core/jobs/ledger-binding.ts'
import { createJobWorker, WORKER_HOSTILE_MODES, type JobWorker, type WorkerHostileMode } from '../../core/jobs/worker.ts'
import type { JobEvent } from '../../core/jobs/state.ts'
import type { ControlServer } from '../state/control.ts'
import type { TaskRunner } from '../../core/jobs/runner.ts'
import { jobOps } from './ops.ts'
import { migrationTestInit, preparePeerMigration, type PeerMigration } from '../migration/peer-migration.ts'
import { FileBlobStore } from '../blobs/file-store.ts'

export interface PeerJobsInit {
  node: MeshNode
  /** tasks this peer runs at once; 0 runs no worker (the peer still follows and submits) @default cores − 1, at least 1 */
  capacity?: number
  control?: ControlServer
  /** keep blobs (modules, inputs, results) in `<dataDir>/blobs` across restarts (`start`/`peer` always pass their data dir) @default in memory */
  dataDir?: string
  hostile?: WorkerHostileMode
  /** live migration: tasks run checkpointably and move out within `graceMs` when the peer stops @default off */
  migration?: { graceMs: number, checkpointIntervalMs?: number }
  out: (event: string, fields: Record<string, unknown>, human: string) => void
  log?: (message: string) => void
}

export interface PeerJobs {
  readonly binding: JobsBinding
  readonly blobs: BlobService
  readonly worker?: JobWorker
  readonly migration?: PeerMigration
  start: () => Promise<void>
  stop: () => Promise<void>
}

/** The hostile worker mode asked for by the environment: only when NOVACRON_TEST=1. */
export function jobsHostileFromEnv (env: NodeJS.ProcessEnv = process.env): WorkerHostileMode | undefined {
  if (env.NOVACRON_TEST !== '1') return undefined
  const mode = env.NOVACRON_JOBS_HOSTILE
  if (mode == null || mode === '') return undefined
  const known = WORKER_HOSTILE_MODES.find(m => m === mode)
  if (known == null) throw new RangeError(`NOVACRON_JOBS_HOSTILE must be one of ${WORKER_HOSTILE_MODES.join(', ')} (got '${mode}')`)
  return known
}

export function defaultCapacity (): number {
  return Math.max(1, availableParallelism() - 1)
}

/** Binds jobs to `ledger` (call before the ledger starts); `start()` once it runs. */
export function preparePeerJobs (ledger: JobsLedger, init: PeerJobsInit): PeerJobs {
  const capacity = init.capacity ?? defaultCapacity()
  const self = init.node.peerId.toString()
  let worker: JobWorker | undefined
  const onEvents = (events: JobEvent[]): void => {
    for (const e of events) {
      if (e.type === 'submitted') init.out('job:submitted', { job: e.job, tasks: e.tasks }, `job         ${e.job} submitted: ${e.tasks} task(s)`)
      else if (e.type === 'finished') init.out('job:finished', { job: e.job }, `job         ${e.job} finished`)
      else if (e.type === 'cancelled') init.out('job:cancelled', { job: e.job }, `job         ${e.job} cancelled`)
      else if (e.type === 'decided' && e.losers.length > 0) init.out('job:losers', { job: e.job, task: e.task, losers: e.losers }, `job         ${e.job} task ${e.task}: ${e.losers.join(', ')} disagreed with the majority`)
    }
    migration?.service.onEvents(events)
    worker?.poke()
  }
  const binding = bindJobs(ledger, undefined, onEvents)
  // what a live job needs is pinned in the store; the rest is evicted least recently used first
  // until the ledger caught up after start, a blob no known job names is pinned too: it may be
  // the unfetched result of a job this peer has not synced yet (a restart without a stored ledger)
  const retention = jobBlobRetention(() => binding.state, { caughtUp: () => ledger.synced ?? true })
  const blobs = createBlobService(init.node, { store: init.dataDir != null ? new FileBlobStore(join(init.dataDir, 'blobs'), { retention, ...(init.log != null ? { log: init.log } : {}) }) : new MemoryBlobStore({ retention }) })
  const migration: PeerMigration | undefined = init.migration == null || capacity === 0
    ? undefined
    : preparePeerMigration({ node: init.node, binding, blobs, worker: () => worker, warm: spec => runner?.warm(spec), out: init.out, ...(init.dataDir != null ? { dataDir: init.dataDir } : {}), ...(init.control != null ? { control: init.control } : {}), ...(init.log != null ? { log: init.log } : {}), ...(init.migration.checkpointIntervalMs != null ? { checkpointIntervalMs: init.migration.checkpointIntervalMs } : {}), ...migrationTestInit() })
  let runner: TaskRunner | undefined
  let started = false
  return {
    binding,
    blobs,
    get worker () { return worker },
    migration,
    async start () {
      if (started) return
      started = true
      await blobs.start()
      if (capacity > 0) {
        const { createNodeTaskRunner } = await import('./runner.ts')
        runner = await createNodeTaskRunner({ capacity })
        worker = createJobWorker({
          jobs: binding,
          blobs,
          runner,
          self,
          peers: () => init.node.members().filter(p => p !== self),
          ...(init.log != null ? { log: init.log } : {}),
          ...(migration != null ? { migration: migration.service.hooks } : {})
        }, { capacity, ...(init.hostile != null ? { hostile: init.hostile } : {}) })
        worker.start()
        if (migration != null) {
          await migration.start()
          init.out('migration:ready', { graceMs: init.migration?.graceMs }, `migration   tasks run with checkpoints; on SIGINT/SIGTERM they move to other peers within ${init.migration?.graceMs ?? 0} ms`)
        }
      }
      init.control?.addOps('job.', jobOps({ binding, blobs, self, worker: () => worker, peers: () => init.node.members().filter(p => p !== self), testOps: process.env.NOVACRON_TEST === '1' }))
      init.out('jobs:ready', { capacity, hostile: init.hostile ?? null }, `jobs        worker capacity ${capacity}${init.hostile != null ? ` (TEST: hostile ${init.hostile})` : ''}`)
    },
    async stop () {
      if (!started) return
      started = false
      if (migration != null && init.migration != null && migration.service.movable.length > 0) {
        const n = migration.service.movable.length
        init.out('migration:leaving', { tasks: n, graceMs: init.migration.graceMs }, `migration   leaving: moving ${n} running task(s) to other peers (grace ${init.migration.graceMs} ms)`)
        const moved = await migration.service.drain(init.migration.graceMs)
        init.out('migration:left', { moved: moved.length, of: n }, `migration   ${moved.length} of ${n} task(s) moved`)
      }
      worker?.stop()
      runner?.stop()
      binding.unbind()
      await migration?.stop()
      await blobs.stop()
    }
  }
}
