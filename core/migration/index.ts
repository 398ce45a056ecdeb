/**
 * Live migration of WASI tasks (issue 20): checkpointable execution, the snapshot codec, the
 * pre-copy planner, the `/novacron/migration/1.6.0` protocol (source and target sides) and the
 * service a peer attaches to its job worker.
 */
export { instrumentForCheckpoint, checkpointability, GLOBAL_EXPORT_PREFIX } from './instrument.ts'
export type { InstrumentedModule, InstrumentOptions, GlobalKind } from './instrument.ts'
export { runCheckpointable } from './checkpoint-run.ts'
export type { CheckpointRunOptions, CheckpointRunResult, PausePoint } from './checkpoint-run.ts'
export type { TaskSnapshot, GlobalValue } from './snapshot.ts'
export { encodeSnapshot, decodeSnapshot, readSnapshotClockNs, SNAPSHOT_VERSION } from './snapshot-codec.ts'
export type { SnapshotLimits } from './snapshot-codec.ts'
export { PreCopySender, PreCopyReceiver, encodeChunkFrame, decodeChunkFrame } from './precopy.ts'
export type { RoundPlan, PreCopyInit } from './precopy.ts'
export { runCheckpointTask, isCheckpointRun, Inbox, CONTROL_NONE, CONTROL_COPY_MEMORY, CONTROL_PAUSE, CONTROL_CHECKPOINT } from './worker-run.ts'
export { DirtyTracker, wholeSnapshot, DEFAULT_CHUNK_BYTES } from './dirty.ts'
export { MIGRATION_PROTOCOL, encodeRequest, decodeRequest, encodeResponse, decodeResponse } from './protocol-codec.ts'
export type { MigrationRequest, MigrationResponse } from './protocol-codec.ts'
export { migrateOut } from './outgoing.ts'
export type { MigrationRecord, OutgoingContext, OutgoingOptions } from './outgoing.ts'
export { MigrationIncoming } from './incoming.ts'
export type { IncomingContext, IncomingStats, ReadySnapshot, HeldCheckpoint } from './incoming.ts'
export { ChunkIndex, indexMemory, encodeChunkIndex, decodeChunkIndex } from './chunk-index.ts'
export { createMigrationService } from './service.ts'
export type { MigrationService, MigrationComponents, MigrationInit, CheckpointStats, CheckpointIndexStore } from './service.ts'
export { snapshotDigest } from './digest.ts'
export { CheckpointHoldings } from './checkpoint-gc.ts'
export { precheckCheckpointable, checkpointabilityText, DEFAULT_MAX_CHECKPOINT_MODULE_BYTES } from './precheck.ts'
export type { Checkpointability, PrecheckOptions } from './precheck.ts'
export {
  MigrationError, NotCheckpointableError, ResumeError, MigrationDecodeError, ChunkHashError, MigrationFailedError, NotMigratableError, NoDirectLinkError, PauseTimeoutError
} from './errors.ts'
export type { NotCheckpointableReason } from './errors.ts'
