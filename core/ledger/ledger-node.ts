/**
 * `LedgerNode`: the live shell of the ledger, transport-agnostic (core/ledger/links.ts gives it a
 * libp2p transport; tests give it an in-memory one). It owns the chain state, the pool, this peer's
 * submissions, and — when this peer is a replica of the current epoch — that epoch's `LiveReplica`.
 *
 * Every committed block goes through one queue: verify (`checkRecord`) → `store.append` → chain
 * apply → pool prune → events → next epoch's instance when the replica set changed. Blocks come
 * from this peer's own decisions, from gossip (followers; published only by the leader of the
 * deciding view) and from sync pulls, and are verified alike, whoever sent them.
 *
 * The node holds the wiring; what it wires lives in files of its own: routing.ts (sending on a
 * partial mesh, forwarding), upkeep.ts (join, removal of the silent, evidence, the base tick),
 * read-api.ts (status, log, verify), view-pacer.ts (the view-timeout backoff).
 */
import { TypedEventEmitter, type PrivateKey } from '@libp2p/interface'
import { bytesToHex } from '@noble/hashes/utils.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { createConsensusCrypto, memoizeVerification, vrfAlpha, PHASE_COMMIT, PHASE_PREPARE, type AsyncSignatureCheck, type ConsensusCrypto, type MemoizedCrypto, type ReplicaKeys, type SignatureVerifier, type VerificationStats } from '../consensus/crypto.ts'
import { signaturesOf } from '../consensus/signatures-of.ts'
import { leaderOf } from '../consensus/validate.ts'
import type { QuorumMath } from '../consensus/quorum.ts'
import type { SlotCertificate } from '../consensus/replica.ts'
import { Chain, nextHead, type AppliedEntry, type ApplyResult, type KindValidator } from './chain.ts'
import {
  FRAME_CONSENSUS, FRAME_FORWARD, FRAME_FORWARDED, FRAME_MICROBLOCK, FRAME_PROBE, FRAME_PROBE_ACK, MAX_BLOCK_BYTES, readBlock, readFrame, readMicroblock, readRecord, readSyncResponse, writeBlock, writeFrame,
  writeRecord, writeSyncRequest, type Block, type Microblock
} from './codec.ts'
import { readConfig, readJson, MAX_NOTE_BYTES } from './entries.ts'
import type { EpochInfo } from './epochs.ts'
import { EntryRefusedError, LedgerStoppedError, NotReplicaError } from './errors.ts'
import { checkGenesis, createGenesis, deriveLedgerKeys, joinBody, verifyMicroblock } from './keys.ts'
import { hostileSend, type HostileMode } from './hostile.ts'
import { LiveReplica, realClock, type Clock, type DecisionTiming } from './live-replica.ts'
import { Liveness } from './liveness.ts'
import { ViewPacer } from './view-pacer.ts'
import { LedgerRouter } from './routing.ts'
import { MembershipUpkeep } from './upkeep.ts'
import { ledgerStatus, readLog, verifyStore } from './read-api.ts'
import { Pool } from './pool.ts'
import { checkSetting } from './settings.ts'
import { Submitter } from './submitter.ts'
import { serveSync } from './sync.ts'
import type { LedgerInbound, LedgerTransport, RecordVerdict } from './transport.ts'
import type { BlockRecord, CommittedEntry, Entry, LedgerApi, LedgerEvents, LedgerStatus, LedgerStore } from './types.ts'
import { checkRecord, verifyChain } from './verify.ts'
import { VoteJournal } from './vote-journal.ts'

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
  /** @default 30000 */
  submitTimeoutMs?: number
  /** a microblock not committed after this is sent again, to more replicas @default 3000 */
  resendMs?: number
  /** pull from a peer this often @default 5000 */
  syncIntervalMs?: number
  /** rejected frames per peer per minute before its links are closed @default 100 */
  maxRejectsPerMinute?: number
  /** the base tick's cap, ms (`tickLength`; the view-timeout backoff multiplies it, view-pacer.ts) @default 100 */
  maxTickMs?: number
  /** the view-timeout backoff's cap (view-pacer.ts; 1 turns the backoff off) @default 16 */
  maxViewBackoff?: number
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
}

const RING = 10_000

function committedEntry (record: BlockRecord, e: AppliedEntry, now: number, latencyMs?: number): CommittedEntry {
  return {
    slot: record.height, index: e.index, epoch: record.epoch, kind: e.kind, author: e.author, data: e.data, summary: e.summary,
    committedAt: now, applied: e.applied, ...(e.refusal != null ? { refusal: e.refusal } : {}), ...(latencyMs != null ? { latencyMs } : {})
  }
}
const FUTURE_FRAMES = 512

export class LedgerNode extends TypedEventEmitter<LedgerEvents> implements LedgerApi, LedgerInbound {
  readonly self: string
  readonly keys: ReplicaKeys
  chain?: Chain
  instance?: LiveReplica
  private prev?: LiveReplica
  readonly pool = new Pool()
  readonly submitter: Submitter
  private readonly crypto: ConsensusCrypto
  /** real checks and their time (memoized crypto; absent when a test injects its own) */
  private readonly checks?: VerificationStats
  private readonly memo?: MemoizedCrypto
  /** microblock signature checks (libp2p key of the author) and their time */
  private readonly mbChecks = { count: 0, ms: 0 }
  /** own decisions verified, stored and applied, and the wall ms that took (status().timing) */
  private readonly commitTiming = { commits: 0, commitMs: 0 }
  /** every instance's decision timings, summed (live-replica.ts) */
  private readonly decisionTiming: DecisionTiming = { decided: 0, decideMs: 0, engineTimers: 0, viewChanges: 0 }
  private readonly recentDecideMs: number[] = []
  /** the view-timeout backoff: the engine's tick is `tick` × its factor (view-pacer.ts) */
  readonly pacer: ViewPacer
  private readonly clock: Clock
  private readonly kinds = new Map<string, KindValidator>()
  private queue: Promise<unknown> = Promise.resolve()
  private readonly decisions = new Map<number, { epoch: number, view: number, cert: SlotCertificate, leader: boolean }>()
  private future: Array<{ from: string, epoch: number, message: Uint8Array }> = []
  private readonly verified = new Set<string>()
  readonly rejected: Record<string, number> = {}
  private readonly rejectTimes = new Map<string, number[]>()
  readonly liveness: Liveness
  /** joining, removing the silent, evidence, the base tick (upkeep.ts) */
  private readonly upkeep: MembershipUpkeep
  /** what this replica signed in undecided slots, stored before it is sent (vote-journal.ts) */
  readonly journal: VoteJournal
  private entries: CommittedEntry[] = []
  private readonly commitTimes: Array<{ at: number, entries: number }> = []
  private timer: unknown
  private running = false
  private stopping = false
  private offering = false
  private lastSync = 0
  /** a pull from a peer that showed we lag is running / when the last one started (catchUpFrom) */
  private catchingUp = false
  private catchUpAt = -Infinity
  private tick: number
  private tickAt = 0
  private epochAt = 0
  /** counts of safety-relevant oddities: a decision that differs from the committed block */
  readonly anomalies = { conflictingDecision: 0, disconnects: 0 }
  /** sending on a partial mesh: direct, or through a replica (routing.ts) */
  private readonly router: LedgerRouter
  /** frames we sent through another replica (no link to the destination), and frames we forwarded */
  readonly routing: LedgerRouter['stats']
  private readonly debug: (msg: string) => void

  constructor (readonly init: LedgerNodeInit, private readonly c: LedgerNodeComponents) {
    super()
    this.self = c.transport.self
    this.keys = deriveLedgerKeys(c.privateKey)
    const memo = c.crypto == null ? memoizeVerification(createConsensusCrypto({ ...(c.signatures != null ? { signatures: c.signatures } : {}) }), 50_000) : undefined
    this.crypto = c.crypto ?? (memo as ConsensusCrypto)
    if (memo != null) { this.checks = memo.stats; this.memo = memo }
    this.clock = c.clock ?? realClock
    this.debug = c.log ?? (() => {})
    this.pacer = new ViewPacer(init.maxViewBackoff)
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
      reject: (reason, from) => { this.reject(reason, from) }
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
    this.upkeep = new MembershipUpkeep({
      self: this.self,
      clock: this.clock,
      liveness: this.liveness,
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

  registerKind (kind: string, validate: KindValidator): void {
    if (['note', 'config', 'join', 'leave', 'remove', 'evidence'].includes(kind)) throw new TypeError(`${kind} is a built-in kind`)
    this.kinds.set(kind, validate)
  }

  // ---------------------------------------------------------------- lifecycle

  async start (): Promise<void> {
    if (this.running) return
    this.running = true
    await this.journal.load()
    const g = await this.c.store.getGenesis()
    if (g != null) {
      // replay (and re-verify) what we stored
      // ...and announce it as it was committed: state built from commit and config events (jobs,
      // the mesh settings) is rebuilt on a restarted peer, not only from what commits from now on
      const r = await verifyChain(this.c.store, {
        genesisPeerId: this.init.genesisPeerId, math: this.c.quorumMath, crypto: this.crypto, kinds: this.kinds,
        onApplied: (record, res) => { this.announce(record, res.entries.map(e => committedEntry(record, e, this.clock.now())), res.configs, true) }
      })
      this.chain = r.chain
      this.entries = []
    } else if (this.self === this.init.genesisPeerId) {
      const bytes = await createGenesis(this.c.privateKey, this.self, this.keys, { meshId: this.init.meshId ?? 'novacron', protocol: this.init.protocol ?? 'probft', maxReplicas: this.init.maxReplicas ?? 16 })
      await this.c.store.putGenesis(bytes)
      await this.adoptGenesis(bytes)
    }
    if (this.chain != null) this.enterEpoch(this.chain.current, this.chain.height + 1)
    this.loop()
  }

  async stop (): Promise<void> {
    if (!this.running) return
    this.stopping = true
    if ((this.init.leaveOnStop ?? true) && this.chain != null && this.chain.isReplica(this.self) && this.chain.current.n > 1) {
      await this.submit({ kind: 'leave', data: new Uint8Array(0) }, { timeoutMs: 5000 }).catch(err => { this.debug(`leave not committed: ${String(err)}`) })
    }
    this.running = false
    this.clock.clearTimeout(this.timer)
    this.instance?.stop()
    this.prev?.stop()
    this.submitter.stop(new LedgerStoppedError('ledger stopped'))
    await this.queue.catch(() => {})
  }

  private async adoptGenesis (bytes: Uint8Array): Promise<boolean> {
    const g = await checkGenesis(bytes, this.init.genesisPeerId)
    if (g == null) return false
    this.chain = new Chain(g, this.c.quorumMath, this.crypto, this.kinds)
    return true
  }

  /** One maintenance pass a second: resends, removals, evidence, sync, join, tick length. */
  private loop (): void {
    if (!this.running) return
    this.timer = this.clock.setTimeout(() => {
      try { this.maintain() } catch (err) { this.debug(`maintenance failed: ${String(err)}`) }
      this.loop()
    }, 1000)
  }

  private maintain (): void {
    const now = this.clock.now()
    this.submitter.maintain(this.init.resendMs ?? 3000)
    if (now - this.lastSync >= (this.init.syncIntervalMs ?? 5000)) { this.lastSync = now; void this.pull() }
    const chain = this.chain
    if (chain == null) return
    this.upkeep.join(chain)
    if (this.instance != null) {
      this.upkeep.removeSilent(chain.current)
      this.upkeep.submitEvidence(chain.current)
      if (now - this.tickAt >= 1000) { this.tickAt = now; this.tick = this.upkeep.measureTick(chain.current) }
      this.instance.schedule()
    }
    if (this.init.hostile != null) this.beHostile(chain.current)
  }

  // ---------------------------------------------------------------- epochs and instances

  private enterEpoch (e: EpochInfo, firstSlot: number, announce = true, keepPrev = false): void {
    const wasReplica = this.instance != null
    if (!keepPrev) {
      this.prev?.stop()
      this.prev = this.instance
    }
    this.instance = undefined
    this.epochAt = this.clock.now()
    const others = e.replicas.map(r => r.peerId).filter(p => p !== this.self)
    this.c.transport.protect(others)
    const index = e.replicas.findIndex(r => r.peerId === this.self)
    this.liveness.track(index >= 0 ? others : [])
    if (wasReplica && index < 0 && !this.stopping) {
      // removed (we did not leave) while still running: we answer, so ask to join again at once
      this.debug(`removed from the replica set at epoch ${e.epoch}: joining again`)
      this.upkeep.rejoinNow()
    }
    if (index >= 0) {
      this.instance = new LiveReplica(e, index, firstSlot, {
        timing: this.decisionTiming,
        recentDecideMs: this.recentDecideMs,
        ...(this.memo != null && this.c.asyncSignatures != null ? { preverify: this.preverifier(e, this.memo, this.c.asyncSignatures) } : {}),
        ...(this.memo != null && e.protocol === 'probft' ? { prewarm: this.prewarmer(this.memo) } : {}),
        clock: this.clock,
        crypto: this.crypto,
        keys: this.keys,
        proposalFor: (slot, view) => this.proposalFor(e, slot, view),
        checkValue: async (value, kind) => await this.checkValue(e, value, kind),
        send: (peers, message) => {
          const send = (to: string[], msg: Uint8Array): void => {
            const frame = writeFrame({ type: FRAME_CONSENSUS, epoch: e.epoch, message: msg })
            for (const p of to) for (let i = 0; i < (this.init.hostile === 'flood' ? 4 : 1); i++) this.router.sendFrame(p, frame)
          }
          this.journal.gate(index, message, () => {
            if (this.init.hostile == null) send(peers, message)
            else hostileSend({ mode: this.init.hostile, epoch: e.epoch, index, keys: this.keys, crypto: this.crypto, others, send }, peers, message)
          })
        },
        decided: (slot, view, cert) => { this.pacer.decided(this.tick, this.recentDecideMs); this.onDecided(e, slot, view, cert) },
        viewChanged: count => { this.pacer.viewChanged(count) },
        busy: () => this.pool.size > 0 || this.submitter.busy,
        tickMs: () => this.pacer.tickMs(this.tick),
        reject: reason => { this.count(reason) }
      })
      this.instance.start()
      // frames that arrived before this epoch started: only from its replicas (others are counted now)
      for (const f of this.future.filter(f => f.epoch === e.epoch)) {
        if (e.replicas.some(r => r.peerId === f.from)) void this.instance.receive(f.message)
        else this.reject('notReplica', f.from)
      }
    }
    this.future = []
    if (announce) this.safeEmit('epoch', { epoch: e.epoch, start: e.start, replicas: e.replicas.map((r, i) => ({ peerId: r.peerId, index: i, since: r.since })) })
    this.offer()
  }

  /** The next slot's view-0 PREPARE and COMMIT proofs, computed while waiting for its proposal. */
  private prewarmer (memo: MemoizedCrypto): (slot: number) => void {
    return slot => {
      for (const phase of [PHASE_PREPARE, PHASE_COMMIT]) memo.prewarmProof(this.keys.vrfSecret, vrfAlpha(phase, slot, 0))
    }
  }

  private preverifier (e: EpochInfo, memo: MemoizedCrypto, check: AsyncSignatureCheck): (message: Uint8Array) => Promise<void> {
    return async message => { await memo.preverify(signaturesOf(message, e.replicas), check) }
  }

  private proposalFor (e: EpochInfo, slot: number, view: number): Uint8Array | null {
    if (view === 0 && !this.offering) return null
    const chain = this.chain
    if (chain == null) return null
    const mbs = view === 0 && chain.height + 1 !== slot ? [] : this.pool.take(MAX_BLOCK_BYTES - 64, a => chain.lastSeq(a))
    if (view === 0 && mbs.length === 0) return null
    return writeBlock(e.epoch, mbs.map(m => m.bytes))
  }

  /** Proposes if we lead the current slot, every earlier decision is applied, and the pool has work. */
  private offer (): void {
    const inst = this.instance
    if (inst == null || this.chain == null || this.pool.size === 0 || this.chain.height + 1 !== inst.currentSlot) return
    this.offering = true
    try { inst.offer() } finally { this.offering = false }
  }

  private async checkValue (e: EpochInfo, value: Uint8Array, kind: 'propose' | 'newView' | 'decision'): Promise<string | null> {
    let b: Block
    try { b = readBlock(value) } catch { return 'block does not decode' }
    if (b.epoch !== e.epoch) return 'block of another epoch'
    for (const mb of b.microblocks) {
      if (kind !== 'decision' && this.chain != null && mb.seq <= this.chain.lastSeq(mb.author)) return 'stale microblock'
      if (!await this.verifyMb(mb)) return 'bad microblock signature'
    }
    return null
  }

  private async verifyMb (mb: Microblock): Promise<boolean> {
    const key = bytesToHex(sha256(mb.bytes))
    if (this.verified.has(key)) return true
    const t = performance.now()
    const ok = await verifyMicroblock(mb)
    this.mbChecks.count++; this.mbChecks.ms += performance.now() - t
    if (!ok) return false
    if (this.verified.size > 50_000) this.verified.clear()
    this.verified.add(key)
    return true
  }

  // ---------------------------------------------------------------- commits

  private onDecided (e: EpochInfo, slot: number, view: number, cert: SlotCertificate): void {
    const leader = this.instance?.epoch === e && leaderOf(e.n, slot, view) === this.instance.index
    this.decisions.set(slot, { epoch: e.epoch, view, cert, leader })
    this.enqueue(async () => { await this.drain() })
  }

  private enqueue<T> (fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn)
    this.queue = run.catch(err => { this.debug(`ledger queue: ${err instanceof Error ? err.stack ?? err.message : String(err)}`) })
    return run
  }

  private async drain (): Promise<void> {
    const chain = this.chain
    if (chain == null) return
    for (const s of [...this.decisions.keys()]) if (s <= chain.height) this.checkAgreement(s)
    for (let d = this.decisions.get(chain.height + 1); d != null; d = this.decisions.get(chain.height + 1)) {
      const height = chain.height + 1
      this.decisions.delete(height)
      if (d.epoch !== chain.current.epoch) continue // an instance of an ended epoch went on deciding
      const record: BlockRecord = { height, epoch: d.epoch, block: d.cert.value, certificate: d.cert.commits, holder: d.cert.holder, head: nextHead(chain.head, height, d.cert.value) }
      const t = this.clock.now()
      const b = await this.check(record)
      if (typeof b === 'string') { this.count('badDecision'); this.debug(`own decision at ${height} does not verify: ${b}`); continue }
      await this.commit(record, b, d.leader)
      this.commitTiming.commits++; this.commitTiming.commitMs += this.clock.now() - t
    }
  }

  private checkAgreement (slot: number): void {
    // a decision for a slot we already hold (from gossip/sync): it must be the same block
    const d = this.decisions.get(slot)
    this.decisions.delete(slot)
    if (d == null) return
    void this.c.store.get(slot).then(r => {
      if (r != null && bytesToHex(sha256(r.block)) !== bytesToHex(sha256(d.cert.value))) {
        this.anomalies.conflictingDecision++
        this.debug(`SAFETY: decided a different block at ${slot} than the committed one`)
      }
    }, () => {})
  }

  private async check (record: BlockRecord): Promise<Block | string> {
    return await checkRecord(this.chain as Chain, record, this.crypto, this.verified)
  }

  private async commit (record: BlockRecord, block: Block, publish: boolean): Promise<void> {
    const chain = this.chain as Chain
    await this.c.store.append(record)
    const res = chain.apply(record.height, block, record.block)
    this.pool.prune(block.microblocks, a => chain.lastSeq(a))
    const now = this.clock.now()
    const mine: AppliedEntry[] = []
    const toCommitted = (e: AppliedEntry, latencyMs?: number): CommittedEntry => committedEntry(record, e, now, latencyMs)
    const latency = new Map<number, number>()
    for (const e of res.entries) if (e.author === this.self) mine.push(e)
    this.submitter.onCommitted(mine, (e, l) => { if (l != null) latency.set(e.index, l); return toCommitted(e, l) })
    const committed = res.entries.map(e => toCommitted(e, latency.get(e.index)))
    this.entries.push(...committed)
    if (this.entries.length > RING) this.entries = this.entries.slice(-RING)
    this.commitTimes.push({ at: now, entries: committed.length })
    while (this.commitTimes.length > 0 && now - this.commitTimes[0].at > 10_000) this.commitTimes.shift()
    if (publish) this.c.transport.publish(writeRecord(record))
    this.announce(record, committed, res.configs, false)
    if (res.newEpoch != null) {
      this.instance?.endAt(record.height)
      this.enterEpoch(res.newEpoch, res.newEpoch.start)
    } else if (this.instance != null && this.instance.currentSlot <= chain.height) {
      // we got past our instance through gossip/sync: a fresh instance at the next slot (it voted
      // in no slot beyond its current one, so nothing it signed can conflict)
      // (the previous epoch's instance stays: it still answers that epoch's laggers)
      this.instance.stop()
      this.instance = undefined
      this.enterEpoch(chain.current, chain.height + 1, false, true)
    }
    this.offer()
    this.submitter.pump()
  }

  /** A record from gossip or sync: verified against our chain, never trusting the sender. */
  /** The `commit` and `config` events of one block (`replayed`: a stored block re-applied at start). */
  private announce (record: BlockRecord, entries: CommittedEntry[], configs: ApplyResult['configs'], replayed: boolean): void {
    this.safeEmit('commit', { height: record.height, epoch: record.epoch, entries, ...(replayed ? { replayed } : {}) })
    for (const cfg of configs) this.safeEmit('config', { key: cfg.key, value: cfg.value, slot: record.height, ...(replayed ? { replayed } : {}) })
  }

  private async ingest (record: BlockRecord): Promise<'accept' | 'ignore' | 'reject'> {
    return await this.enqueue(async () => {
      const chain = this.chain
      if (chain == null || record.height <= chain.height) return 'ignore'
      if (record.height > chain.height + 1) return 'ignore'
      const b = await this.check(record)
      if (typeof b === 'string') { this.count('badRecord'); this.debug(`record ${record.height} refused: ${b}`); return 'reject' }
      await this.commit(record, b, false)
      return 'accept'
    })
  }

  // ---------------------------------------------------------------- inbound

  /**
   * One frame from `from` (for a forwarded frame: its origin; rejections then count against the
   * forwarder, `accountable`, which decoded it before forwarding).
   */
  onFrame (from: string, bytes: Uint8Array, accountable = from): void {
    if (!this.running) return
    this.liveness.heard(from)
    let f
    try { f = readFrame(bytes) } catch { this.reject('malformed', accountable); return }
    if (accountable !== from && (f.type === FRAME_FORWARD || f.type === FRAME_FORWARDED)) { this.reject('malformed', accountable); return }
    if (f.type === FRAME_FORWARD) { this.router.forward(from, f.peer, f.frame); return }
    // a probe is answered whoever sends it (a lagging peer may not know the prober is a replica yet)
    if (f.type === FRAME_PROBE) {
      // answered the way it came: a forwarded probe back through its forwarder
      const ack = writeFrame({ type: FRAME_PROBE_ACK, nonce: f.nonce })
      if (accountable !== from) this.c.transport.send(accountable, writeFrame({ type: FRAME_FORWARD, peer: from, frame: ack }))
      else this.router.sendFrame(from, ack)
      return
    }
    if (f.type === FRAME_PROBE_ACK) { this.liveness.ack(from, f.nonce); return }
    if (f.type === FRAME_FORWARDED) {
      // delivered by a replica on behalf of `origin`; the forwarder checked it decodes
      if (!(this.chain?.isReplica(from) ?? false) && !(this.prev?.epoch.replicas.some(r => r.peerId === from) ?? false)) { this.reject('notReplica', from); return }
      this.onFrame(f.peer, f.frame, from)
      return
    }
    if (f.type === FRAME_MICROBLOCK) { void this.onMicroblock(accountable, f.microblock); return }
    const chain = this.chain
    if (chain == null) return
    const e = chain.current
    const target = f.epoch === e.epoch ? this.instance : f.epoch === this.prev?.epoch.epoch ? this.prev : undefined
    if (target != null) {
      if (!target.epoch.replicas.some(r => r.peerId === from)) { this.reject('notReplica', accountable); return }
      void target.receive(f.message)
    } else if (f.epoch > e.epoch) {
      // the sender has committed past the end of our epoch: we lag. Its frames are not its fault;
      // the next epoch's are kept for when we get there, and we fetch what we miss from it now
      // (waiting for gossip or the periodic pull left lagging peers behind for good: docs/ledger.md)
      if (f.epoch === e.epoch + 1 && this.future.length < FUTURE_FRAMES) this.future.push({ from, epoch: f.epoch, message: f.message })
      else this.count('aheadOfUs')
      this.catchUpFrom(from, accountable)
    } else if (f.epoch === e.epoch) {
      this.count('notReplica') // we are not a replica of this epoch (yet): not the sender's fault
    } else if (chain.epochInfo(f.epoch)?.replicas.some(r => r.peerId === from) ?? false) {
      this.count('behindUs') // a replica of an older epoch that has not caught up yet: it will pull from us
    } else this.reject('wrongEpoch', accountable)
  }

  /**
   * A frame from a later epoch than ours came from `from`: pull from it (one such pull at a time, at
   * most one a second). A peer whose claim does not hold — the pull brings nothing — is charged a
   * rejection, so a peer cannot send made-up future epochs for free.
   */
  private catchUpFrom (from: string, accountable: string): void {
    const now = this.clock.now()
    if (this.catchingUp || now - this.catchUpAt < 1000) return
    this.catchingUp = true
    this.catchUpAt = now
    const before = this.chain?.height ?? -1
    this.pull(from).then(() => {
      if ((this.chain?.height ?? -1) === before) this.reject('wrongEpoch', accountable)
    }, () => {}).finally(() => { this.catchingUp = false })
  }

  private async onMicroblock (from: string, bytes: Uint8Array): Promise<void> {
    let mb: Microblock
    try { mb = readMicroblock(bytes) } catch { this.reject('malformed', from); return }
    const chain = this.chain
    if (chain == null || this.instance == null) return
    if (this.pool.has(Pool.keyOf(mb))) return
    if (mb.seq <= chain.lastSeq(mb.author)) { this.count('staleMicroblock'); return }
    if (!await this.verifyMb(mb)) { this.reject('badSignature', from); return }
    const r = this.pool.add(mb, chain.lastSeq(mb.author))
    if (r !== 'added') { if (r !== 'duplicate') this.count(r); return }
    // the author (or a follower's first replica) relays to every replica; replicas do not relay again
    if (!chain.isReplica(from)) this.router.sendToReplicas(writeFrame({ type: FRAME_MICROBLOCK, microblock: mb.bytes }), new Set([from]))
    this.offer()
    this.instance.schedule()
  }

  async onRecord (from: string, bytes: Uint8Array): Promise<RecordVerdict> {
    let r: BlockRecord
    try { r = readRecord(bytes) } catch { this.count('badRecord'); return 'malformed' }
    const chain = this.chain
    if (chain != null && r.height > chain.height + 1) void this.pull(from)
    const v = await this.ingest(r)
    return v === 'reject' ? 'forged' : v
  }

  async serveSync (_from: string, request: Uint8Array): Promise<Uint8Array> { return await serveSync(this.c.store, request) }

  /** Pulls missing records (and the genesis, when we have none) from a peer, verifying each. */
  async pull (peer?: string): Promise<void> {
    const peers = this.c.transport.connectedPeers()
    const target = peer ?? (peers.includes(this.init.genesisPeerId) && this.chain == null ? this.init.genesisPeerId : peers[Math.floor(Math.random() * peers.length)])
    if (target == null) return
    for (let round = 0; round < 64 && this.running; round++) {
      const from = (this.chain?.height ?? -1) + 1
      let res
      try { res = readSyncResponse(await this.c.transport.request(target, writeSyncRequest({ from, limit: 64 }))) } catch { return }
      if (this.chain == null) {
        if (res.genesis.length === 0 || !await this.adoptGenesis(res.genesis)) return
        await this.c.store.putGenesis(res.genesis)
        this.enterEpoch((this.chain as unknown as Chain).current, 0)
      }
      if (res.records.length === 0) return
      for (const b of res.records) {
        let r: BlockRecord
        try { r = readRecord(b) } catch { this.count('badRecord'); return }
        if (await this.ingest(r) === 'reject') return
      }
      if ((this.chain?.height ?? -1) >= res.height) return
    }
  }

  // ---------------------------------------------------------------- API

  async submit (entry: Entry, opts: { timeoutMs?: number } = {}): Promise<CommittedEntry> {
    if (!this.running) throw new LedgerStoppedError('ledger is not running')
    if ((entry?.kind === 'remove' || entry?.kind === 'evidence') && !(this.chain?.isReplica(this.self) ?? false)) {
      throw new NotReplicaError(`only a replica of the current epoch submits ${entry.kind} entries`)
    }
    const why = this.precheck(entry)
    if (why != null) throw new EntryRefusedError(why)
    return await this.submitter.submit(entry, opts.timeoutMs)
  }

  /** The checks an entry must pass before it is proposed (the same ones apply again at commit). */
  private precheck (entry: Entry): string | null {
    if (typeof entry?.kind !== 'string' || !(entry.data instanceof Uint8Array)) return 'an entry is { kind: string, data: Uint8Array }'
    try {
      switch (entry.kind) {
        case 'note': readJson(entry.data, MAX_NOTE_BYTES); return null
        case 'config': { const b = readConfig(entry.data); return checkSetting(b.key, b.value) }
        case 'join': case 'leave': case 'remove': case 'evidence': return null
        default: {
          const v = this.kinds.get(entry.kind)
          return v == null ? `unknown entry kind ${entry.kind}` : v(entry.data, this.self)
        }
      }
    } catch (err) {
      return err instanceof Error ? err.message : String(err)
    }
  }

  status (): LedgerStatus {
    return ledgerStatus({
      chain: this.chain,
      meshId: this.init.meshId,
      protocol: this.init.protocol,
      instance: this.instance,
      prev: this.prev,
      now: this.clock.now(),
      latencies: this.submitter.latencies,
      commitTimes: this.commitTimes,
      rejected: this.rejected,
      journalConflicts: this.journal.stats.conflicts,
      wire: this.c.transport.wire?.(),
      tickMs: this.pacer.tickMs(this.tick),
      baseTickMs: this.tick,
      viewBackoff: this.pacer.factor,
      commitTiming: this.commitTiming,
      decisionTiming: this.decisionTiming,
      checks: this.checks,
      microblockChecks: this.mbChecks,
      proofs: this.memo?.proofs,
      pending: this.pool.entries + this.submitter.pending
    })
  }

  async log (from: number, limit: number): Promise<CommittedEntry[]> { return await readLog(this.entries, this.c.store, from, limit) }

  async verify (): Promise<{ height: number, head: string, blocks: number }> {
    return await verifyStore(this.c.store, { genesisPeerId: this.init.genesisPeerId, math: this.c.quorumMath, ...(this.c.signatures != null ? { signatures: this.c.signatures } : {}), kinds: this.kinds })
  }

  config (key: string): unknown { return this.chain?.config(key) }

  // ---------------------------------------------------------------- replica duties

  /** Test-only: garbage frames to every replica (the flood mode sends every frame 4 times, see enterEpoch). */
  private beHostile (e: EpochInfo): void {
    if (this.init.hostile !== 'garbage') return
    for (const r of e.replicas) {
      if (r.peerId === this.self) continue
      for (let i = 0; i < 20; i++) {
        const junk = new Uint8Array(1 + Math.floor(Math.random() * 200))
        for (let j = 0; j < junk.length; j++) junk[j] = Math.floor(Math.random() * 256)
        this.c.transport.send(r.peerId, junk)
      }
    }
  }

  // ---------------------------------------------------------------- counters

  private count (reason: string): void { this.rejected[reason] = (this.rejected[reason] ?? 0) + 1 }

  /** A rejected frame from `from`: counted; over maxRejectsPerMinute its links are closed. */
  private reject (reason: string, from: string): void {
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

  private safeEmit<K extends keyof LedgerEvents> (type: K, detail: LedgerEvents[K]['detail']): void {
    try { this.safeDispatchEvent(type, { detail }) } catch (err) { this.debug(`listener of ${type} threw: ${String(err)}`) }
  }
}
