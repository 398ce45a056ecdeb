/**
 * The live-migration service's public shapes (service.ts): the narrow components it is given, its
 * options (`MigrationInit`, with the outgoing ones), what it reports and what it offers.
 */
import type { CommittedEntry } from '../ledger/types.ts'
import type { JobEntry } from '../jobs/entries.ts'
import type { WarmSpec, WarmWorker } from '../jobs/runner.ts'
import type { JobEvent, JobsState } from '../jobs/state.ts'
import type { JobWorker, WorkerMigrationHooks } from '../jobs/worker.ts'
import type { SyncSha256 } from './digest.ts'
import type { IncomingStats } from './incoming.ts'
import type { InstrumentedModule } from './instrument.ts'
import type { MigrationRecord, OutgoingOptions } from './outgoing.ts'

export interface MigrationComponents {
  self: string
  handle: (protocol: string, handler: (req: Uint8Array, ctx: { peerId: string }) => Promise<Uint8Array>, opts?: { maxFrameSize?: number, timeoutMs?: number }) => Promise<void>
  unhandle: (protocol: string) => Promise<void>
  /** one request (`direct`: dial a direct link first and keep trying for `directWaitMs`: core/net's RequestOptions) */
  request: (peer: string, protocol: string, payload: Uint8Array, opts?: { timeoutMs?: number, maxFrameSize?: number, direct?: boolean, directWaitMs?: number }) => Promise<Uint8Array>
  jobs: { state: JobsState, submit: (entry: JobEntry, opts?: { timeoutMs?: number }) => Promise<CommittedEntry> }
  worker: () => Pick<JobWorker, 'adopt' | 'capacity' | 'active'> | undefined
  /** a blob, from here or `providers`; `maxBytes`: a checkpoint's own cap (the blob layer's otherwise) */
  fetchBlob: (id: string, providers: string[], opts?: { maxBytes?: number }) => Promise<Uint8Array>
  /** stores a blob here (served to other peers); its id (SHA-256); `maxBytes` as for `fetchBlob` */
  putBlob: (bytes: Uint8Array, opts?: { maxBytes?: number }) => string
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
  /**
   * where the chunk indexes of the checkpoints held here are kept beside them (node-runtime's: files
   * in the data dir), so that a restarted peer still answers an offer from names @default none (an
   * index is made again from its checkpoint after a restart, in the background)
   */
  checkpointIndexes?: CheckpointIndexStore
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

/** Encoded chunk indexes (chunk-index.ts) by checkpoint blob id, surviving a restart; reads are checked by the caller. */
export interface CheckpointIndexStore {
  /** the ids of the indexes kept */
  list: () => string[]
  read: (id: string) => Uint8Array | undefined
  write: (id: string, bytes: Uint8Array) => void
  remove: (id: string) => void
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
   * what a checkpoint blob may hold beyond its job's memory cap (output so far, the saved stack):
   * a checkpoint is stored and fetched under its own cap, `memoryBytes + this`, not the blob
   * layer's `maxBlobBytes` (64 MiB), so a task with more memory can be checkpointed and kept; the
   * blob store's own cap still bounds all it holds @default 64 MiB
   */
  checkpointExtraBytes?: number
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
