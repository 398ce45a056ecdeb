/**
 * core/ledger: the mesh ledger — ProBFT (core/consensus, rules unchanged) ordering entries between
 * live peers, with epochs of replicas, followers, persistence through a `LedgerStore` and
 * verification from genesis. See docs/ledger.md. Public names are re-exported here by name.
 */
export { createLedger, LedgerService } from './service.ts'
export type { LedgerInit, LedgerComponents } from './service.ts'
export { LedgerNode } from './ledger-node.ts'
export type { LedgerNodeInit, LedgerNodeComponents } from './ledger-node.ts'
export { Links, LEDGER_PROTOCOL, LEDGER_TOPIC } from './links.ts'
export { SYNC_PROTOCOL } from './sync.ts'
export type { LedgerTransport, LedgerInbound, RecordVerdict } from './transport.ts'
export { MemoryStore, createMemoryStore } from './memory-store.ts'
export { verifyChain, checkRecord } from './verify.ts'
export { Chain, nextHead } from './chain.ts'
export type { KindValidator, AppliedEntry, ApplyResult } from './chain.ts'
export { SETTINGS, checkSetting, settingDefault } from './settings.ts'
export type { Setting, IntSetting, SettingKey } from './settings.ts'
export { deriveLedgerKeys, joinBody, createGenesis, checkGenesis, signMicroblock, verifyMicroblock } from './keys.ts'
export {
  readFrame, writeFrame, readBlock, writeBlock, readMicroblock, writeMicroblockBody, readGenesis, readRecord, writeRecord,
  readSyncRequest, writeSyncRequest, readSyncResponse, writeSyncResponse, FRAME_CONSENSUS, FRAME_MICROBLOCK, MAX_BLOCK_BYTES
} from './codec.ts'
export type { LedgerFrame, Block, Microblock, Genesis, GenesisMember, SyncRequest, SyncResponse } from './codec.ts'
export { readJoin, writeJoin, readRemove, writeRemove, readEvidence, writeEvidence, readConfig, writeConfig } from './entries.ts'
export type { JoinBody, RemoveBody, EvidenceBody, ConfigBody } from './entries.ts'
export { sizeEpoch, checkEvidence } from './epochs.ts'
export type { EpochInfo, ReplicaMember } from './epochs.ts'
export { Pool } from './pool.ts'
export {
  LedgerError, LedgerDecodeError, LedgerVerifyError, SubmitTimeoutError, EntryRefusedError, NotReplicaError, LedgerStoppedError,
  MeshFrameSizeError
} from './errors.ts'
export { checkMeshFrameSize, LEDGER_GOSSIP_FRAME_BYTES } from './frame-size.ts'
export { LedgerStoreError, StoreOrderError, StoreClosedError } from './store-rules.ts'
export type {
  BuiltinEntryKind, Entry, CommittedEntry, BlockRecord, LedgerStore, ReplicaInfo, LedgerStatus, LedgerEvents, LedgerApi
} from './types.ts'
