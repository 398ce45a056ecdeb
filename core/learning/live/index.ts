/**
 * Live learning: federated rounds over the mesh, committed through the ledger (docs/learning.md,
 * "Live learning"). Public names by name.
 */
export { LiveLearning } from './service.ts'
export type { LearningMesh, LearningLedger, LedgerEntryView, LiveTrainer, LiveLearningInit, LiveLearningComponents, CommittedRound, LiveStats, LiveStatus } from './service.ts'
export { LIVE_PROTOCOL, readMessage, writeMessage, MSG } from './codec.ts'
export type { LiveMessage, Limits } from './codec.ts'
export { KIND_JOIN, KIND_PASS, KIND_ROUND, LEARNING_KINDS, readPassEntry, writePassEntry, readJoinEntry, writeJoinEntry, readRoundEntry, writeRoundEntry, EntryShapeError } from './entries.ts'
export type { JoinEntry, RoundEntry, DpRecord } from './entries.ts'
export { aggregateRound, admitUpdate, recomputeRound } from './aggregate-round.ts'
export type { RoundRule, AdmittedUpdate } from './aggregate-round.ts'
export { RoundCollector, LIVE_REJECT_REASONS } from './collector.ts'
export type { LiveRejectReason } from './collector.ts'
export { coordinatorOrder, coordinatorAt, firstSeed, nextSeed, proveDraw, checkDraw, drawInput } from './schedule.ts'
export type { SeedEntry } from './schedule.ts'
export { learningIdentity, verifyPeerSignature } from './identity.ts'
export type { LearningIdentity } from './identity.ts'
export { taskId } from './task.ts'
export type { LiveTaskConfig } from './task.ts'
export { weightsHash, weightsToBytes, weightsFromBytes } from './weights.ts'
