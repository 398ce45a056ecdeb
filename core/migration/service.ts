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
 * - it serves `/novacron/migration/1.4.0` for tasks arriving (incoming.ts), and on the committed
 *   `job.handover` naming this peer and the snapshot's digest, adopts the task (`worker.adopt`).
 */
import { initCoreWasm } from '../../core-wasm/index.ts'
import type { CommittedEntry } from '../ledger/types.ts'
import type { JobEntry } from '../jobs/entries.ts'
import type { CheckpointLink, PauseDecision, WarmSpec, WarmWorker } from '../jobs/runner.ts'
import type { JobEvent, JobsState } from '../jobs/state.ts'
import type { HeldTask, JobWorker, WorkerMigrationHooks } from '../jobs/worker.ts'
import type { MemoryDelta, PausedReply } from '../jobs/worker-protocol.ts'
import { CheckpointHoldings } from './checkpoint-gc.ts'
import type { SyncSha256 } from './digest.ts'
import { NoDirectLinkError, NotCheckpointableError, NotMigratableError, PauseTimeoutError } from './errors.ts'
import { MigrationIncoming, type IncomingStats, type ReadySnapshot } from './incoming.ts'
import type { InstrumentedModule } from './instrument.ts'
import { migrateOut, type MigrationRecord, type OutgoingOptions } from './outgoing.ts'
import { decodeResponse, encodeRequest, encodeResponse, MIGRATION_PROTOCOL } from './protocol-codec.ts'
import { decodeSnapshot, readSnapshotClockNs } from './snapshot-codec.ts'
import { WarmArrivals } from './warm-arrivals.ts'
import { CONTROL_CHECKPOINT, CONTROL_COPY_MEMORY, CONTROL_NONE, CONTROL_PAUSE, CONTROL_PREPARE } from './worker-run.ts'

export interface MigrationComponents {
  self: string
  handle: (protocol: string, handler: (req: Uint8Array, ctx: { peerId: string }) => Promise<Uint8Array>, opts?: { maxFrameSize?: number, timeoutMs?: number }) => Promise<void>
  unhandle: (protocol: string) => Promise<void>
  /** one request (`direct`: dial a direct link first and keep trying for `directWaitMs`: core/net's RequestOptions) */
  request: (peer: string, protocol: string, payload: Uint8Array, opts?: { timeoutMs?: number, maxFrameSize?: number, direct?: boolean, directWaitMs?: number }) => Promise<Uint8Array>
  jobs: { state: JobsState, submit: (entry: JobEntry, opts?: { timeoutMs?: number }) => Promise<CommittedEntry> }
  worker: () => Pick<JobWorker, 'adopt' | 'capacity' | 'active'> | undefined
  fetchBlob: (id: string, providers: string[]) => Promise<Uint8Array>
  /** stores a blob here (served to other peers); its id (SHA-256) */
  putBlob: (bytes: Uint8Array) => string
  /** a blob stored here, if it is (a checkpoint this peer keeps) @default none */
  getBlob?: (id: string) => Uint8Array | undefined
  /** forgets a blob here (a superseded checkpoint): the bytes freed @default keeps everything */
  removeBlob?: (id: string) => number
  /**
   * whether a blob is stored here: a committed checkpoint whose blob is here is tracked even when
   * this process did not store it (a restarted peer replaying its ledger) @default tracks only what it stores
   */
  hasBlob?: (id: string) => boolean
  /**
   * a durable list of the checkpoint blobs this peer stored, kept or fetched (node-runtime's is a
   * file in the data dir): after a restart, those the ledger never recorded are dropped
   * @default none (such blobs stay until the blob store's cap evicts them)
   */
  checkpointJournal?: CheckpointJournal
  /** instruments a module, cached per module (node-runtime/migration/instrumenter.ts) */
  instrument: (moduleBytes: Uint8Array) => Promise<InstrumentedModule>
  /**
   * starts a task worker ahead for a task arriving here (core/jobs/runner.ts `warm`): its memory
   * is made ready while the chunks come in; undefined: none now @default none (the run starts a
   * fresh worker)
   */
  warm?: (spec: WarmSpec) => WarmWorker | undefined
  /** peers that may take a task (the mesh's members, self excluded) */
  peers: () => string[]
  /**
   * a synchronous SHA-256 for migrated chunks' digests (node:crypto's in a Node peer): WebCrypto's
   * per-call cost is ~15 × the hash itself for an 8 KiB chunk (digest.ts) @default WebCrypto's
   */
  sha256?: SyncSha256
  log?: (message: string) => void
  /** a line for the peer's output (event, fields, human text) */
  out?: (event: string, fields: Record<string, unknown>, human: string) => void
}

/** A durable set of blob ids (checkpoint blobs stored here), surviving a restart. */
export interface CheckpointJournal {
  list: () => string[]
  add: (id: string) => void
  remove: (id: string) => void
}

export interface MigrationInit extends OutgoingOptions {
  /** run tasks checkpointably (when their module allows it) @default true */
  checkpointTasks?: boolean
  /** how long a memory copy or a pause may take to come back @default 30000 */
  replyTimeoutMs?: number
  /** a running task's checkpoint interval (kept on another peer); 0 takes none @default 30000 */
  checkpointIntervalMs?: number
  /**
   * checkpoint blobs left on disk from before a restart (in `checkpointJournal`) that the replayed
   * ledger does not record are dropped this long after `start()`, unless a commit arriving
   * meanwhile records them (a ledger that lags the mesh at start may not have applied a
   * checkpoint this peer keeps yet) @default 60000
   */
  orphanGraceMs?: number
}

export interface CheckpointStats {
  /** checkpoints taken, kept by another peer and recorded in the ledger */
  recorded: number
  failed: number
  /** tasks this peer claimed again and resumed from a checkpoint */
  resumed: number
  /** superseded checkpoint blobs this peer dropped (checkpoint-gc.ts), and their chunk bytes freed */
  dropped: number
  droppedBytes: number
  /** of those, blobs left from before a restart that the ledger never recorded */
  orphansDropped: number
  lastError?: string
}

export interface MigrationService {
  readonly hooks: WorkerMigrationHooks
  /** feed the jobs binding's events (a handover naming this peer adopts the task) */
  onEvents: (events: JobEvent[]) => void
  /** moves one running task out; `replica` defaults to the one running here */
  migrate: (ref: { job: string, task: number, replica?: number }, to?: string) => Promise<MigrationRecord>
  /** moves every checkpointable task out, each within `graceMs`; the records of those that left */
  drain: (graceMs: number) => Promise<MigrationRecord[]>
  /** checkpointable tasks running here, `job/task/replica` */
  readonly movable: string[]
  readonly records: MigrationRecord[]
  readonly incoming: IncomingStats
  readonly checkpoints: CheckpointStats
  start: () => Promise<void>
  stop: () => Promise<void>
}

interface Running {
  held: HeldTask
  control: Int32Array
  memoryWaiters: Array<(d: MemoryDelta | undefined) => void>
  pauseWaiter?: (p: PausedReply | undefined) => void
  decide?: (d: PauseDecision) => void
  migrating: boolean
  /** a checkpoint was asked for at `checkpointAt` and not yet stored */
  checkpointing: boolean
  checkpointAt: number
  ended: boolean
  timer?: ReturnType<typeof setInterval>
}

/** a `final` carries the snapshot's stdout and stderr (each up to the task's output cap) and the recipe */
const MAX_FRAME = 48 * 1024 * 1024
/**
 * Migration requests need a direct link: a peer reached only through the relay (a tab that just
 * joined, before the mesh dialled it) refuses them on that limited link, and the relay's data and
 * time limits could not carry a snapshot anyway. A request refused so is sent again after dialling
 * one, trying this long (the tab's WebRTC addresses may not be known yet) before it fails.
 */
const DIRECT_WAIT_MS = 20_000

/** The run time a snapshot records, ms (0, logged, for one that cannot be read: the worker then fails it) */
function usedMsOf (snapshot: Uint8Array, key: string, log: (m: string) => void = () => {}): number {
  try {
    return Number(readSnapshotClockNs(snapshot) / 1_000_000n)
  } catch (err) {
    log(`task ${key}: its snapshot's clock could not be read: ${err instanceof Error ? err.message : String(err)}`)
    return 0
  }
}

const keyOf = (t: { job: string, task: number, replica: number }): string => `${t.job}/${t.task}/${t.replica}`

export function createMigrationService (c: MigrationComponents, init: MigrationInit = {}): MigrationService {
  const log = c.log ?? (() => {})
  const out = c.out ?? (() => {})
  const replyTimeoutMs = init.replyTimeoutMs ?? 30_000
  const running = new Map<string, Running>()
  const ready = new Map<string, ReadySnapshot>()
  const adopted = new Map<string, { snapshot: Uint8Array, slot: number }>()
  const records: MigrationRecord[] = []
  let started = false
  let n = 0
  const checkpoints: CheckpointStats = { recorded: 0, failed: 0, resumed: 0, dropped: 0, droppedBytes: 0, orphansDropped: 0 }
  const interval = init.checkpointIntervalMs ?? 30_000
  const holdings = new CheckpointHoldings()
  const journal = c.checkpointJournal
  let orphanTimer: ReturnType<typeof setTimeout> | undefined
  /** this peer holds checkpoint blob `id` of `slot` (and says so durably) */
  const hold = (slot: { job: string, task: number, replica: number }, id: string): void => { holdings.add(slot, id); journal?.add(id) }
  const drop = (id: string): number => {
    const freed = c.removeBlob?.(id) ?? 0
    journal?.remove(id)
    checkpoints.dropped++
    checkpoints.droppedBytes += freed
    return freed
  }
  /** blobs in flight: stored here, not yet handed to `hold` */
  const storing = new Set<string>()
  /**
   * Drops the checkpoint blobs of the journal the ledger does not record (`candidates`: listed
   * at start, after the replay) unless held by now or being stored.
   */
  const dropOrphans = (candidates: string[]): void => {
    for (const id of candidates) {
      if (holdings.has(id) || storing.has(id)) continue
      if (c.hasBlob?.(id) === false) { journal?.remove(id); continue }
      const freed = drop(id)
      checkpoints.orphansDropped++
      log(`checkpoint blob ${id.slice(0, 12)}… from before the restart was never recorded in the ledger: dropped (${freed} bytes)`)
    }
  }

  const arrivals = c.warm != null ? new WarmArrivals(c.warm) : undefined
  /** the task's worker made ahead, with its module, as its offer is accepted (warm-arrivals.ts) */
  const arriving = async (a: { job: string, task: number, replica: number, memoryBytes: number }, from: string): Promise<void> => {
    const job = c.jobs.state.jobs.get(a.job)
    if (arrivals == null || job == null) return
    const mod = await c.instrument(await c.fetchBlob(job.spec.module, [from, job.author])) // cached: the offer just instrumented it
    arrivals.add(keyOf(a), { module: mod.bytes, limits: { memoryBytes: job.spec.memoryBytes, timeoutMs: job.spec.timeoutMs }, memoryBytes: a.memoryBytes })
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
      ? { arriving: a => { void arriving(a, a.from).catch((err: unknown) => { log(`migration ${a.id}: no worker made ahead: ${err instanceof Error ? err.message : String(err)}`) }) } }
      : {}),
    heldMemory: slot => {
      const cp = c.jobs.state.jobs.get(slot.job)?.tasks[slot.task]?.slots[slot.replica]?.checkpoint
      const bytes = cp != null ? c.getBlob?.(cp.snapshot) : undefined
      return bytes != null ? decodeSnapshot(bytes).memory : undefined
    },
    keep: async (blob, from, slot) => {
      storing.add(blob)
      try { await c.fetchBlob(blob, [from]); hold(slot, blob) } finally { storing.delete(blob) }
    },
    log
  })

  /**
   * One migration request. Refused at once on a relayed (limited) link — the stream never opens,
   * nothing was sent — so it is sent again after dialling a direct link, waiting up to
   * DIRECT_WAIT_MS for one; a link that is still only relayed then gives `NoDirectLinkError`.
   */
  async function request (peer: string, payload: Uint8Array, opts: { timeoutMs: number, maxFrameSize?: number }): Promise<Uint8Array> {
    const limited = (err: unknown): boolean => err instanceof Error && err.name === 'LimitedConnectionError'
    try {
      return await c.request(peer, MIGRATION_PROTOCOL, payload, opts)
    } catch (err) {
      if (!limited(err)) throw err
    }
    try {
      return await c.request(peer, MIGRATION_PROTOCOL, payload, { ...opts, direct: true, directWaitMs: DIRECT_WAIT_MS })
    } catch (err) {
      if (limited(err)) throw new NoDirectLinkError(`no direct link to ${peer} opened within ${DIRECT_WAIT_MS} ms (only the relay links us, and it carries no migration): ${(err as Error).message}`)
      throw err
    }
  }

  function waitOr<T> (register: (resolve: (v: T | undefined) => void) => void): Promise<T | undefined> {
    return new Promise(resolve => {
      const timer = setTimeout(() => { resolve(undefined) }, replyTimeoutMs)
      register(v => { clearTimeout(timer); resolve(v) })
    })
  }

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
      const sab = new SharedArrayBuffer(20) // the request, the dirty-tracking epoch, the memory size, the throttle, the ms slept for it (worker-run.ts)
      const r: Running = { held, control: new Int32Array(sab), memoryWaiters: [], migrating: false, checkpointing: false, checkpointAt: 0, ended: false }
      const handed = adopted.get(key)
      if (handed != null) adopted.delete(key)
      let from = handed != null && handed.slot === held.token.slot ? handed.snapshot : undefined
      from ??= await lastCheckpoint(held)
      running.set(key, r)
      if (interval > 0) r.timer = setInterval(() => { requestCheckpoint(r) }, interval)
      const link: CheckpointLink = {
        spec: { globals: mod.globals, control: sab, ...(from != null ? { from } : {}) },
        // the run time it had on the peer that paused it counts against its limit here
        ...(from != null ? { usedMs: usedMsOf(from, key, log) } : {}),
        // the throttle's sleeps are not on the task's wall-clock limit
        sleptMs: () => Atomics.load(r.control, 4),
        // a handed-over snapshot was built for this run alone (a fetched checkpoint may be a store's),
        // and a worker may be waiting for it with its memory ready
        ...(handed != null && from === handed.snapshot ? { moveFrom: true, ...warmFor(key) } : {}),
        onReply: reply => {
          if (reply.type === 'memory') r.memoryWaiters.shift()?.(reply.delta)
          else void storeCheckpoint(r, reply.snapshot)
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

  /** The slot's last recorded checkpoint (a task claimed again after its holder vanished), if any can be fetched. */
  async function lastCheckpoint (held: HeldTask): Promise<Uint8Array | undefined> {
    const cp = c.jobs.state.jobs.get(held.job)?.tasks[held.task]?.slots[held.replica]?.checkpoint
    if (cp == null) return undefined
    try {
      const bytes = await c.fetchBlob(cp.snapshot, [cp.keeper, cp.by, ...c.peers()])
      // one an older build took (another snapshot version) does not fit this build's instrumenting
      readSnapshotClockNs(bytes)
      hold(held, cp.snapshot)
      checkpoints.resumed++
      out('migration:resumed', { job: held.job, task: held.task, replica: held.replica, snapshot: cp.snapshot, keeper: cp.keeper }, `migration   ${held.job} task ${held.task} resumes from its checkpoint kept by ${cp.keeper}`)
      return bytes
    } catch (err) {
      log(`task ${keyOf(held)}: its checkpoint ${cp.snapshot.slice(0, 12)}… could not be fetched or read (${err instanceof Error ? err.message : String(err)}): it starts from the beginning`)
      return undefined
    }
  }

  function requestCheckpoint (r: Running): void {
    // a request lost to a migration's copy or pause (one control word) is asked again after a while
    if (r.ended || r.migrating || (r.checkpointing && performance.now() - r.checkpointAt < 2 * replyTimeoutMs)) return
    r.checkpointing = true
    r.checkpointAt = performance.now()
    Atomics.store(r.control, 0, CONTROL_CHECKPOINT)
  }

  /** Stores a checkpoint here, has another peer keep it, and records it in the ledger. */
  async function storeCheckpoint (r: Running, snapshot: Uint8Array): Promise<void> {
    try {
      const id = c.putBlob(snapshot)
      hold(r.held, id)
      const { job, task, replica, token } = r.held
      const keepers = c.peers().filter(p => p !== c.self)
      let keeper: string | undefined
      const refusals: string[] = []
      for (const k of keepers) {
        const res = decodeResponse(await request(k, encodeRequest({ type: 'keep', id: `cp-${n++}`, job, task, replica, token, blob: id }), { timeoutMs: 60_000 }).catch((err: unknown) => encodeResponse({ type: 'refuse', reason: err instanceof Error ? err.message : String(err) })))
        if (res.type === 'ok') { keeper = k; break }
        refusals.push(`${k}: ${res.type === 'refuse' ? res.reason : res.type}`)
      }
      if (keeper == null) throw new Error(`no peer kept the checkpoint (${refusals.join('; ') || 'no other peers'})`)
      if (r.ended) return
      await c.jobs.submit({ kind: 'job.checkpoint', body: { at: Date.now(), job, task, replica, token, snapshot: id, keeper } }, { timeoutMs: 60_000 })
      checkpoints.recorded++
    } catch (err) {
      checkpoints.failed++
      checkpoints.lastError = err instanceof Error ? err.message : String(err)
      log(`checkpoint of ${keyOf(r.held)}: ${checkpoints.lastError}`)
    } finally {
      r.checkpointing = false
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
        copyMemory: async fresh => {
          if (r.ended) return undefined
          if (fresh) Atomics.add(r.control, 1, 1)
          let waiter: ((d: MemoryDelta | undefined) => void) | undefined
          const m = await waitOr<MemoryDelta>(resolve => { waiter = resolve; r.memoryWaiters.push(resolve); Atomics.store(r.control, 0, CONTROL_COPY_MEMORY) })
          if (m != null || r.ended) return m
          Atomics.compareExchange(r.control, 0, CONTROL_COPY_MEMORY, CONTROL_NONE)
          r.memoryWaiters = r.memoryWaiters.filter(w => w !== waiter)
          throw new PauseTimeoutError(`task ${keyOf(r.held)} made no WASI call and reached no loop's poll point within ${replyTimeoutMs} ms (its memory is copied only at one: a long call or a recursion without loops cannot be reached inside it); it runs on here`)
        },
        pause: async fresh => {
          if (r.ended) return undefined
          if (fresh) Atomics.add(r.control, 1, 1)
          let waiter: ((p: PausedReply | undefined) => void) | undefined
          const s = await waitOr<PausedReply>(resolve => { waiter = resolve; r.pauseWaiter = resolve; Atomics.store(r.control, 0, CONTROL_PAUSE) })
          if (s != null || r.ended) return s
          // no WASI call in time: withdraw the request, and should the task stop at one after all,
          // it goes on (onPaused: a pause nobody waits for resumes) instead of waiting forever
          Atomics.compareExchange(r.control, 0, CONTROL_PAUSE, CONTROL_NONE)
          if (r.pauseWaiter === waiter) r.pauseWaiter = undefined
          throw new PauseTimeoutError(`task ${keyOf(r.held)} did not stop within ${replyTimeoutMs} ms: it stops only at a WASI call or a loop's poll point, so a long call or a recursion without loops cannot be stopped inside it; it runs on here`)
        },
        // never over another request (a checkpoint asked for): preparing is only a speed-up
        prepareFull: () => { Atomics.compareExchange(r.control, 0, CONTROL_NONE, CONTROL_PREPARE) },
        decide: d => { r.decide?.(d) },
        memoryBytes: () => Atomics.load(r.control, 2) * 65536 || undefined,
        throttle: pct => { Atomics.store(r.control, 3, pct) },
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
    checkpoints,
    get movable () { return [...running.keys()] },
    migrate,
    onEvents (events) {
      // a checkpoint blob on this peer's disk from before a restart is known again when the ledger
      // replays its commit at start, so superseding it (later in the replay or live) still drops it
      for (const e of events) if (e.type === 'checkpointed' && c.hasBlob?.(e.snapshot) === true) hold(e, e.snapshot)
      for (const id of holdings.apply(events)) drop(id)
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
        adopted.set(key, { snapshot, slot: e.token.slot })
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
      // the ledger has replayed its stored commits by now (node-runtime/jobs: it starts before the
      // jobs): journal entries it did not record are checkpoints stored or kept before a restart
      // and never committed — dropped after the grace unless a commit records them meanwhile
      if (journal != null) {
        const candidates = journal.list().filter(id => !holdings.has(id))
        const grace = init.orphanGraceMs ?? 60_000
        if (candidates.length > 0) {
          if (grace <= 0) dropOrphans(candidates)
          else orphanTimer = setTimeout(() => { dropOrphans(candidates) }, grace)
        }
      }
      await c.handle(MIGRATION_PROTOCOL, async (req, ctx) => await incoming.handle(req, ctx.peerId), { timeoutMs: 180_000, maxFrameSize: MAX_FRAME })
    },
    async stop () {
      if (!started) return
      started = false
      clearTimeout(orphanTimer)
      arrivals?.stop()
      await c.unhandle(MIGRATION_PROTOCOL)
    }
  }
}
