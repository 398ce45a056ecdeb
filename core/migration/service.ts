/**
 * The live-migration service of a peer: attached to the job worker through its `migration` hooks
 * (core/jobs/worker.ts) and to the mesh through narrow components, never grown into the MeshNode.
 *
 * - `hooks.prepare` makes every task this peer runs checkpointable when its module can be
 *   instrumented (else it runs plainly and cannot move), keeps a handle on it (the shared control
 *   word, its memory copies and pauses), and resumes an adopted task from its verified snapshot;
 * - `migrate(task, to?)` moves one running task out (outgoing.ts); `drain(graceMs)` moves them all
 *   (a leaving peer);
 * - every `checkpointIntervalMs` a running task takes a checkpoint (it goes on at once), stored as a
 *   blob here and kept by another peer (`keep`), and recorded by a `job.checkpoint` ledger entry; a
 *   task claimed again after its holder vanished resumes from the slot's last checkpoint; a
 *   checkpoint superseded by a newer one, or whose task ended, is dropped (checkpoint-gc.ts);
 * - it serves `/novacron/migration/1.6.0` for tasks arriving (incoming.ts), and on the committed
 *   `job.handover` naming this peer and the snapshot's digest, adopts the task (`worker.adopt`).
 *
 * This file wires the parts: its shapes are in service-types.ts, the handle on a running task and
 * its control word in task-control.ts, checkpoints end to end in checkpoint-keeper.ts, requests
 * over a direct link in direct-request.ts.
 */
import { initCoreWasm } from '../../core-wasm/index.ts'
import type { CheckpointLink, WarmWorker } from '../jobs/runner.ts'
import type { WorkerMigrationHooks } from '../jobs/worker.ts'
import { CheckpointKeeper } from './checkpoint-keeper.ts'
import { directRequester, MAX_FRAME } from './direct-request.ts'
import { NotCheckpointableError, NotMigratableError } from './errors.ts'
import { MigrationIncoming, type Arrival, type ReadySnapshot } from './incoming.ts'
import type { InstrumentedModule } from './instrument.ts'
import { migrateOut, type MigrationRecord } from './outgoing.ts'
import { MIGRATION_PROTOCOL } from './protocol-codec.ts'
import type { MigrationComponents, MigrationInit, MigrationService } from './service-types.ts'
import { readSnapshotClockNs } from './snapshot-codec.ts'
import { keyOf, requestCheckpoint, runningTask, taskControls, type RunningTask } from './task-control.ts'
import { WarmArrivals } from './warm-arrivals.ts'

export type { CheckpointIndexStore, CheckpointJournal, CheckpointStats, MigrationComponents, MigrationInit, MigrationService } from './service-types.ts'

/** The run time a snapshot records, ms (0, logged, for one that cannot be read: the worker then fails it) */
function usedMsOf (snapshot: Uint8Array, key: string, log: (m: string) => void = () => {}): number {
  try {
    return Number(readSnapshotClockNs(snapshot) / 1_000_000n)
  } catch (err) {
    log(`task ${key}: its snapshot's clock could not be read: ${err instanceof Error ? err.message : String(err)}`)
    return 0
  }
}

export function createMigrationService (c: MigrationComponents, init: MigrationInit = {}): MigrationService {
  const log = c.log ?? (() => {})
  const out = c.out ?? (() => {})
  const replyTimeoutMs = init.replyTimeoutMs ?? 30_000
  const running = new Map<string, RunningTask>()
  const ready = new Map<string, ReadySnapshot>()
  /** handed over to this peer: the snapshot, and the kept checkpoint's chunks it leaves to the worker made ahead (incoming.ts `baseHeld`) */
  const adopted = new Map<string, { snapshot: Uint8Array, slot: number, base?: { held: Uint8Array, fill: (snapshot: Uint8Array) => void } }>()
  const records: MigrationRecord[] = []
  let started = false
  let n = 0
  const interval = init.checkpointIntervalMs ?? 30_000
  const request = directRequester(c)
  const keeper = new CheckpointKeeper(c, request, log, out, init.checkpointExtraBytes)

  const arrivals = c.warm != null ? new WarmArrivals(c.warm) : undefined
  /** the task's worker made ahead, with its module, as its offer is accepted (warm-arrivals.ts) */
  /** with a kept checkpoint as its base: the worker it went to (the snapshot then leaves its chunks out) */
  const based = new Map<string, WarmWorker>()
  const arriving = async (a: Arrival): Promise<Uint8Array | undefined> => {
    const job = c.jobs.state.jobs.get(a.job)
    const key = keyOf(a)
    based.delete(key)
    if (arrivals == null || job == null) return undefined
    const mod = await c.instrument(await c.fetchBlob(job.spec.module, [a.from, job.author])) // cached: the offer just instrumented it
    const w = arrivals.add(key, { module: mod.bytes, limits: { memoryBytes: job.spec.memoryBytes, timeoutMs: job.spec.timeoutMs }, memoryBytes: a.memoryBytes, ...(a.base != null ? { base: a.base } : {}) })
    if (w == null || a.base == null) return undefined
    based.set(key, w)
    return await w.based
  }

  const incoming = new MigrationIncoming({
    state: c.jobs.state,
    ...(c.sha256 != null ? { sha256: c.sha256 } : {}),
    hasRoom: () => {
      // a claim of ours still in flight for a slot another peer holds has lost (it is only
      // unwinding): it takes no slot. Counting it refused a leaving peer's task while this
      // peer's losing claim on that same job's slot was still settling (mesh.test.ts, SIGTERM).
      const w = c.worker()
      if (w == null) return false
      const busy = w.active.filter(k => {
        const [job, task, replica] = k.split('/')
        const holder = c.jobs.state.jobs.get(job)?.tasks[Number(task)]?.slots[Number(replica)]?.lease?.worker
        return holder == null || holder === c.self
      })
      return busy.length < w.capacity
    },
    prepareModule: async (id, providers) => { await c.instrument(await c.fetchBlob(id, providers)) },
    ready: r => { ready.set(keyOf(r), r) },
    ...(arrivals != null
      ? { arriving: async a => await arriving(a).catch((err: unknown) => { log(`migration ${a.id}: no worker made ahead: ${err instanceof Error ? err.message : String(err)}`); return undefined }) }
      : {}),
    heldCheckpoint: slot => {
      const cp = c.jobs.state.jobs.get(slot.job)?.tasks[slot.task]?.slots[slot.replica]?.checkpoint
      const index = cp != null ? keeper.indexOf(cp.snapshot) : undefined
      if (cp == null || index == null) return undefined
      return { index, memory: () => keeper.memoryOf(cp.snapshot) }
    },
    keep: async (blob, from, slot) => { await keeper.keep(blob, from, slot) },
    log
  })

  const warmFor = (key: string): { warm?: WarmWorker } => {
    const warm = arrivals?.take(key)
    return warm != null ? { warm } : {}
  }

  const hooks: WorkerMigrationHooks = {
    async prepare (held) {
      if (init.checkpointTasks === false) return undefined
      let mod: InstrumentedModule
      try {
        mod = await c.instrument(held.module)
      } catch (err) {
        if (err instanceof NotCheckpointableError) { log(`task ${keyOf(held)} runs without checkpoints: ${err.reason}: ${err.message}`); return undefined }
        throw err
      }
      const key = keyOf(held)
      const r = runningTask(held)
      const sab = r.control.buffer as SharedArrayBuffer
      const handed = adopted.get(key)
      if (handed != null) adopted.delete(key)
      let from = handed != null && handed.slot === held.token.slot ? handed.snapshot : undefined
      // the worker made ahead, and the kept checkpoint's chunks it holds (the snapshot leaves them out)
      const warm = from != null ? warmFor(key) : {}
      const basedWorker = based.get(key)
      based.delete(key)
      const baseHeld = from != null && handed?.base != null && warm.warm != null && warm.warm === basedWorker ? handed.base.held : undefined
      if (from != null && handed?.base != null && baseHeld == null) {
        try {
          handed.base.fill(from) // not in that worker after all: the chunks from the checkpoint kept here
        } catch (err) {
          log(`task ${key}: its snapshot's chunks from the checkpoint kept here do not read back (${err instanceof Error ? err.message : String(err)}): it resumes from its last checkpoint`)
          warm.warm?.release()
          from = undefined
        }
      }
      from ??= await keeper.last(held)
      const handedSnapshot = handed != null && from === handed.snapshot
      running.set(key, r)
      if (interval > 0) r.timer = setInterval(() => { requestCheckpoint(r, 2 * replyTimeoutMs) }, interval)
      const link: CheckpointLink = {
        spec: { globals: mod.globals, control: sab, ...(from != null ? { from } : {}), ...(handedSnapshot && baseHeld != null ? { baseHeld } : {}) },
        // the run time it had on the peer that paused it counts against its limit here
        ...(from != null ? { usedMs: usedMsOf(from, key, log) } : {}),
        // the throttle's sleeps are not on the task's wall-clock limit
        sleptMs: () => Atomics.load(r.control, 4),
        // a handed-over snapshot was built for this run alone (a fetched checkpoint may be a store's),
        // and a worker may be waiting for it with its memory ready
        ...(handedSnapshot ? { moveFrom: true, ...warm } : {}),
        onReply: reply => {
          if (reply.type === 'memory') r.memoryWaiters.shift()?.(reply.delta)
          else void keeper.store(r, reply.snapshot, reply.tag)
        },
        onPaused: async reply => await new Promise(resolve => {
          r.decide = resolve
          const w = r.pauseWaiter
          r.pauseWaiter = undefined
          if (w != null) w(reply)
          else resolve({ resume: true }) // a pause nobody asked for: go on
        })
      }
      return { module: mod.bytes, checkpoint: link }
    },
    ended (held) {
      const key = keyOf(held)
      const r = running.get(key)
      if (r == null || r.held.token.slot !== held.token.slot) return
      r.ended = true
      clearInterval(r.timer)
      for (const w of r.memoryWaiters.splice(0)) w(undefined)
      r.pauseWaiter?.(undefined)
      running.delete(key)
    }
  }

  /**
   * Instruments a new job's module in the background (once per module), so that a task of it
   * arriving here later is accepted at once instead of after binaryen's pass; a module that
   * cannot be checkpointed is reported here, at submit time.
   */
  function prewarm (job: string): void {
    // after the rest of this commit batch: a job a catching-up peer replays may be over already
    setTimeout(() => {
      const j = c.jobs.state.jobs.get(job)
      if (j == null || j.status !== 'active') return
      c.fetchBlob(j.spec.module, [j.author, ...c.peers()]).then(async bytes => { await c.instrument(bytes) }).then(
        () => { log(`job ${job}: its module can be checkpointed`) },
        (err: unknown) => {
          const why = err instanceof Error ? `${err.name}: ${err.message}` : String(err)
          if (err instanceof NotCheckpointableError) out('migration:not-checkpointable', { job, reason: err.reason, error: why }, `migration   job ${job} runs without checkpoints: ${why}`)
          else log(`job ${job}: could not prepare its module for migration: ${why}`)
        })
    }, 0)
  }

  async function migrate (ref: { job: string, task: number, replica?: number }, to?: string): Promise<MigrationRecord> {
    const r = [...running.values()].find(x => x.held.job === ref.job && x.held.task === ref.task && (ref.replica == null || x.held.replica === ref.replica))
    if (r == null) throw new NotMigratableError(`task ${ref.job}/${ref.task} is not running checkpointably on this peer`)
    if (r.migrating) throw new NotMigratableError(`task ${keyOf(r.held)} is already moving`)
    r.migrating = true
    const targets = to != null ? [to] : c.peers().filter(p => p !== c.self)
    const id = `${c.self.slice(-8)}-${Date.now().toString(36)}-${n++}`
    try {
      const rec = await migrateOut({
        self: c.self,
        ...(c.sha256 != null ? { sha256: c.sha256 } : {}),
        request: async (peer, payload, timeoutMs) => await request(peer, payload, { timeoutMs, maxFrameSize: MAX_FRAME }),
        submitHandover: async body => {
          const committed = await c.jobs.submit({ kind: 'job.handover', body }, { timeoutMs: 60_000 })
          const lease = c.jobs.state.jobs.get(body.job)?.tasks[body.task]?.slots[body.replica]?.lease
          if (lease?.worker === body.to && lease.token.slot === committed.slot) return { handedOver: true }
          return { handedOver: false, why: 'the ledger refused it (the lease moved, expired, or the task settled)' }
        },
        ...taskControls(r, replyTimeoutMs),
        base: () => keeper.base(r),
        log
      }, { id, job: r.held.job, task: r.held.task, replica: r.held.replica, token: r.held.token }, targets, init)
      records.push(rec)
      out('migration:done', { ...rec }, `migration   ${rec.job} task ${rec.task} moved to ${rec.to}: downtime ${rec.downtimeMs ?? '?'} ms, ${rec.bytesSent} bytes sent for ${rec.memoryBytes} bytes of memory`)
      return rec
    } catch (err) {
      const rec: MigrationRecord = { id, job: r.held.job, task: r.held.task, replica: r.held.replica, from: c.self, to: to ?? '', token: r.held.token, status: 'failed', bytesSent: 0, memoryBytes: 0, rounds: 0, resentChunks: 0, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err), startedAt: Date.now() }
      records.push(rec)
      out('migration:failed', { job: rec.job, task: rec.task, error: rec.error }, `migration   ${rec.job} task ${rec.task} stayed here: ${rec.error}`)
      throw err
    } finally {
      r.migrating = false
      if (records.length > 200) records.splice(0, records.length - 200)
    }
  }

  return {
    hooks,
    records,
    get incoming () { return incoming.stats },
    checkpoints: keeper.stats,
    get movable () { return [...running.keys()] },
    migrate,
    onEvents (events) {
      keeper.onEvents(events)
      for (const e of events) {
        if (e.type === 'submitted' && init.checkpointTasks !== false) prewarm(e.job)
        if (e.type !== 'handedOver' || e.to !== c.self) continue
        const key = keyOf(e)
        const r = ready.get(key)
        ready.delete(key)
        if (r == null || r.sha256 !== e.snapshot) {
          log(`handover of ${key} to this peer, but no verified snapshot ${e.snapshot.slice(0, 12)}… is here: its lease will expire and the task be claimed again`)
          continue
        }
        let snapshot: Uint8Array
        try {
          snapshot = r.snapshot() // from the verified chunks: the source's downtime is over
        } catch (err) {
          log(`handover of ${key} to this peer, but its snapshot does not build (${err instanceof Error ? err.message : String(err)}): its lease will expire and the task be claimed again`)
          continue
        }
        adopted.set(key, { snapshot, slot: e.token.slot, ...(r.baseHeld != null && r.fillBase != null ? { base: { held: r.baseHeld, fill: r.fillBase } } : {}) })
        const ok = c.worker()?.adopt({ job: e.job, task: e.task, replica: e.replica }, e.token) ?? false
        out('migration:adopted', { job: e.job, task: e.task, replica: e.replica, from: e.from, token: e.token, started: ok }, `migration   ${e.job} task ${e.task} arrived from ${e.from}${ok ? '' : ' (could not start it here)'}`)
      }
    },
    async drain (graceMs) {
      const deadline = Date.now() + graceMs
      const keys = [...running.values()].filter(r => !r.migrating)
      const moved = await Promise.all(keys.map(async r => {
        const left = deadline - Date.now()
        if (left <= 0) return undefined
        let timer: ReturnType<typeof setTimeout> | undefined
        const timeout = new Promise<undefined>(resolve => { timer = setTimeout(() => { resolve(undefined) }, left) })
        try {
          return await Promise.race([migrate(r.held).catch((err: unknown) => { log(`drain ${keyOf(r.held)}: ${err instanceof Error ? err.message : String(err)}`); return undefined }), timeout])
        } finally {
          clearTimeout(timer)
        }
      }))
      return moved.filter((m): m is MigrationRecord => m != null)
    },
    async start () {
      if (started) return
      started = true
      await initCoreWasm() // FastCDC, xxh64 and LZ4 of the chunk frames
      // the ledger has replayed its stored commits by now (node-runtime/jobs: it starts before
      // the jobs): the journal's blobs it did not record are dropped after the grace
      keeper.start(init.orphanGraceMs ?? 60_000)
      await c.handle(MIGRATION_PROTOCOL, async (req, ctx) => await incoming.handle(req, ctx.peerId), { timeoutMs: 180_000, maxFrameSize: MAX_FRAME })
    },
    async stop () {
      if (!started) return
      started = false
      keeper.stop()
      arrivals?.stop()
      await c.unhandle(MIGRATION_PROTOCOL)
    }
  }
}
