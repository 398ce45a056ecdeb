/**
 * Shared state: the issue board and memory store on Yjs documents, their validation and backups,
 * and the provider that replicates them over the mesh. Public names are re-exported by name.
 */
export {
  StateError, ValidationError, UnknownStatusError, UnknownTypeError, PriorityRangeError, ProgressRangeError,
  OversizeTextError, MissingIssueError, DependencyCycleError, IssueNotFoundError, MemoryKeyNotFoundError,
  ImportError, BackupError, WrongPassphraseError, CorruptBackupError, StateProtocolError, MessageTooLargeError,
  RateLimitedError, ForgedEntryError, StoredEntryError
} from './errors.ts'
export { ISSUE_TYPES, STATUSES, LINK_TYPES, LIMITS, ID_PATTERN, readIssue } from './schema.ts'
export type { Issue, IssueType, Status, LinkType, Comment, Link, InvalidEntry } from './schema.ts'
export { Board, createBoard } from './board.ts'
export type { BoardInit, IssueInput, IssuePatch, IssueFilter, IssueDetail, BoardStats } from './board.ts'
export { readyIssues, findCycles, blockingGraph } from './graph.ts'
export { MemoryStore, createMemoryStore, parseDuration, isLive, readEntry, DEFAULT_NAMESPACE, SWEEP_GRACE_MS } from './memory.ts'
export type { MemoryEntry, MemoryInit, SearchQuery, Json } from './memory.ts'
export { globToRegExp } from './glob.ts'
export { createBackup, openBackup, restoreBackup } from './backup.ts'
export type { Compression, BackupOptions } from './backup.ts'
export {
  STATE_PROTOCOL, STATE_TOPIC, MSG_STEP1, MSG_ENTRIES, MSG_AWARENESS, MAX_BATCH, MAX_ENTRIES, encodeStep1, encodeEntries, encodeEntry,
  entrySigningBytes, readEntry as readStateEntry, encodeAwareness, encodeBatch, readFrame, readBatch
} from './codec.ts'
export type { StateFrame, Entry } from './codec.ts'
export { boundClientId, randomSession } from './author.ts'
export type { Signer } from './author.ts'
export { verifyEntry } from './verify.ts'
export { SignedLog } from './signed-log.ts'
export { trimDecodedContent, trimRemoteContent } from './trim.ts'
export { PendingBuffer, DEFAULT_PENDING_LIMITS } from './pending.ts'
export type { PendingLimits } from './pending.ts'
export { PeerBudgets, DEFAULT_PEER_BUDGET } from './peer-budget.ts'
export type { PeerBudgetLimits } from './peer-budget.ts'
export { SignedReplica } from './replica.ts'
export type { EntryStore, KeyedEntries, ReplicaStats } from './replica.ts'
export { StateProvider, createStateProvider } from './provider.ts'
export type { StateMesh, StateProviderInit, StateProviderComponents, StateProviderStats } from './provider.ts'
export { meshAsStateMesh } from './mesh-adapter.ts'
export { readPresence, presenceList, setPresence } from './presence.ts'
export type { Presence } from './presence.ts'
export { stateCompression } from './compression.ts'
