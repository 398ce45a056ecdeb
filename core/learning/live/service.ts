/**
 * `LiveLearning`: one peer's side of federated rounds over the live mesh — the shell that follows
 * the ledger and runs the rounds it coordinates, around the parts named for what they hold:
 * poll-loop.ts (one tick every `pollMs`, or at once), next-turn.ts (whether this peer coordinates
 * the next round now: the draw, passes, departures, round 1's link wait), head-fit.ts (which
 * committed round extends the head), model-store.ts (models, deltas and round bodies by hash, and
 * fetching them), head-sync.ts (the head's weights and older rounds' fetched here), turns.ts
 * (passed turns), coordinator.ts (a round this peer coordinates), participant.ts (training and
 * sending this peer's update), serve.ts (answering the protocol), round-plan.ts (who takes part,
 * ε), collector.ts, schedule.ts / draw-state.ts, aggregate-round.ts and rpc.ts. It depends on the
 * components of ports.ts — a `LearningMesh` (what it uses of core/net's MeshNode), a
 * `LearningLedger` (submit and read the committed log) and a trainer — and reports status.ts's.
 *
 * Every `pollMs`, and whenever its ledger commits a block (`LearningLedger.onCommit`), it reads
 * the ledger's new committed entries in order (`model.join`: the learners;
 * `model.round`: the first valid one for head + 1 — its coordinator eligible and its draw proof
 * checked, schedule.ts — advances the task's head), joins the task once, fetches the head's
 * weights by hash (refusing weights whose hash differs) and, when the draw makes it the
 * coordinator of the next round, runs that round: dial the joined learners it has no direct link
 * to yet (links.ts, bounded), select linked learners by measured RTT, send `start`, train its own
 * update, collect updates until no further one can come (every selected peer answered, or left
 * the mesh: liveness.ts) or the deadline, aggregate deterministically if at least `minUpdates`
 * arrived, and submit `model.round`. A peer that drops
 * is just missing from the round and does not cost its deadline; a drawn coordinator that left the
 * mesh is passed over at once by the next in the order, one that is still there but silent after
 * `roundTimeoutMs` (schedule.ts). Every byte sent and received on the protocol is counted.
 */
import { maxRawBodyLength } from '../codec.ts'
import { initParams } from '../model.ts'
import { createRng } from '../rng.ts'
import { initialServerState, type RoundRule } from './aggregate-round.ts'
import { LIVE_PROTOCOL, MAX_ROUND_UPDATES, type Limits, type RoundUpdate } from './codec.ts'
import { Measurements } from './select.ts'
import { RoundCoordinator } from './coordinator.ts'
import { KIND_JOIN, KIND_PASS, KIND_ROUND, readJoinEntry, readPassEntry, readRoundEntry, writeJoinEntry } from './entries.ts'
import { KEEP_MODELS, ModelStore } from './model-store.ts'
import { HEAD_DEFER_MS, HeadSync } from './head-sync.ts'
import { extendsHead } from './head-fit.ts'
import type { LedgerEntryView, LiveLearningComponents, LiveLearningInit, LiveTrainer } from './ports.ts'
import { Participant } from './participant.ts'
import { LiveRpc } from './rpc.ts'
import { serveRequest, type ServeHost } from './serve.ts'
import { HeldForOthers } from './holds.ts'
import { DrawState } from './draw-state.ts'
import { PeerLiveness } from './liveness.ts'
import { LearnerLinks } from './links.ts'
import { DeathProbes } from './probes.ts'
import { LateUpdates } from './late-update.ts'
import { Passes } from './turns.ts'
import { NextTurn } from './next-turn.ts'
import { PollLoop } from './poll-loop.ts'
import { localStepCap } from './step-budget.ts'
import { TRAIN_YIELD_MS } from './participant.ts'
import { WARM_UP_ROUNDS, warmUp } from './warm-up.ts'
import { emptyLiveStats, type CommittedRound, type LiveStats, type LiveStatus } from './status.ts'
import { taskId, type LiveTaskConfig } from './task.ts'
import { bytesToHex, weightsHash } from './weights.ts'
import { errorText } from '../errors.ts'

/** Ledger entries read per page while following the log. */
const LOG_PAGE = 200
export { STARTUP_LINK_MS } from './next-turn.ts'

export type { LearningMesh, LearningLedger, LedgerEntryView, LiveTrainer, LiveLearningInit, LiveLearningComponents } from './ports.ts'
export type { CommittedRound, LiveStats, LiveStatus } from './status.ts'

export class LiveLearning {
  readonly task: string
  private readonly cfg: LiveTaskConfig
  private readonly now: () => number
  private readonly log: (m: string) => void
  private readonly limits: Limits
  private readonly rule: RoundRule
  private readonly initial: Float32Array
  private readonly initialHash: string
  /** weights, server states, deltas and round bodies held here (model-store.ts) */
  private readonly store: ModelStore
  private readonly learners: string[] = []
  /** what this peer measured of the learners as a coordinator (select.ts) */
  private readonly measured = new Measurements()
  /** the coordinator draw (draw-state.ts) */
  private readonly draw: DrawState
  /** which learners left the mesh (liveness.ts) */
  private readonly liveness = new PeerLiveness()
  /** direct links to the learners a round is about to select (links.ts) */
  private readonly links: LearnerLinks
  /** peers unlisted by their bootstrap that did not answer a probe (probes.ts) */
  private readonly probes: DeathProbes
  /** drawn coordinators that passed the next round (turns.ts) */
  private readonly passes = new Passes()
  /** whether this peer coordinates the next round now (next-turn.ts) */
  private readonly next: NextTurn
  /** a round being prepared (dialling unlinked learners) before it is `active` */
  private preparing = false
  private readonly history: CommittedRound[] = []
  private head = { round: 0, hash: '' }
  private headAt = 0
  private nextSlot = 0
  private nextIndex = 0
  private joined = false
  private joining = false
  private joinRetryAt = 0
  private running = false
  /** one tick every pollMs (poll-loop.ts) */
  private readonly loop: PollLoop
  /** the rounds this peer coordinates (coordinator.ts) */
  private readonly coordinator: RoundCoordinator
  /** the head's weights (and older rounds' to evaluate them) fetched by hash (head-sync.ts) */
  private readonly sync: HeadSync
  private trainerQueue: Promise<unknown> = Promise.resolve()
  /** unsubscribes from the ledger's commits (`LearningLedger.onCommit`) */
  private offCommit: (() => void) | undefined
  private readonly participant: Participant
  /** models (and server states) coordinators handed over to this peer before their commit (holds.ts) */
  private readonly holds: HeldForOthers
  private readonly evaluating = new Set<number>()
  /** since the head was applied: whether its weights were held then, the poll timer's largest lateness and the longest tick (a coordinator's turn, coordinator.ts) */
  private turn = { heldBefore: true, lagMaxMs: 0, tickMaxMs: 0 }
  readonly stats: LiveStats = emptyLiveStats()

  private readonly events = new EventTarget()
  private readonly rpc: LiveRpc

  constructor (private readonly init: LiveLearningInit, private readonly c: LiveLearningComponents) {
    this.cfg = init.task
    this.task = taskId(init.task)
    this.now = c.now ?? Date.now
    this.log = c.log ?? (() => {})
    const size = c.trainer.size
    // a FedAdam server state (m ‖ s) travels like weights, at twice their size
    this.limits = { maxUpdateBytes: maxRawBodyLength(size) + 64, maxModelBytes: (this.cfg.serverOpt != null ? 2 : 1) * size * 4 + 1024 }
    this.rpc = new LiveRpc(c.mesh, this.limits, this.stats, init.requestTimeoutMs ?? 20_000)
    this.store = new ModelStore({
      rpc: this.rpc, limits: this.limits, stats: this.stats, size, compressor: c.compressor, log: this.log,
      keep: () => {
        const recent = this.history.slice(-KEEP_MODELS)
        return [this.initialHash, this.head.hash, ...recent.map(r => r.hash), ...recent.flatMap(r => [r.state, r.carry]).filter((h): h is string => h != null), ...this.holds.pending()]
      }
    })
    this.rule = { rule: this.cfg.rule, clipMedian: this.cfg.clipMedian, trimFraction: this.cfg.trimFraction, dp: this.cfg.dp, seed: this.cfg.seed, serverOpt: this.cfg.serverOpt ?? null, downBits: this.cfg.downBits ?? 0, downFeedback: (this.cfg.downBits ?? 0) > 0 && this.cfg.downFeedback === true }
    this.initial = initParams(this.cfg.model, createRng(this.cfg.seed).fork('init'))
    if (this.initial.length !== size) throw new RangeError(`trainer has ${size} parameters, the task's model ${this.initial.length}`)
    this.initialHash = weightsHash(this.initial)
    this.draw = new DrawState(this.task, this.cfg.minUpdates)
    this.links = new LearnerLinks(c.mesh, this.now, init.linkWaitMs)
    this.probes = new DeathProbes(c.mesh, this.now)
    this.next = new NextTurn({
      task: this.task, cfg: this.cfg, init, mesh: c.mesh, ledger: c.ledger, draw: this.draw, passes: this.passes, liveness: this.liveness, probes: this.probes,
      links: this.links, stats: this.stats, now: this.now, log: this.log, head: () => this.head, headAt: () => this.headAt, learners: () => this.learners,
      startedRound: () => this.participant.startedRound, readyAt: r => this.participant.readyAt(r)
    })
    this.loop = new PollLoop({
      pollMs: init.pollMs ?? 200, now: this.now, log: this.log, running: () => this.running, tick: async () => { await this.tick() },
      // how late the poll's timer fired: this peer's event loop was busy (e.g. training) that long
      lagged: ms => { this.turn.lagMaxMs = Math.max(this.turn.lagMaxMs, ms) },
      ticked: ms => { this.turn.tickMaxMs = Math.max(this.turn.tickMaxMs, ms) }
    })
    this.draw.onSeed = () => { this.headAt = this.now() }
    this.head = { round: 0, hash: this.initialHash }
    this.store.keepModel(this.initialHash, this.initial)
    this.sync = new HeadSync({
      store: this.store, stats: this.stats, mesh: c.mesh, size, downBits: this.cfg.downBits ?? 0, now: this.now, log: this.log,
      head: () => this.head, history: () => this.history, learners: () => this.learners
    })
    this.participant = new Participant({
      task: this.task, cfg: this.cfg, train: init.train, c, rpc: this.rpc, store: this.store, stats: this.stats, now: this.now, log: this.log,
      running: () => this.running, withTrainer: async fn => await this.withTrainer(fn), waitUntil: async cond => { await this.waitUntil(cond) },
      needBase: hash => { this.sync.hurry(hash); this.loop.now() },
      // before round 1: the joined learners, at least minLearners (a round 1 `start` may come before this peer applied every join)
      lastParticipants: () => this.history.at(-1)?.participants.length ?? Math.max(this.learners.length, init.minLearners ?? 1)
    })
    this.holds = new HeldForOthers({
      task: this.task, store: this.store, stats: this.stats, size, limits: this.limits, compressor: c.compressor, isLearner: p => this.learners.includes(p),
      headRound: () => this.head.round, tookStart: (from, round, base) => this.participant.tookStart(from, round, base)
    })
    this.coordinator = new RoundCoordinator({
      task: this.task, cfg: this.cfg, init, c, rule: this.rule, store: this.store, stats: this.stats, measured: this.measured, links: this.links,
      probes: this.probes, lateUpdates: new LateUpdates(c.mesh, this.now, this.stats, this.log), liveness: this.liveness, draw: this.draw, participant: this.participant, rpc: this.rpc, now: this.now, log: this.log,
      running: () => this.running, head: () => this.head, headAt: () => this.headAt, history: () => this.history, learners: () => this.learners,
      serverState: () => this.serverState(), headHeld: () => this.sync.held, headFailed: () => this.sync.failedNow, withTrainer: async fn => await this.withTrainer(fn), waitUntil: async cond => { await this.waitUntil(cond) },
      observeMesh: () => { this.next.observeMesh() }, notWorthDialling: () => this.next.notWorthDialling(),
      turn: () => {
        const f = this.sync.lastFetch
        return { ...this.turn, ...(f != null && f.hash === this.head.hash && !this.turn.heldBefore ? { fetch: { ...f, asked: [...f.asked] } } : {}) }
      }
    })
  }

  /** `round` (a round committed: detail = CommittedRound) and `evaluated` (its local accuracy known). */
  addEventListener (type: 'round' | 'evaluated', fn: (e: CustomEvent<CommittedRound>) => void): void {
    this.events.addEventListener(type, fn as EventListener)
  }

  async start (): Promise<void> {
    if (this.running) return
    this.running = true
    const frame = (MAX_ROUND_UPDATES + 1) * (this.limits.maxUpdateBytes + 256) + this.limits.maxModelBytes
    await this.c.mesh.handle(LIVE_PROTOCOL, async (req, ctx) => await serveRequest(this.serveHost, req, ctx.peerId), { maxFrameSize: frame })
    this.headAt = this.now()
    this.startWarmUp()
    // every committed block is read at once, not at the next poll: the next round's coordinator
    // began its turn, and every learner applied the head, up to pollMs (200 ms) late, each round
    // (a timer turn later: the ledger finishes applying the block first)
    this.offCommit = this.c.ledger.onCommit?.(() => { setTimeout(() => { this.loop.now() }, 0) })
    // the first tick at once (it joins the task), then every pollMs
    this.loop.now()
  }

  /** The throw-away local rounds before round 1 (warm-up.ts), on the trainer queue: a round-1 `start` meanwhile waits for them. */
  private startWarmUp (): void {
    const rounds = this.init.warmUpRounds ?? WARM_UP_ROUNDS
    if (rounds <= 0) return
    const maxSteps = localStepCap(this.cfg, Math.max(this.learners.length, this.init.minLearners ?? 1))
    this.withTrainer(async t => await warmUp(t, {
      cfg: this.cfg, train: this.init.train, test: this.init.test, initial: this.initial, compressor: this.c.compressor, yieldMs: TRAIN_YIELD_MS, maxSteps, now: this.now, running: () => this.running
    }, rounds)).then(r => {
      this.stats.warmUp = r
      this.log(`warmed up: ${r.rounds} throw-away local rounds, ${r.steps} steps in ${r.totalMs} ms (training ${r.trainMs.join(', ')} ms)`)
    }, err => { this.log(`warm-up: ${errorText(err)}`) })
  }

  async stop (): Promise<void> {
    if (!this.running) return
    this.running = false
    this.offCommit?.()
    this.offCommit = undefined
    this.loop.stop()
    await this.c.mesh.unhandle(LIVE_PROTOCOL).catch(() => {})
    await this.trainerQueue.catch(() => {})
  }

  status (): LiveStatus {
    return {
      task: this.task, peerId: this.c.mesh.peerId, learners: [...this.learners], order: this.draw.order(), joined: this.joined,
      measured: this.measured.all(), selection: this.coordinator.lastSelection == null ? null : structuredClone(this.coordinator.lastSelection),
      round: this.head.round, hash: this.head.hash, held: this.store.has(this.head.hash),
      rounds: this.history.map(r => ({ ...r })), stats: { ...structuredClone(this.stats), unlinkedWhy: { ...this.links.unlinkedWhy }, probes: { sent: this.probes.sent, failed: this.probes.failed } }
    }
  }

  /** The weights with this hash, when held. */
  weights (hash: string = this.head.hash): Float32Array | undefined { return this.store.get(hash) }

  // ------------------------------------------------------------------ the loop

  private async tick (): Promise<void> {
    for (;;) {
      // by position, not by slot: one slot may hold more entries than a page (batching)
      const entries = await this.c.ledger.log(this.nextSlot, LOG_PAGE, this.nextIndex)
      if (entries.length === 0) { this.draw.endOfLog(); break }
      for (const e of entries) {
        this.draw.read(e)
        this.apply(e)
      }
      const last = entries[entries.length - 1]
      this.nextSlot = last.slot
      this.nextIndex = last.index + 1
      if (entries.length < LOG_PAGE) { this.draw.endOfLog(); break }
    }
    const now = this.now()
    if (!this.joined && !this.joining && now >= this.joinRetryAt) this.join()
    // every joined learner its bootstrap unlisted is probed now, not only once it is drawn ahead of
    // this peer or selected by it (probes.ts): a coordinator then leaves out learners killed rounds
    // ago that it never waited on itself, where it selected them and waited for its own probe
    this.probes.check(this.learners.filter(p => p !== this.c.mesh.peerId))
    // every committed round whose weights are held (fetched, trained from, or aggregated here) is evaluated once
    for (const r of this.history) {
      if (r.localAccuracy != null || this.evaluating.has(r.round) || !this.store.has(r.hash)) continue
      this.evaluating.add(r.round)
      this.evaluate(r).catch(err => { this.log(`evaluating round ${r.round}: ${errorText(err)}`) }).finally(() => { this.evaluating.delete(r.round) })
    }
    if (!this.sync.held) {
      this.sync.fetchHead()
      // drawn, but no source of the head answered: pass the turn at once rather than hold the round up (turns.ts)
      if (this.sync.failedNow) {
        if (!this.next.passedNext && this.coordinator.active == null && !this.preparing && this.next.drawnNow(now) !== undefined) this.next.pass()
        return
      }
      // not held yet: a round this peer coordinates begins meanwhile (the base is needed only to train and aggregate: coordinator.ts)
    } else this.sync.backfill()
    // between rounds, links to the other learners form ahead of a round this peer may coordinate (links.ts)
    if (this.joined && this.coordinator.active == null && !this.preparing) this.next.prelink()
    // a peer that passed this round leaves it to the next in the draw even once it holds the head
    if (this.coordinator.active != null || this.preparing || now < this.coordinator.retryAt || this.next.passedNext) return
    const takeover = this.next.drawnNow(now)
    if (takeover === undefined || this.next.startupLinksPending(now)) return
    // a takeover's base fetch may still wait for a start's delta (head-sync.ts HEAD_DEFER_MS): it coordinates now
    if (!this.sync.held) { this.sync.hurry(); this.sync.fetchHead() }
    this.preparing = true
    void this.coordinator.run(takeover).catch(err => { this.log(`round ${this.head.round + 1} failed: ${errorText(err)}`) }).finally(() => { this.preparing = false })
  }

  private apply (e: LedgerEntryView): void {
    if (!e.applied) return
    try {
      if (e.kind === KIND_JOIN) {
        const j = readJoinEntry(e.data)
        if (j.task !== this.task || this.learners.includes(e.author)) return
        this.learners.push(e.author)
        this.draw.join(e.author, e.slot, j.vrf, j.samples)
        if (this.learners.length === (this.init.minLearners ?? 1)) this.headAt = this.now()
        if (e.author === this.c.mesh.peerId) this.joined = true
      } else if (e.kind === KIND_PASS) {
        const p = readPassEntry(e.data)
        if (p.task === this.task && this.passes.apply(e.author, p, this.head, this.draw.order())) this.log(`round ${p.round}: ${e.author} passed its turn`)
      } else if (e.kind === KIND_ROUND) {
        const r = readRoundEntry(e.data)
        if (r.task !== this.task) return
        if (!extendsHead(r, this.head, this.history, this.rule)) { this.stats.ignoredRounds++; return }
        if (!this.draw.commit(r.round, e.slot, r.coordinator, r.draw)) { this.stats.badDraws++; this.log(`round ${r.round} by ${r.coordinator} at slot ${e.slot} refused: not drawn (ineligible or a bad draw proof)`); return }
        this.head = { round: r.round, hash: r.hash }
        this.sync.moved(this.headDeferMs())
        this.headAt = this.now()
        this.turn = { heldBefore: this.store.has(r.hash), lagMaxMs: 0, tickMaxMs: 0 }
        const committed: CommittedRound = { ...r, slot: e.slot, appliedAt: this.headAt, localAccuracy: null, localLoss: null }
        this.history.push(committed)
        if (this.coordinator.active != null && this.coordinator.active.round <= r.round) this.coordinator.active = undefined
        this.events.dispatchEvent(new CustomEvent('round', { detail: committed }))
      }
    } catch (err) {
      this.log(`entry at slot ${e.slot} ignored: ${errorText(err)}`)
    }
  }

  /**
   * How long to leave the new head's fetch to the next round's `start` (head-sync.ts
   * HEAD_DEFER_MS): only a learner with a quantised downlink that is not drawn first for the next
   * round, and only while a next round is to come; the drawn coordinator fetches at once.
   */
  private headDeferMs (): number {
    if ((this.cfg.downBits ?? 0) <= 0 || !this.joined || this.head.round >= (this.init.rounds ?? Infinity)) return 0
    return this.draw.order()[0] === this.c.mesh.peerId ? 0 : HEAD_DEFER_MS
  }

  private join (): void {
    this.joining = true
    this.c.ledger.submit({ kind: KIND_JOIN, data: writeJoinEntry({ task: this.task, samples: this.init.train.n, vrf: bytesToHex(this.c.identity.vrfPublic) }) }, { timeoutMs: 30_000 })
      .catch(err => { this.log(`join: ${errorText(err)}`); this.joinRetryAt = this.now() + 2000 })
      .finally(() => { this.joining = false })
  }

  // ------------------------------------------------------------------ weights by hash

  /** The server state the next round starts from (zeros before round 1), when held. */
  serverState (): Float32Array | null | undefined {
    const h = this.sync.headState()
    if (this.cfg.serverOpt == null) return null
    return h == null ? initialServerState(this.rule, this.c.trainer.size) : this.store.get(h)
  }

  /** Fetches weights (or a server state: `size` 2n) by hash from the first of `peers` that has them; refuses any that hash otherwise. */
  async fetchModel (hash: string, peers: readonly string[], size = this.c.trainer.size): Promise<Float32Array> {
    return await this.store.fetchModel(hash, peers, size)
  }

  private async evaluate (r: CommittedRound): Promise<void> {
    const w = this.store.get(r.hash)
    if (w == null || r.localAccuracy != null) return
    const m = await this.withTrainer(async t => { t.setWeights(w); return await t.evaluate(this.init.test) })
    r.localAccuracy = m.accuracy
    r.localLoss = m.loss
    this.events.dispatchEvent(new CustomEvent('evaluated', { detail: r }))
  }

  private async withTrainer<T> (fn: (t: LiveTrainer) => Promise<T>): Promise<T> {
    const run = this.trainerQueue.then(async () => await fn(this.c.trainer))
    this.trainerQueue = run.catch(() => {})
    return await run
  }

  // ------------------------------------------------------------------ coordinating a round

  /** A committed residual by hash (carry.ts), to verify a round that added it. */
  async fetchCarry (hash: string, peers: readonly string[]): Promise<Float32Array> {
    return await this.store.fetchCarry(hash, peers)
  }

  private async waitUntil (cond: () => boolean): Promise<void> {
    while (!cond()) await new Promise(resolve => setTimeout(resolve, 50))
  }

  // ------------------------------------------------------------------ the protocol (serve.ts)

  private get serveHost (): ServeHost {
    return {
      task: this.task, rpc: this.rpc, store: this.store, stats: this.stats, compressor: this.c.compressor, now: this.now, holds: this.holds,
      isLearner: p => this.learners.includes(p),
      headRound: () => this.head.round,
      offer: (from, m) => this.participant.offer(from, m),
      active: () => this.coordinator.active,
      arrived: (from, m) => {
        const rttMs = this.c.mesh.links().find(l => l.peerId === from && l.rttMs != null)?.rttMs
        this.measured.arrived(from, this.now(), { trainMs: m.trainMs, work: (this.draw.joins.get(from)?.samples ?? 1) * this.cfg.localEpochs, bytes: m.body.length, ...(rttMs != null ? { rttMs } : {}) })
      }
    }
  }

  /**
   * The update bodies of a committed round from its coordinator (for recomputation), and the
   * peers among them whose signature does not check (signing.ts): a verifier need not trust the
   * coordinator that the bodies came from the listed participants.
   */
  async fetchRound (round: number, from: string): Promise<{ base: string, updates: RoundUpdate[], badSignatures: string[] }> {
    return await this.store.fetchRound(this.task, round, from)
  }

  get roundRule (): RoundRule { return this.rule }
}
