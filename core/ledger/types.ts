/**
 * The ledger's public shapes: what `node-runtime/` (LevelDB store, CLI, control ops) and `app/`
 * (IndexedDB store, Ledger panel) program against, independent of how `core/ledger` implements
 * them. See docs/ledger.md for the design these types describe.
 */
import type { CoolingPeer } from './admission.ts'

/** Built-in entry kinds; subsystems may register more (e.g. `job.claim`, `model.commit`). */
export type BuiltinEntryKind = 'note' | 'config' | 'join' | 'leave' | 'remove' | 'evidence'

export interface Entry {
  kind: string
  data: Uint8Array
}

/** A committed entry as users see it. */
export interface CommittedEntry {
  /** global slot (block height) it was committed in */
  slot: number
  /** index of the entry inside the block */
  index: number
  epoch: number
  kind: string
  /** author's peer id (who signed the microblock) */
  author: string
  data: Uint8Array
  /** short human summary (e.g. `mesh.maxPeers = 12`, `join 12D3…abc`) */
  summary: string
  /** ms from submission to commit, when this peer submitted it */
  latencyMs?: number
  /** wall time at which this peer saw the commit */
  committedAt: number
  /** false when the entry was committed but refused at apply (e.g. an invalid config value): every peer refuses it alike */
  applied: boolean
  /** why it was refused, when `applied` is false */
  refusal?: string
}

/** One stored block with its certificate. */
export interface BlockRecord {
  height: number
  epoch: number
  /** the decided value (encoded block) */
  block: Uint8Array
  /** the certificate: the engine's COMMIT messages as sent (bytes each) */
  certificate: Uint8Array[]
  /** replica index (in the epoch) the certificate's votes were addressed to */
  holder: number
  /** head hash after this block (32 bytes) */
  head: Uint8Array
}

/** Where a peer keeps its ledger: LevelDB in Node, IndexedDB in a tab, a Map in tests. */
export interface LedgerStore {
  /** the signed genesis record, or undefined in a fresh store */
  getGenesis: () => Promise<Uint8Array | undefined>
  putGenesis: (genesis: Uint8Array) => Promise<void>
  /** appends the next block (height must be the stored head's + 1, or the first one) */
  append: (record: BlockRecord) => Promise<void>
  get: (height: number) => Promise<BlockRecord | undefined>
  /** the highest stored record, or undefined */
  last: () => Promise<BlockRecord | undefined>
  /** records from `from` (inclusive) in height order */
  iterate: (from: number) => AsyncIterable<BlockRecord>
  /** the vote journal (core/ledger/vote-journal.ts): what this replica signed in undecided slots */
  getVotes?: () => Promise<Uint8Array | undefined>
  putVotes?: (journal: Uint8Array) => Promise<void>
  close: () => Promise<void>
}

export interface ReplicaInfo {
  peerId: string
  /** index in the epoch's replica set */
  index: number
  /** height (slot) of the block that made it a replica; -1 for genesis */
  since: number
}

export interface LedgerStatus {
  meshId: string
  epoch: number
  /** first slot of the current epoch */
  epochStart: number
  replicas: ReplicaInfo[]
  f: number
  protocol: 'probft' | 'pbft'
  sampleSize: number
  quorum: number
  /** is this peer a replica of the current epoch */
  replica: boolean
  /** height of the last committed block (-1 when none) */
  height: number
  /** hex head hash */
  head: string
  /** peer id of the leader of the current slot (view 0 or current view) */
  leader?: string
  /** commit latency of entries this peer submitted, ms */
  latency: { p50: number | null, p99: number | null, samples: number }
  /** decided slots per second over the last 10 s */
  decisionsPerSecond: number
  /** entries per second over the last 10 s */
  entriesPerSecond: number
  /** rejected frames/messages by reason (malformed, notReplica, wrongEpoch, badSignature, badVrf, …) */
  rejected: Record<string, number>
  /** bytes and frames that crossed links for the ledger, forwarded copies included; `dropped`: frames a full per-link send queue dropped (backpressure) */
  wire: { framesSent: number, bytesSent: number, framesReceived: number, bytesReceived: number, dropped?: number }
  /**
   * where the time of a decision goes: the tick length, own decisions (first input of a slot →
   * decided, summed ms), engine timer fires (nudges, view changes), view changes, and commits
   * (verify + store + apply of own decisions, summed ms); all since the peer started. `tickMs`
   * is the engine's tick: the measured `baseTickMs` × the view-timeout backoff `viewBackoff`
   * (view-pacer.ts). `leaderSkips`: views left at once because their leader stopped answering
   * (live-replica.ts; not counted in `viewChanges`). `lateVotes`: votes of a view already decided
   * here, dropped before the engine's checks (live-replica.ts).
   */
  timing?: { tickMs: number, baseTickMs: number, viewBackoff: number, decided: number, decideMs: number, engineTimers: number, viewChanges: number, leaderSkips: number, lateVotes: number, commits: number, commitMs: number }
  /**
   * real signature / VRF checks of consensus messages and certificates (cache hits excluded) and
   * the ms they took, plus microblock signature checks: the CPU split of `npm run bench -- ledger`
   */
  verification?: { signatures: number, vrfProofs: number, hits: number, signatureMs: number, vrfMs: number, microblocks: number, microblockMs: number, proofsMade: number, proofsAhead: number, proofsPrewarmed: number }
  /** inbound ledger frames by kind, the repeats among them, and sync pulls started (frame-tally.ts) */
  frames?: { byKind: Record<string, number>, repeats: Record<string, number>, syncPulls: number, syncDials: number, syncSkips: number }
  /** entries waiting in this peer's pool */
  pending: number
  /**
   * the admission rules' state (docs/ledger.md, "Admission"): the joiner waiting to be admitted with
   * the next one while the set has a single member, and removed peers whose join is refused until
   * slot `until` (cooling off after their `removals`-th removal)
   */
  admission?: { pendingJoiner?: string, coolingOff: CoolingPeer[] }
}

/** Events a running ledger emits (EventTarget / TypedEventEmitter names). */
export interface LedgerEvents {
  /** a block was committed (entries in order); `replayed`: a stored block re-announced as the peer starts */
  commit: CustomEvent<{ height: number, epoch: number, entries: CommittedEntry[], replayed?: boolean }>
  /** a new epoch became active */
  epoch: CustomEvent<{ epoch: number, start: number, replicas: ReplicaInfo[] }>
  /** a committed config entry was applied (every peer applies it at the same slot; `replayed` at start) */
  config: CustomEvent<{ key: string, value: unknown, slot: number, replayed?: boolean }>
}

/** What the CLI and the page call on a running ledger. */
export interface LedgerApi {
  status: () => LedgerStatus
  /** submits one entry; resolves once it is committed (or rejects with a typed error on timeout/refusal) */
  submit: (entry: Entry, opts?: SubmitOptions) => Promise<CommittedEntry>
  /**
   * Committed entries from slot `from` (from its entry `index`, default 0), at most `limit`. One
   * slot may hold more entries than `limit` (batching): page on with (last.slot, last.index + 1).
   */
  log: (from: number, limit: number, index?: number) => Promise<CommittedEntry[]>
  /** re-checks every stored certificate from genesis; returns the head */
  verify: () => Promise<{ height: number, head: string, blocks: number }>
  /** the config value committed for `key` (or its default) */
  config: (key: string) => unknown
}

/** How `LedgerApi.submit` sends an entry. */
export interface SubmitOptions {
  /** ms to wait for the commit @default the node's submit timeout */
  timeoutMs?: number
}
