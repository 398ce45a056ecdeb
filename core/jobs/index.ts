/**
 * core/jobs: WebAssembly (WASI preview 1) jobs on the mesh — the sandbox that runs one task inside
 * a worker, the platform-neutral runner (node-runtime/jobs and app/jobs supply the workers), and
 * the job/claim state machine over ledger entries with its fair claim planner. Public names are
 * re-exported here by name.
 */
export {
  JobError, JobTimeoutError, JobMemoryError, JobTrapError, InvalidModuleError, UnsupportedImportError,
  JobOutputLimitError, JobWorkerError, InvalidJobError, RunnerStoppedError, TaskAbortedError, TaskHandedOverError, sandboxErrorFrom, serializeJobError
} from './errors.ts'
export type { SerializedJobError } from './errors.ts'
export { DEFAULT_LIMITS, MAX_LIMITS, resolveLimits, checkTask } from './task-types.ts'
export type { TaskSpec, TaskLimits, TaskOutput } from './task-types.ts'
export { createTaskRunner } from './runner.ts'
export type { TaskRunner, TaskRunnerInit, RunOptions, CheckpointLink, PauseDecision, TaskWorker, TaskWorkerEvents, SpawnTaskWorker } from './runner.ts'
export { runInSandbox } from './sandbox.ts'
export { handleRunMessage, transferOf } from './worker-protocol.ts'
export type { RunMessage, ResumeMessage, OwnerMessage, WorkerReply, PausedReply, MemoryDelta, CheckpointRunSpec } from './worker-protocol.ts'
export { readMemoryLimits, capModuleMemory, WASM_PAGE } from './wasm-binary.ts'
export type { MemoryLimits } from './wasm-binary.ts'
export { JOB_KINDS, ENTRY_LIMITS, InvalidJobEntryError, decodeJobEntry, encodeJobEntry } from './entries.ts'
export type { JobKind, JobEntry, SubmitEntry, ClaimEntry, RenewEntry, ResultEntry, CancelEntry, FetchedEntry, HandoverEntry, TaskInput, Token } from './entries.ts'
export { LedgerClock, checkStamp, DEFAULT_MAX_STEP_MS, MAX_FUTURE_SKEW_MS } from './clock.ts'
export { JobsState } from './state.ts'
export type { LogEntry, Lease, ReplicaSlot, TaskState, JobState, Loser, JobEvent, ApplyResult } from './state.ts'
export { planClaims } from './planner.ts'
export type { PlannedClaim } from './planner.ts'
export { encodeTaskResult, decodeTaskResult, MalformedTaskResultError } from './result-codec.ts'
export type { TaskResult } from './result-codec.ts'
export { bindJobs, jobKindValidator } from './ledger-binding.ts'
export { jobBlobRetention, resultsPinnedUntil, pinnedResults, DEFAULT_RESULT_RETAIN_MS } from './retention.ts'
export type { JobRetentionInit } from './retention.ts'
export type { JobsLedger, JobsBinding } from './ledger-binding.ts'
