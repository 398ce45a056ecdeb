/**
 * `LiveLearning`: one peer's side of federated rounds over the live mesh (the shell around
 * collector.ts, schedule.ts, aggregate-round.ts, local-update.ts, model-fetch.ts and rpc.ts). It
 * depends on the components of ports.ts — a `LearningMesh` (what it uses of core/net's MeshNode),
 * a `LearningLedger` (submit and read the committed log) and a trainer — and reports status.ts's.
 *
 * Every `pollMs` it reads the ledger's new committed entries in order (`model.join`: the learners;
 * `model.round`: the first valid one for head + 1 — its coordinator eligible and its draw proof
 * checked, schedule.ts — advances the task's head), joins the task once, fetches the head's
 * weights by hash (refusing weights whose hash differs) and, when the draw makes it the
 * coordinator of the next round, runs that round: select linked learners by measured
 * RTT, send `start`, train its own update, collect updates until all answered or the deadline,
 * aggregate deterministically if at least `minUpdates` arrived, and submit `model.round`. A peer
 * that drops is just missing from the round; a coordinator that drops is replaced after
 * `roundTimeoutMs` (schedule.ts). Every byte sent and received on the protocol is counted.
 */
import { RdpAccountant } from '../accountant.ts'
import { maxRawBodyLength } from '../codec.ts'
import { LiveRoundError } from '../errors.ts'
import { initParams } from '../model.ts'
import { ErrorFeedback } from '../quantize.ts'
import { createRng } from '../rng.ts'
import { aggregateRound, initialServerState, type RoundRule, type ServerAdam } from './aggregate-round.ts'
import { LIVE_PROTOCOL, MAX_ROUND_UPDATES, type Limits, type LiveMessage, type RoundUpdate } from './codec.ts'
import { alterBody, forgeSignature } from './hostile.ts'
import { liveSelect, Measurements, type LiveSelection, type SelectionCandidate } from './select.ts'
import { badRoundSignatures, checkUpdateSignature, signUpdate, updateSigningBytes } from './signing.ts'
import { RoundCollector, type LiveRejectReason } from './collector.ts'
import { KIND_JOIN, KIND_ROUND, readJoinEntry, readRoundEntry, writeJoinEntry, writeRoundEntry, type RoundEntry } from './entries.ts'
import { encodeLocalUpdate } from './local-update.ts'
import { fetchDelta, fetchWeights } from './model-fetch.ts'
import type { LedgerEntryView, LiveLearningComponents, LiveLearningInit, LiveTrainer } from './ports.ts'
import { LiveRpc } from './rpc.ts'
import { DrawState } from './draw-state.ts'
import { coordinatorAt, proveDraw } from './schedule.ts'
import { emptyLiveStats, type CommittedRound, type LiveStats, type LiveStatus } from './status.ts'
import { taskId, type LiveTaskConfig } from './task.ts'
import { bytesToHex, hexToBytes32, weightsHash, weightsToBytes } from './weights.ts'

/** Ledger entries read per page while following the log. */
const LOG_PAGE = 200

export type { LearningMesh, LearningLedger, LedgerEntryView, LiveTrainer, LiveLearningInit, LiveLearningComponents } from './ports.ts'
export type { CommittedRound, LiveStats, LiveStatus } from './status.ts'

const KEEP_MODELS = 6
const KEEP_ROUNDS = 8

export class LiveLearning {
  readonly task: string
  private readonly cfg: LiveTaskConfig
  private readonly now: () => number
  private readonly log: (m: string) => void
  private readonly limits: Limits
  private readonly rule: RoundRule
  private readonly initial: Float32Array
  private readonly initialHash: string
  private readonly models = new Map<string, Float32Array>()
  private readonly roundBodies = new Map<number, { base: string, bodies: RoundUpdate[] }>()
  /** quantised downlink: the delta body that rebuilds the model `hash` from `base` (served on `getDelta`) */
  private readonly deltas = new Map<string, { base: string, body: Uint8Array }>()
  private readonly learners: string[] = []
  /** what this peer measured of the learners as a coordinator (select.ts) */
  private readonly measured = new Measurements()
  /** the coordinator draw (draw-state.ts) */
  private readonly draw: DrawState
  private lastSelection: { round: number, candidates: SelectionCandidate[], estimates: LiveSelection['estimates'] } | null = null
  private readonly history: CommittedRound[] = []
  private readonly feedback = new ErrorFeedback()
  private head = { round: 0, hash: '' }
  private headAt = 0
  private nextSlot = 0
  private nextIndex = 0
  private joined = false
  private joining = false
  private joinRetryAt = 0
  private timer: ReturnType<typeof setTimeout> | undefined
  private running = false
  private ticking = false
  private active: RoundCollector | undefined
  private retryAt = 0
  private fetching: Promise<void> | undefined
  private trainerQueue: Promise<unknown> = Promise.resolve()
  private participating = false
  private readonly evaluating = new Set<number>()
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
    this.rule = { rule: this.cfg.rule, clipMedian: this.cfg.clipMedian, trimFraction: this.cfg.trimFraction, dp: this.cfg.dp, seed: this.cfg.seed, serverOpt: this.cfg.serverOpt ?? null, downBits: this.cfg.downBits ?? 0 }
    this.initial = initParams(this.cfg.model, createRng(this.cfg.seed).fork('init'))
    if (this.initial.length !== size) throw new RangeError(`trainer has ${size} parameters, the task's model ${this.initial.length}`)
    this.initialHash = weightsHash(this.initial)
    this.draw = new DrawState(this.task, this.cfg.minUpdates)
    this.draw.onSeed = () => { this.headAt = this.now() }
    this.head = { round: 0, hash: this.initialHash }
    this.models.set(this.initialHash, this.initial)
  }

  /** `round` (a round committed: detail = CommittedRound) and `evaluated` (its local accuracy known). */
  addEventListener (type: 'round' | 'evaluated', fn: (e: CustomEvent<CommittedRound>) => void): void {
    this.events.addEventListener(type, fn as EventListener)
  }

  async start (): Promise<void> {
    if (this.running) return
    this.running = true
    const frame = (MAX_ROUND_UPDATES + 1) * (this.limits.maxUpdateBytes + 256) + this.limits.maxModelBytes
    await this.c.mesh.handle(LIVE_PROTOCOL, async (req, ctx) => await this.serve(req, ctx.peerId), { maxFrameSize: frame })
    this.headAt = this.now()
    this.schedule()
  }

  async stop (): Promise<void> {
    if (!this.running) return
    this.running = false
    clearTimeout(this.timer)
    await this.c.mesh.unhandle(LIVE_PROTOCOL).catch(() => {})
    await this.trainerQueue.catch(() => {})
  }

  status (): LiveStatus {
    return {
      task: this.task, peerId: this.c.mesh.peerId, learners: [...this.learners], order: this.draw.order(), joined: this.joined,
      measured: this.measured.all(), selection: this.lastSelection == null ? null : structuredClone(this.lastSelection),
      round: this.head.round, hash: this.head.hash, held: this.models.has(this.head.hash),
      rounds: this.history.map(r => ({ ...r })), stats: structuredClone(this.stats)
    }
  }

  /** The weights with this hash, when held. */
  weights (hash: string = this.head.hash): Float32Array | undefined { return this.models.get(hash) }

  // ------------------------------------------------------------------ the loop

  private schedule (): void {
    if (!this.running) return
    this.timer = setTimeout(() => {
      if (this.ticking) { this.schedule(); return }
      this.ticking = true
      this.tick().catch(err => { this.log(`tick failed: ${errText(err)}`) }).finally(() => { this.ticking = false; this.schedule() })
    }, this.init.pollMs ?? 200)
  }

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
    // every committed round whose weights are held (fetched, trained from, or aggregated here) is evaluated once
    for (const r of this.history) {
      if (r.localAccuracy != null || this.evaluating.has(r.round) || !this.models.has(r.hash)) continue
      this.evaluating.add(r.round)
      this.evaluate(r).catch(err => { this.log(`evaluating round ${r.round}: ${errText(err)}`) }).finally(() => { this.evaluating.delete(r.round) })
    }
    if (!this.models.has(this.head.hash) || (this.headState() != null && !this.models.has(this.headState() as string))) { this.fetchHead(); return }
    if (this.active != null || now < this.retryAt) return
    if (this.head.round >= (this.init.rounds ?? Infinity)) return
    if (this.learners.length < (this.init.minLearners ?? 1) || !this.draw.ready) return
    const order = this.draw.order()
    const me = coordinatorAt(order, now - this.headAt, this.init.roundTimeoutMs ?? 2 * this.cfg.deadlineMs + 20_000)
    if (me === this.c.mesh.peerId) void this.coordinate().catch(err => { this.log(`round ${this.head.round + 1} failed: ${errText(err)}`) })
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
      } else if (e.kind === KIND_ROUND) {
        const r = readRoundEntry(e.data)
        if (r.task !== this.task) return
        if (r.round !== this.head.round + 1 || r.base !== this.head.hash || !sameServerOpt(r.serverOpt, this.rule.serverOpt ?? null)) { this.stats.ignoredRounds++; return }
        if (!this.draw.commit(r.round, e.slot, r.coordinator, r.draw)) { this.stats.badDraws++; this.log(`round ${r.round} by ${r.coordinator} at slot ${e.slot} refused: not drawn (ineligible or a bad draw proof)`); return }
        this.head = { round: r.round, hash: r.hash }
        this.headAt = this.now()
        const committed: CommittedRound = { ...r, slot: e.slot, localAccuracy: null, localLoss: null }
        this.history.push(committed)
        if (this.active != null && this.active.round <= r.round) this.active = undefined
        this.events.dispatchEvent(new CustomEvent('round', { detail: committed }))
      }
    } catch (err) {
      this.log(`entry at slot ${e.slot} ignored: ${errText(err)}`)
    }
  }

  private join (): void {
    this.joining = true
    this.c.ledger.submit({ kind: KIND_JOIN, data: writeJoinEntry({ task: this.task, samples: this.init.train.n, vrf: bytesToHex(this.c.identity.vrfPublic) }) }, { timeoutMs: 30_000 })
      .catch(err => { this.log(`join: ${errText(err)}`); this.joinRetryAt = this.now() + 2000 })
      .finally(() => { this.joining = false })
  }

  // ------------------------------------------------------------------ weights by hash

  /** The hash of the head's FedAdam server state (null for FedAvg, and before round 1: zeros). */
  private headState (): string | null {
    const last = this.history.at(-1)
    return last != null && last.hash === this.head.hash ? last.state : null
  }

  /** The server state the next round starts from (zeros before round 1), when held. */
  serverState (): Float32Array | null | undefined {
    const h = this.headState()
    if (this.cfg.serverOpt == null) return null
    return h == null ? initialServerState(this.rule, this.c.trainer.size) : this.models.get(h)
  }

  private fetchHead (): void {
    if (this.fetching != null) return
    const hash = this.head.hash
    const state = this.headState()
    const last = this.history.at(-1)
    const sources = (last != null && last.hash === hash ? [last.coordinator, ...last.participants, ...this.learners] : this.learners).filter(p => p !== this.c.mesh.peerId)
    // quantised downlink: a peer holding the previous model fetches only the round's delta
    const viaDelta = (this.cfg.downBits ?? 0) > 0 && last != null && last.hash === hash && this.models.has(last.base)
    this.fetching = (viaDelta ? this.fetchByDelta(hash, (last as CommittedRound).base, sources) : this.fetchModel(hash, sources))
      .then(async () => { if (state != null) await this.fetchModel(state, sources, 2 * this.c.trainer.size) })
      .catch(err => { this.log(`model ${hash.slice(0, 12)}: ${errText(err)}`) })
      .finally(() => { this.fetching = undefined })
  }

  /** Fetches weights (or a server state: `size` 2n) by hash from the first of `peers` that has them; refuses any that hash otherwise. */
  async fetchModel (hash: string, peers: readonly string[], size = this.c.trainer.size): Promise<Float32Array> {
    const held = this.models.get(hash)
    if (held != null) return held
    let lastErr: unknown = new LiveRoundError(`no peer to fetch model ${hash.slice(0, 12)} from`)
    for (const peer of peers) {
      try {
        const w = await fetchWeights(this.rpc, peer, hash, { size, maxModelBytes: this.limits.maxModelBytes, compressor: this.c.compressor, stats: this.stats })
        this.stats.fullFetches++
        this.keepModel(hash, w)
        return w
      } catch (err) { lastErr = err }
    }
    throw lastErr
  }

  /** The model `hash` rebuilt from the held `baseHash` and its delta (the first peer that serves one that checks); else fetched whole. */
  private async fetchByDelta (hash: string, baseHash: string, peers: readonly string[]): Promise<Float32Array> {
    const base = this.models.get(baseHash)
    if (base != null) {
      for (const peer of peers) {
        try {
          const got = await fetchDelta(this.rpc, peer, hash, base, baseHash, { maxUpdateBytes: this.limits.maxUpdateBytes, compressor: this.c.compressor, stats: this.stats })
          this.stats.deltaFetches++
          this.keepDelta(hash, baseHash, got.body)
          this.keepModel(hash, got.weights)
          return got.weights
        } catch (err) { this.log(`delta ${hash.slice(0, 12)} from ${peer}: ${errText(err)}`) }
      }
    }
    return await this.fetchModel(hash, peers)
  }

  private keepDelta (hash: string, base: string, body: Uint8Array): void {
    this.deltas.set(hash, { base, body })
    while (this.deltas.size > KEEP_MODELS) this.deltas.delete(this.deltas.keys().next().value as string)
  }

  private keepModel (hash: string, w: Float32Array): void {
    this.models.set(hash, w)
    const recent = this.history.slice(-KEEP_MODELS)
    const keep = new Set([this.initialHash, this.head.hash, ...recent.map(r => r.hash), ...recent.map(r => r.state).filter((s): s is string => s != null)])
    for (const h of this.models.keys()) if (!keep.has(h) && this.models.size > 2 * KEEP_MODELS + 2) this.models.delete(h)
  }

  private async evaluate (r: CommittedRound): Promise<void> {
    const w = this.models.get(r.hash)
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

  /**
   * The round's learners: every linked learner (and this peer) by measured RTT, at most 32; with
   * `perRound` > 0 and more candidates, `perRound` of them drawn by TCS-FEEL on measured facts
   * (select.ts) from the task's seeded stream. `maxInclusion` is the DP sampling rate.
   */
  private select (round: number, baseHash: string): { selected: Array<{ peer: string, rttMs: number }>, maxInclusion: number } {
    const rtt = new Map<string, number>()
    for (const l of this.c.mesh.links()) {
      if (l.limited || !this.learners.includes(l.peerId)) continue
      const v = l.rttMs ?? Number.MAX_SAFE_INTEGER
      rtt.set(l.peerId, Math.min(rtt.get(l.peerId) ?? Infinity, v))
    }
    if (this.learners.includes(this.c.mesh.peerId)) rtt.set(this.c.mesh.peerId, 0)
    const ranked = [...rtt.entries()].map(([peer, rttMs]) => ({ peer, rttMs })).sort((a, b) => a.rttMs - b.rttMs || (a.peer < b.peer ? -1 : 1)).slice(0, MAX_ROUND_UPDATES)
    const everyone = Math.min(1, ranked.length / Math.max(1, this.learners.length))
    if (this.cfg.perRound <= 0 || ranked.length <= this.cfg.perRound) return { selected: ranked, maxInclusion: everyone }
    const cands = ranked.map(r => ({ peer: r.peer, samples: this.draw.joins.get(r.peer)?.samples ?? 1, ...(r.rttMs !== Number.MAX_SAFE_INTEGER ? { rttMs: r.rttMs } : {}), ...this.measured.get(r.peer) }))
    const updateBytes = Math.ceil(this.c.trainer.size * (this.cfg.quantizeBits > 0 ? this.cfg.quantizeBits : 32) / 8 * Math.min(1, this.cfg.topK))
    const s = liveSelect(cands, this.cfg.perRound, createRng(this.cfg.seed).fork(`select:${round}:${baseHash}`), { epochs: this.cfg.localEpochs, updateBytes })
    this.lastSelection = { round, candidates: cands, estimates: s.estimates }
    const picked = new Set(s.selected)
    // the selected learners keep the RTT order (the order `start` goes out in)
    return { selected: ranked.filter(r => picked.has(r.peer)), maxInclusion: Math.min(1, s.maxInclusion * ranked.length / Math.max(1, this.learners.length)) }
  }

  private async coordinate (): Promise<void> {
    const round = this.head.round + 1
    const baseHash = this.head.hash
    const base = this.models.get(baseHash)
    const seed = this.draw.nextRoundSeed
    const state = this.serverState()
    if (base == null || seed == null || state === undefined) return
    const draw = bytesToHex(proveDraw(this.c.identity.vrfSecret, this.task, round, seed))
    const { selected, maxInclusion } = this.select(round, baseHash)
    const deadline = this.now() + this.cfg.deadlineMs
    const collector = new RoundCollector(round, baseHash, selected.map(s => s.peer), deadline, { size: this.c.trainer.size, rule: this.rule, compressor: this.c.compressor })
    this.active = collector
    this.stats.roundsCoordinated++
    this.log(`round ${round}: coordinating, selected ${selected.map(s => `${s.peer.slice(-6)}(${s.rttMs === Number.MAX_SAFE_INTEGER ? '?' : s.rttMs}ms)`).join(' ')}`)
    const start: LiveMessage = { type: 'start', task: this.task, round, base: hexToBytes32(baseHash), deadlineMs: this.cfg.deadlineMs }
    for (const { peer } of selected) {
      if (peer === this.c.mesh.peerId) {
        this.trainUpdate(round, baseHash, base)
          .then(async ({ body, trainMs }) => {
            this.measured.own(peer, trainMs, this.init.train.n * this.cfg.localEpochs)
            const own = this.ownBody(round, baseHash, body)
            collector.receive(peer, own, await signUpdate(this.c.identity, this.task, round, hexToBytes32(baseHash), own), true, this.now())
          })
          .catch(err => { this.log(`own update: ${errText(err)}`); collector.gaveUp(peer) })
        continue
      }
      this.measured.started(peer, this.now())
      this.rpc.call(peer, start, 1024).then(a => { if (a.type !== 'ok') collector.gaveUp(peer) }, err => { this.log(`start to ${peer}: ${errText(err)}`); collector.gaveUp(peer) })
    }
    await this.waitUntil(() => !this.running || this.active !== collector || collector.done(this.now()))
    for (const [k, v] of Object.entries(collector.rejected)) this.stats.rejected[k as LiveRejectReason] += v
    if (this.active !== collector || !this.running) return
    const admitted = collector.admitted()
    if (admitted.length < this.cfg.minUpdates) {
      this.stats.roundsFailed++
      this.log(`round ${round}: ${admitted.length} update(s) by the deadline, ${this.cfg.minUpdates} needed; not committed`)
      this.active = undefined
      this.retryAt = this.now() + 1000
      return
    }
    const out = aggregateRound(base, admitted, this.rule, round, baseHash, state, this.c.compressor)
    const next = out.weights
    const hash = weightsHash(next)
    const stateHash = out.state != null ? weightsHash(out.state) : null
    if (out.state != null && stateHash != null) this.keepModel(stateHash, out.state)
    this.keepModel(hash, next)
    if (out.delta != null) this.keepDelta(hash, baseHash, out.delta)
    this.roundBodies.set(round, { base: baseHash, bodies: collector.bodies() })
    for (const r of this.roundBodies.keys()) if (r <= round - KEEP_ROUNDS) this.roundBodies.delete(r)
    const metrics = await this.withTrainer(async t => { t.setWeights(next); return await t.evaluate(this.init.test) })
    const entry: RoundEntry = {
      task: this.task, round, coordinator: this.c.mesh.peerId, participants: collector.bodies().map(b => b.peer),
      rule: this.cfg.rule, clipMedian: this.cfg.clipMedian, dp: this.cfg.dp, epsilon: this.epsilon(round, maxInclusion),
      base: baseHash, hash, samples: admitted.reduce((s, a) => s + a.samples, 0), accuracy: round6(metrics.accuracy), draw,
      serverOpt: this.cfg.serverOpt ?? null, state: stateHash
    }
    try {
      await this.c.ledger.submit({ kind: KIND_ROUND, data: writeRoundEntry(entry) }, { timeoutMs: 30_000 })
    } catch (err) {
      this.log(`round ${round}: commit failed: ${errText(err)}`)
      if (this.active === collector) { this.active = undefined; this.retryAt = this.now() + 1000 }
    }
  }

  /**
   * ε after `round` rounds at sampling rate q (RDP accountant), null without DP: q = m / learners
   * when every linked learner takes part, min(1, m · max p) · linked / learners under TCS-FEEL.
   */
  private epsilon (round: number, q: number): number | null {
    // without noise there is no finite ε to report
    if (this.cfg.dp == null || this.cfg.dp.sigma <= 0) return null
    const acc = new RdpAccountant(this.cfg.dp.delta)
    acc.step(Math.min(1, q), this.cfg.dp.sigma, round)
    return round6(acc.epsilon())
  }

  private async waitUntil (cond: () => boolean): Promise<void> {
    while (!cond()) await new Promise(resolve => setTimeout(resolve, 50))
  }

  // ------------------------------------------------------------------ participating

  /** Trains from `base` on this peer's data and encodes the update (DP clip, top-k, quantisation, LZ4). */
  private async trainUpdate (round: number, baseHash: string, base: Float32Array): Promise<{ body: Uint8Array, trainMs: number }> {
    const rng = createRng(this.cfg.seed).fork(`peer:${this.c.mesh.peerId}:round:${round}`)
    let trainMs = 0
    const w = await this.withTrainer(async t => {
      t.setWeights(base)
      const t0 = this.now()
      await t.train(this.init.train, { epochs: this.cfg.localEpochs, batchSize: this.cfg.batchSize, learningRate: this.cfg.learningRate }, rng.fork('train'))
      trainMs = Math.max(0, Math.round(this.now() - t0))
      return await t.getWeights()
    })
    const body = encodeLocalUpdate(base, w, this.cfg, this.feedback, { round, samples: this.init.train.n, rng, compressor: this.c.compressor })
    this.stats.updatesSent++
    return { body, trainMs }
  }

  /** This peer's own update as its coordinator admits it (a hostile peer's in-round body instead). */
  private ownBody (round: number, baseHash: string, body: Uint8Array): Uint8Array {
    const sends = this.c.hostile?.({ round, base: hexToBytes32(baseHash), size: this.c.trainer.size })
    return sends?.filter(s => bytesToHex(s.base) === baseHash && s.forge == null).at(-1)?.body ?? body
  }

  private async participate (coordinator: string, m: Extract<LiveMessage, { type: 'start' }>): Promise<void> {
    this.participating = true
    try {
      const baseHash = bytesToHex(m.base)
      // the start usually comes right after the base's commit: let this peer's own follow of the
      // ledger fetch it (by delta where it can) rather than fetching it whole here at once
      const until = this.now() + Math.min(10_000, this.cfg.deadlineMs / 2)
      await this.waitUntil(() => this.models.has(baseHash) || this.now() >= until || !this.running)
      const base = await this.fetchModel(baseHash, [coordinator])
      const { body, trainMs } = await this.trainUpdate(m.round, baseHash, base)
      const sends = this.c.hostile?.({ round: m.round, base: m.base, size: this.c.trainer.size }) ?? [{ base: m.base, body }]
      for (const s of sends) {
        const signed = updateSigningBytes(this.task, m.round, s.base, s.body)
        const sig = s.forge === 'forged' ? forgeSignature(signed) : await this.c.identity.sign(signed)
        const sent = s.forge === 'altered' ? alterBody(s.body) : s.body
        // a refusal is an error from call(): logged, and a hostile peer goes on with its next send
        await this.rpc.call(coordinator, { type: 'update', task: this.task, round: m.round, base: s.base, trainMs, body: sent, sig }, 1024)
          .catch(err => { this.log(`round ${m.round}: update refused by ${coordinator}: ${errText(err)}`) })
      }
    } catch (err) {
      this.log(`round ${m.round}: ${errText(err)}`)
    } finally {
      this.participating = false
    }
  }

  // ------------------------------------------------------------------ the protocol

  private async serve (req: Uint8Array, from: string): Promise<Uint8Array> {
    const read = this.rpc.readRequest(req)
    if ('refusal' in read) return read.refusal
    const m = read.message
    const refuse = (reason: string): Uint8Array => this.rpc.answer({ type: 'refuse', reason })
    switch (m.type) {
      case 'start': {
        if (m.task !== this.task) return refuse('another task')
        if (!this.learners.includes(from)) return refuse('coordinator is not a learner of the task')
        if (m.round <= this.head.round) return refuse(`round ${m.round} is already committed`)
        if (this.participating) return refuse('busy with another round')
        void this.participate(from, m)
        return this.rpc.answer({ type: 'ok' })
      }
      case 'update': {
        const col = this.active
        if (m.task !== this.task || col == null || col.round !== m.round || col.baseHash !== bytesToHex(m.base)) {
          this.stats.rejected['wrong-round']++
          return refuse('no such round in progress')
        }
        // cheap checks first, the signature last (it is the costly one)
        const pre = col.precheck(from, this.now())
        const signed = pre == null && await checkUpdateSignature(from, this.task, m.round, m.base, m.body, m.sig)
        const why = col.receive(from, m.body, m.sig, signed, this.now())
        if (why == null) {
          const rttMs = this.c.mesh.links().find(l => l.peerId === from && l.rttMs != null)?.rttMs
          this.measured.arrived(from, this.now(), { trainMs: m.trainMs, work: (this.draw.joins.get(from)?.samples ?? 1) * this.cfg.localEpochs, bytes: m.body.length, ...(rttMs != null ? { rttMs } : {}) })
        }
        return why == null ? this.rpc.answer({ type: 'ok' }) : refuse(why)
      }
      case 'getModel': {
        const hash = bytesToHex(m.hash)
        const w = this.models.get(hash)
        if (w == null) return refuse('model not held')
        const raw = weightsToBytes(w)
        const z = this.c.compressor?.compress(raw)
        return this.rpc.answer(z != null && z.length < raw.length ? { type: 'model', hash: m.hash, lz4: true, bytes: z } : { type: 'model', hash: m.hash, lz4: false, bytes: raw })
      }
      case 'getDelta': {
        const d = this.deltas.get(bytesToHex(m.hash))
        if (d == null) return refuse('delta not held')
        return this.rpc.answer({ type: 'delta', hash: m.hash, base: hexToBytes32(d.base), body: d.body })
      }
      case 'getRound': {
        const r = this.roundBodies.get(m.round)
        if (m.task !== this.task || r == null) return refuse('round not held')
        return this.rpc.answer({ type: 'round', round: m.round, base: hexToBytes32(r.base), updates: r.bodies })
      }
      default: return refuse(`unexpected ${m.type}`)
    }
  }

  /**
   * The update bodies of a committed round from its coordinator (for recomputation), and the
   * peers among them whose signature does not check (signing.ts): a verifier need not trust the
   * coordinator that the bodies came from the listed participants.
   */
  async fetchRound (round: number, from: string): Promise<{ base: string, updates: RoundUpdate[], badSignatures: string[] }> {
    const local = this.roundBodies.get(round)
    let got: { base: string, updates: RoundUpdate[] }
    if (local != null) {
      got = { base: local.base, updates: local.bodies }
    } else {
      const a = await this.rpc.call(from, { type: 'getRound', task: this.task, round }, (MAX_ROUND_UPDATES + 1) * (this.limits.maxUpdateBytes + 256))
      if (a.type !== 'round' || a.round !== round) throw new LiveRoundError(`unexpected ${a.type} answer`)
      got = { base: bytesToHex(a.base), updates: a.updates }
    }
    return { ...got, badSignatures: await badRoundSignatures(this.task, round, hexToBytes32(got.base), got.updates) }
  }

  get roundRule (): RoundRule { return this.rule }
}

function sameServerOpt (a: ServerAdam | null, b: ServerAdam | null): boolean {
  return a === b || (a != null && b != null && a.learningRate === b.learningRate && a.beta1 === b.beta1 && a.beta2 === b.beta2 && a.tau === b.tau)
}

function round6 (v: number): number { return Math.round(v * 1e6) / 1e6 }

function errText (err: unknown): string { return err instanceof Error ? `${err.name}: ${err.message}` : String(err) }
