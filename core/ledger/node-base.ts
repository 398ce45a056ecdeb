/**
 * The state of a `LedgerNode` (ledger-node.ts) and what every part of it shares: its options and
 * components, the chain, the current and previous epochs' instances, the pool, the submitter, the
 * pacer, the router, liveness, upkeep and the vote journal (wired in the constructor), the counters
 * (`count`, `reject`: a peer over `maxRejectsPerMinute` is disconnected) and genesis adoption.
 *
 * The node is one class split over files by concern, each a layer over the one before (as
 * core/consensus splits its replica): this base → commit-queue.ts → epoch-instances.ts →
 * sync-pull.ts → inbound.ts → ledger-node.ts (lifecycle, maintenance, the public API). What a
 * lower layer needs from a higher one is declared abstract here.
 */
import { TypedEventEmitter, type PrivateKey } from '@libp2p/interface'
import { createConsensusCrypto, memoizeVerification, type AsyncSignatureCheck, type ConsensusCrypto, type MemoizedCrypto, type ReplicaKeys, type SignatureVerifier, type VerificationStats } from '../consensus/crypto.ts'
import type { QuorumMath } from '../consensus/quorum.ts'
import type { SlotCertificate } from '../consensus/replica.ts'
import { Chain, type AppliedEntry, type KindValidator } from './chain.ts'
import { FRAME_PROBE, writeFrame } from './codec.ts'
import type { EpochInfo } from './epochs.ts'
import { checkGenesis, deriveLedgerKeys, joinBody } from './keys.ts'
import type { HostileMode } from './hostile.ts'
import { LiveReplica, realClock, type Clock, type DecisionTiming } from './live-replica.ts'
import { Liveness } from './liveness.ts'
import { MuteLeaders } from './mute-leaders.ts'
import { VOTE_LAPSE_DECISIONS, VOTE_LAPSE_MS, VoteLapses } from './vote-lapse.ts'
import { ViewPacer } from './view-pacer.ts'
import { LedgerRouter } from './routing.ts'
import { MembershipUpkeep } from './upkeep.ts'
import { Pool } from './pool.ts'
import { Submitter } from './submitter.ts'
import type { LedgerTransport } from './transport.ts'
import type { BlockRecord, CommittedEntry, Entry, LedgerEvents, LedgerStore, SubmitOptions } from './types.ts'
import { VoteJournal } from './vote-journal.ts'
import { FrameTally } from './frame-tally.ts'
import { VerifiedKeys } from './verified-keys.ts'
import { PullBackoff } from './pull-backoff.ts'
import type { SlotTracer } from './slot-trace.ts'

export interface LedgerNodeInit {
  genesisPeerId: string
  /** @default 'novacron' */
  meshId?: string
  /** @default 'probft' */
  protocol?: 'probft' | 'pbft'
  /** @default 16 */
  maxReplicas?: number
  /** ask to become a replica once synced @default true */
  join?: boolean
  /** submit `leave` in stop() @default true */
  leaveOnStop?: boolean
  /** silence (no frame) after which a replica is probed to death: removal asked after 3 missed probes (liveness.ts) @default 15000 */
  removeAfterMs?: number
  /** @default 16384 */
  maxBatchBytes?: number
  /**
   * how many replicas a follower's new microblock goes to first; each relays it to the others, so
   * every one beyond the first costs n − 1 duplicate frames (2 was the rule before; routing.ts) @default 1
   */
  followerFanout?: number
  /** @default 30000 */
  submitTimeoutMs?: number
  /** a microblock not committed after this is sent again, to more replicas @default 3000 */
  resendMs?: number
  /** pull from a peer this often (the base interval: while pulls find nothing, it doubles up to `syncMaxIntervalMs`; pull-backoff.ts) @default 5000 */
  syncIntervalMs?: number
  /** an idle ledger's periodic pull backs off to at most this interval (`syncIntervalMs` turns the back-off off) @default 8 × syncIntervalMs */
  syncMaxIntervalMs?: number
  /** rejected frames per peer per minute before its links are closed @default 100 */
  maxRejectsPerMinute?: number
  /** the base tick's cap, ms (`tickLength`; the view-timeout backoff multiplies it, view-pacer.ts) @default 100 */
  maxTickMs?: number
  /** the view-timeout backoff's cap (view-pacer.ts; 1 turns the backoff off) @default 16 */
  maxViewBackoff?: number
  /**
   * compute the next slot's view-0 PREPARE and COMMIT proofs right after a decision, off the
   * critical path (ProBFT; false only for the benchmark's baseline, bench/ledger-proofs.bench.ts) @default true
   */
  prewarmProofs?: boolean
  /**
   * votes that can change nothing here (of a view this replica already decided in, or PREPAREs for
   * the header it already sent its COMMIT on) still go through the engine's checks (live-replica.ts
   * drops them by default; true only for the slot timeline's baseline, bench/_slot-timeline.ts) @default false
   */
  keepLateVotes?: boolean
  /**
   * ms a leader that let a view lapse without a proposal (while we had work) has the views it
   * leads skipped at once (mute-leaders.ts); 0 turns the skip off @default 30000
   */
  muteLeaderHoldMs?: number
  /**
   * a replica whose votes were absent from this many of our decisions in a row, and for
   * `voteLapseMs`, is asked to be removed (vote-lapse.ts) @default 16
   */
  voteLapseDecisions?: number
  /** see `voteLapseDecisions` @default 30000 */
  voteLapseMs?: number
  /** test-only hostile behaviour (see docs/ledger.md) */
  hostile?: HostileMode
}

export interface LedgerNodeComponents {
  transport: LedgerTransport
  privateKey: PrivateKey
  store: LedgerStore
  quorumMath: QuorumMath
  clock?: Clock
  crypto?: ConsensusCrypto
  /** the platform's Ed25519 verifier (node-runtime passes node:crypto's) @default noble */
  signatures?: SignatureVerifier
  /** an asynchronous native Ed25519 check used ahead of the engine (tabs: WebCrypto) */
  asyncSignatures?: AsyncSignatureCheck
  log?: (msg: string) => void
  /** the slot timeline: each replica step (slot-trace.ts; the benchmark's) @default none */
  trace?: SlotTracer
}

export const RING = 10_000

export function committedEntry (record: BlockRecord, e: AppliedEntry, now: number, latencyMs?: number): CommittedEntry {
  return {
    slot: record.height, index: e.index, epoch: record.epoch, kind: e.kind, author: e.author, data: e.data, summary: e.summary,
    committedAt: now, applied: e.applied, ...(e.refusal != null ? { refusal: e.refusal } : {}), ...(latencyMs != null ? { latencyMs } : {})
  }
}
export const FUTURE_FRAMES = 512

export abstract class LedgerNodeBase extends TypedEventEmitter<LedgerEvents> {
  readonly self: string
  readonly keys: ReplicaKeys
  chain?: Chain
  instance?: LiveReplica
  protected prev?: LiveReplica
  readonly pool = new Pool()
  readonly submitter: Submitter
  protected readonly crypto: ConsensusCrypto
  /** real checks and their time (memoized crypto; absent when a test injects its own) */
  protected readonly checks?: VerificationStats
  protected readonly memo?: MemoizedCrypto
  /** microblock signature checks (libp2p key of the author) and their time */
  protected readonly mbChecks = { count: 0, ms: 0 }
  /** own decisions verified, stored and applied, and the wall ms that took (status().timing) */
  protected readonly commitTiming = { commits: 0, commitMs: 0 }
  /** every instance's decision timings, summed (live-replica.ts) */
  protected readonly decisionTiming: DecisionTiming = { decided: 0, decideMs: 0, engineTimers: 0, viewChanges: 0, leaderSkips: 0, lateVotes: 0 }
  protected readonly recentDecideMs: number[] = []
  /** the view-timeout backoff: the engine's tick is `tick` × its factor (view-pacer.ts) */
  readonly pacer: ViewPacer
  protected readonly clock: Clock
  protected readonly kinds = new Map<string, KindValidator>()
  protected queue: Promise<unknown> = Promise.resolve()
  protected readonly decisions = new Map<number, { epoch: number, view: number, cert: SlotCertificate, leader: boolean }>()
  protected future: Array<{ from: string, epoch: number, message: Uint8Array }> = []
  protected readonly verified = new VerifiedKeys()
  readonly rejected: Record<string, number> = {}
  /** inbound frames by kind, repeats, sync pulls (frame-tally.ts; the benchmark's frames per decision by kind) */
  readonly frames = new FrameTally()
  protected readonly rejectTimes = new Map<string, number[]>()
  readonly liveness: Liveness
  /** leaders that let a view lapse without a proposal while we had work: their views are skipped for a while (mute-leaders.ts) */
  readonly muteLeaders: MuteLeaders
  /** replicas that answer but stopped voting (vote-lapse.ts) */
  readonly voteLapses: VoteLapses
  /** joining, removing the silent, evidence, the base tick (upkeep.ts) */
  protected readonly upkeep: MembershipUpkeep
  /** what this replica signed in undecided slots, stored before it is sent (vote-journal.ts) */
  readonly journal: VoteJournal
  protected entries: CommittedEntry[] = []
  protected readonly commitTimes: Array<{ at: number, entries: number }> = []
  protected timer: unknown
  protected running = false
  protected stopping = false
  protected offering = false
  protected lastSync = 0
  /** the periodic pull's interval: doubles while pulls find nothing, back to the base on any sign of a gap (pull-backoff.ts) */
  readonly syncBackoff: PullBackoff
  /** when this peer's own replica last decided a slot (the periodic pull is skipped while that is recent) */
  protected decidedAt = -Infinity
  /** a pull from a peer that showed we lag is running / when the last one started (catchUpFrom) */
  protected catchingUp = false
  protected catchUpAt = -Infinity
  protected tick: number
  protected tickAt = 0
  protected epochAt = 0
  /** counts of safety-relevant oddities: a decision that differs from the committed block */
  readonly anomalies = { conflictingDecision: 0, disconnects: 0 }
  /** sending on a partial mesh: direct, or through a replica (routing.ts) */
  protected readonly router: LedgerRouter
  /** frames we sent through another replica (no link to the destination), and frames we forwarded */
  readonly routing: LedgerRouter['stats']
  protected readonly debug: (msg: string) => void

  constructor (readonly init: LedgerNodeInit, protected readonly c: LedgerNodeComponents) {
    super()
    this.self = c.transport.self
    this.keys = deriveLedgerKeys(c.privateKey)
    const memo = c.crypto == null ? memoizeVerification(createConsensusCrypto({ ...(c.signatures != null ? { signatures: c.signatures } : {}) }), 50_000) : undefined
    this.crypto = c.crypto ?? (memo as ConsensusCrypto)
    if (memo != null) { this.checks = memo.stats; this.memo = memo }
    this.clock = c.clock ?? realClock
    this.debug = c.log ?? (() => {})
    this.pacer = new ViewPacer(init.maxViewBackoff)
    const syncMs = init.syncIntervalMs ?? 5000
    this.syncBackoff = new PullBackoff(syncMs, init.syncMaxIntervalMs ?? 8 * syncMs)
    this.router = new LedgerRouter({
      self: this.self,
      genesisPeerId: init.genesisPeerId,
      transport: c.transport,
      clock: this.clock,
      chain: () => this.chain,
      prevEpoch: () => this.prev?.epoch,
      poolOwn: mb => {
        if (this.instance == null || this.chain == null) return false
        this.pool.add(mb, this.chain.lastSeq(mb.author))
        this.verified.add(Pool.keyOf(mb))
        return true
      },
      proposeOwn: () => { this.offer(); this.instance?.schedule() },
      count: reason => { this.count(reason) },
      reject: (reason, from) => { this.reject(reason, from) },
      ...(init.followerFanout != null ? { followerFanout: init.followerFanout } : {})
    })
    this.routing = this.router.stats
    this.tick = Math.min(20, init.maxTickMs ?? 20)
    this.journal = new VoteJournal(c.store, () => this.chain?.height ?? -1, this.debug)
    this.liveness = new Liveness({
      now: () => this.clock.now(),
      silenceMs: () => this.upkeep.removeAfterMs(),
      linkRttMs: peer => this.c.transport.rttMs(peer),
      probe: (peer, nonce, misses) => {
        const frame = writeFrame({ type: FRAME_PROBE, nonce })
        this.router.sendFrame(peer, frame)
        if (misses > 0) this.router.sendVia(peer, frame) // and over a second path: the direct link may be dead
      }
    })
    this.muteLeaders = new MuteLeaders(() => this.clock.now(), init.muteLeaderHoldMs)
    this.voteLapses = new VoteLapses({
      now: () => this.clock.now(),
      decisions: () => init.voteLapseDecisions ?? VOTE_LAPSE_DECISIONS,
      ms: () => init.voteLapseMs ?? VOTE_LAPSE_MS
    })
    this.upkeep = new MembershipUpkeep({
      self: this.self,
      clock: this.clock,
      liveness: this.liveness,
      voteLapses: this.voteLapses,
      init,
      stopping: () => this.stopping,
      chain: () => this.chain,
      joinBody: () => joinBody(this.self, this.keys, this.crypto),
      pending: kind => this.submitter.hasPending(kind),
      evidence: () => this.instance?.replica.stats.evidence ?? [],
      rttMs: peer => this.c.transport.rttMs(peer),
      recentDecideMs: this.recentDecideMs,
      submit: async entry => await this.submit(entry),
      log: this.debug
    })
    this.submitter = new Submitter({
      self: this.self,
      privateKey: c.privateKey,
      clock: this.clock,
      maxBatchBytes: () => Math.min(Number(this.chain?.config('ledger.maxBatchBytes') ?? init.maxBatchBytes ?? 16384), init.maxBatchBytes ?? Infinity),
      submitTimeoutMs: init.submitTimeoutMs ?? 30_000,
      lastSeq: () => this.chain?.lastSeq(this.self) ?? -1,
      dispatch: (mb, sentTo, resend) => { this.router.dispatch(mb, sentTo, resend) },
      ready: () => this.chain != null && this.running,
      log: this.debug
    })
  }

  /** The peers this node sends to directly: its router's link set, refreshed at most every 500 ms (routing.ts). */
  directPeers (): ReadonlySet<string> { return this.router.reachable() }

  registerKind (kind: string, validate: KindValidator): void {
    if (['note', 'config', 'join', 'leave', 'remove', 'evidence'].includes(kind)) throw new TypeError(`${kind} is a built-in kind`)
    this.kinds.set(kind, validate)
  }

  // ---------------------------------------------------------------- what the later layers provide

  /** Proposes if we lead the current slot and have work (epoch-instances.ts). */
  protected abstract offer (): void
  /** Starts this peer's part in epoch `e` from `firstSlot` (epoch-instances.ts). */
  protected abstract enterEpoch (e: EpochInfo, firstSlot: number, announce?: boolean, keepPrev?: boolean): void
  /** Submits an entry and waits for its commit (ledger-node.ts). */
  abstract submit (entry: Entry, opts?: SubmitOptions): Promise<CommittedEntry>

  protected async adoptGenesis (bytes: Uint8Array): Promise<boolean> {
    const g = await checkGenesis(bytes, this.init.genesisPeerId)
    if (g == null) return false
    this.chain = new Chain(g, this.c.quorumMath, this.crypto, this.kinds)
    return true
  }

  // ---------------------------------------------------------------- counters

  protected count (reason: string): void { this.rejected[reason] = (this.rejected[reason] ?? 0) + 1 }

  /**
   * Runs `work` without awaiting it. A failure is counted (`internalError`) and logged, never left
   * as an unhandled rejection: in a Node peer that would end the process, whatever a peer sent.
   */
  protected background (what: string, work: Promise<unknown>): void {
    work.catch(err => { this.count('internalError'); this.debug(`${what}: ${err instanceof Error ? err.stack ?? err.message : String(err)}`) })
  }

  /** A rejected frame from `from`: counted; over maxRejectsPerMinute its links are closed. */
  protected reject (reason: string, from: string): void {
    this.count(reason)
    const now = this.clock.now()
    const times = (this.rejectTimes.get(from) ?? []).filter(t => now - t < 60_000)
    times.push(now)
    this.rejectTimes.set(from, times)
    if (times.length > (this.init.maxRejectsPerMinute ?? 100)) {
      this.rejectTimes.delete(from)
      this.anomalies.disconnects++
      this.count('disconnected')
      this.debug(`closing links to ${from}: ${times.length} rejected frames in a minute`)
      this.c.transport.disconnect(from)
    }
  }

  protected safeEmit<K extends keyof LedgerEvents> (type: K, detail: LedgerEvents[K]['detail']): void {
    try { this.safeDispatchEvent(type, { detail }) } catch (err) { this.debug(`listener of ${type} threw: ${String(err)}`) }
  }
}
