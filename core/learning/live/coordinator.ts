/**
 * The coordinator's side of a round (for one `LiveLearning`, service.ts, which decides when this
 * peer coordinates): dial the joined learners it has no direct link to yet (links.ts, bounded),
 * select linked learners (round-plan.ts), send `start`, train its own update (participant.ts),
 * collect updates (collector.ts) until no further one can come — every selected peer answered, or
 * left the mesh (liveness.ts) or did not answer a probe after its bootstrap unlisted it
 * (probes.ts) — or the deadline, aggregate deterministically (aggregate-round.ts) if at least
 * `minUpdates` arrived, and submit `model.round`. A round that closes short, or whose commit
 * fails, is retried after `RETRY_MS`. Every phase's end is recorded (`stats.coordinated`).
 */
import { errorText } from '../errors.ts'
import { aggregateRound, type RoundRule } from './aggregate-round.ts'
import { headCarry, PendingCarry } from './carry.ts'
import type { Compressor } from '../codec.ts'
import type { HeldModel, LiveMessage } from './codec.ts'
import { RoundCollector } from './collector.ts'
import type { DrawState } from './draw-state.ts'
import { KIND_ROUND, writeRoundEntry, type RoundEntry } from './entries.ts'
import type { LateUpdates } from './late-update.ts'
import type { LearnerLinks } from './links.ts'
import type { PeerLiveness } from './liveness.ts'
import type { ModelStore } from './model-store.ts'
import type { Participant } from './participant.ts'
import type { LiveLearningComponents, LiveLearningInit, LiveTrainer } from './ports.ts'
import type { DeathProbes } from './probes.ts'
import { roundEpsilon, selectRound, type RoundSelection } from './round-plan.ts'
import type { LiveRpc } from './rpc.ts'
import { proveDraw } from './schedule.ts'
import type { Measurements } from './select.ts'
import { signUpdate } from './signing.ts'
import { keepRecord, type CommittedRound, type CoordinatedRecord, type LiveStats } from './status.ts'
import type { LiveTaskConfig } from './task.ts'
import { bytesToHex, hexToBytes32, weightsHash, weightsToBytes } from './weights.ts'

/** a round that closed short of `minUpdates`, or whose commit failed, is retried after this long */
export const RETRY_MS = 1000
/** stragglers are cut no sooner than this past the median admitted update's time */
export const STRAGGLER_SLACK_MS = 250
/** the longest a coordinator's own training waits for its `start`s to be answered (startAll) */
export const OWN_TRAIN_WAIT_MS = 1000
/** once half the `start`s are answered, the coordinator's own training waits at least this much more for the rest (startsAnswered) */
export const STARTS_SLACK_MS = 50
/**
 * the longest a coordinator waits, from its turn's beginning (its dial included), to hold the base
 * so that its `start`s carry the base's delta (participant.ts): every learner then has the base
 * with its `start` instead of fetching the same delta from the last coordinator at once. Past it
 * the `start`s go without, and the learners fetch the base themselves, as before
 */
export const START_DELTA_WAIT_MS = 1000

/** how many participants a coordinator hands its new model to before its commit (handOver) */
export const HANDOVER_PEERS = 2

/**
 * How long a coordinator's commit waits for a participant to acknowledge holding the new model
 * (handOver): 4 × the slowest asked link's measured RTT + 500 ms for the rebuild under load, at
 * most 3 s.
 */
export function handoverWaitMs (rttMs: number): number {
  return Math.min(3000, 500 + 4 * Math.max(0, rttMs))
}

type StartMessage = Extract<LiveMessage, { type: 'start' }>

/** What a coordinator hands over before its commit (handOver): the new model (by delta when it has one) and its server state. */
export interface HandOver {
  round: number
  hash: string
  baseHash: string
  delta: Uint8Array | null | undefined
  weights: Float32Array
  state: { hash: string, values: Float32Array } | null
}

/** The `hold` of a hand-over: the delta when there is one, else the whole weights; the server state whole; each LZ4-framed when that is smaller. */
export function holdMessage (task: string, h: HandOver, compressor: Compressor | undefined): Extract<LiveMessage, { type: 'hold' }> {
  const pack = (w: Float32Array): { lz4: boolean, bytes: Uint8Array } => {
    const raw = weightsToBytes(w)
    const z = compressor?.compress(raw)
    return z != null && z.length < raw.length ? { lz4: true, bytes: z } : { lz4: false, bytes: raw }
  }
  const model: HeldModel = h.delta != null ? { kind: 'delta', body: h.delta } : { kind: 'whole', ...pack(h.weights) }
  return { type: 'hold', task, round: h.round, hash: hexToBytes32(h.hash), base: hexToBytes32(h.baseHash), model, ...(h.state != null ? { state: { hash: hexToBytes32(h.state.hash), ...pack(h.state.values) } } : {}) }
}

export interface CoordinatorDeps {
  task: string
  cfg: LiveTaskConfig
  init: LiveLearningInit
  c: LiveLearningComponents
  rule: RoundRule
  store: ModelStore
  stats: LiveStats
  /** what this peer measured of the learners as a coordinator (select.ts) */
  measured: Measurements
  links: LearnerLinks
  probes: DeathProbes
  /** selected learners whose update is late, pinged (late-update.ts) */
  lateUpdates: LateUpdates
  liveness: PeerLiveness
  draw: DrawState
  participant: Participant
  rpc: LiveRpc
  now: () => number
  log: (m: string) => void
  running: () => boolean
  head: () => { round: number, hash: string }
  /** when this peer applied the head (its clock) */
  headAt: () => number
  history: () => readonly CommittedRound[]
  learners: () => readonly string[]
  /** the server state the next round starts from: null without one, undefined while not held */
  serverState: () => Float32Array | null | undefined
  /** whether the head's weights (and server state) are held, and whether their last fetch failed at every source (head-sync.ts) */
  headHeld: () => boolean
  headFailed: () => boolean
  withTrainer: <T>(fn: (t: LiveTrainer) => Promise<T>) => Promise<T>
  waitUntil: (cond: () => boolean) => Promise<void>
  /** reads the mesh's open links and view into `liveness` */
  observeMesh: () => void
  /** learners not worth a dial now (gone, probed dead, unlisted by their bootstrap) */
  notWorthDialling: () => (peer: string) => boolean
  /** what this peer's turn spent since it applied the head (status.ts `CoordinatedRecord.turn`) */
  turn: () => NonNullable<CoordinatedRecord['turn']>
}

export class RoundCoordinator {
  /** the round being collected, if any (serve.ts hands it the updates) */
  active: RoundCollector | undefined
  /** no new round before this (after one closed short or failed to commit) */
  retryAt = 0
  /** the last TCS-FEEL draw (status) */
  lastSelection: RoundSelection['draw'] = null

  constructor (private readonly d: CoordinatorDeps) {}

  /**
   * Runs the next round; `takeover` says why this peer does when it is not first in the draw. It
   * begins without the base's weights: they are needed only to train this peer's own update and to
   * aggregate, so they are fetched (head-sync.ts) while the round is dialled, selected and started
   * (`baseReady`). Waiting for them first put the fetch from the last coordinator — answering every
   * learner's fetch of the same delta at once — on every round's path: 0.4–4.6 s of a slow turn at
   * load 20–40 (docs/learning.md, "Slow coordinator turns").
   */
  async run (takeover: string | null): Promise<void> {
    const { d } = this
    const { round: head, hash: baseHash } = d.head()
    const round = head + 1
    const seed = d.draw.nextRoundSeed
    if (seed == null) return
    const beganAt = d.now()
    const baseAt = d.headAt()
    const turn = d.turn()
    // the residual the last round carried (carry.ts), fetched from its coordinator while this round runs
    const history = d.history()
    const last = history.at(-1)
    const carry = new PendingCarry(d.rule.downFeedback === true ? headCarry(history, d.head()) : null, async h => await d.store.fetchCarry(h, [(last as CommittedRound).coordinator]), d.now)
    const ready = this.baseReady(baseHash)
    await this.dial(round)
    // the base's delta goes with the starts when held in time (START_DELTA_WAIT_MS from the turn's beginning, the dial's time included)
    await settledWithin(ready, beganAt + START_DELTA_WAIT_MS - d.now())
    // the round may have committed elsewhere meanwhile
    if (!d.running() || d.head().round + 1 !== round || d.head().hash !== baseHash) return
    const draw = bytesToHex(proveDraw(d.c.identity.vrfSecret, d.task, round, seed))
    d.observeMesh()
    const dead = (p: string): boolean => d.liveness.gone(p) || d.probes.dead(p)
    const { selected, maxInclusion, draw: tcs } = selectRound(d.cfg, round, baseHash, {
      self: d.c.mesh.peerId, learners: d.learners(), links: d.c.mesh.links(), size: d.c.trainer.size,
      samples: p => d.draw.joins.get(p)?.samples, measured: p => d.measured.get(p), dead
    })
    const deadLinked = d.c.mesh.links().filter(l => !l.limited && dead(l.peerId) && d.learners().includes(l.peerId)).length
    if (tcs != null) this.lastSelection = tcs
    const openedAt = d.now()
    const factor = d.init.stragglerFactor ?? 0
    const straggler = factor > 0 ? { openedAt, minAdmitted: stragglerQuorum(selected.length, d.cfg.minUpdates), factor, slackMs: STRAGGLER_SLACK_MS } : undefined
    const collector = new RoundCollector(round, baseHash, selected.map(s => s.peer), openedAt + d.cfg.deadlineMs, { size: d.c.trainer.size, rule: d.rule, compressor: d.c.compressor, ...(straggler != null ? { straggler } : {}) })
    this.active = collector
    d.stats.roundsCoordinated++
    const record: CoordinatedRecord = { round, takeover: takeover != null, ...(takeover != null ? { takeoverWhy: takeover } : {}), baseAt, beganAt, turn, selectedAt: d.now(), selected: selected.length, ...(deadLinked > 0 ? { deadLeftOut: deadLinked } : {}) }
    keepRecord(d.stats.coordinated, record)
    if (takeover != null) { d.stats.takeovers++; d.log(`round ${round}: taking over (${takeover})`) }
    d.log(`round ${round}: coordinating, selected ${selected.map(s => `${s.peer.slice(-6)}(${s.rttMs === Number.MAX_SAFE_INTEGER ? '?' : s.rttMs}ms)`).join(' ')}`)
    // every source of the base failed: the round cannot be aggregated here; it ends at once and the next tick passes the turn (turns.ts)
    void ready.then(got => {
      if (got != null) { record.baseHeldAt = got.at; return }
      if (this.active !== collector) return
      d.stats.roundsFailed++
      d.log(`round ${round}: the base ${baseHash.slice(0, 12)} could not be fetched; not committed`)
      this.active = undefined
    })
    this.startAll(collector, selected.map(s => s.peer), ready, record)
    const opened = d.now()
    await this.collect(collector, opened)
    if (this.active !== collector || !d.running()) return
    const admitted = collector.admitted()
    const cut = collector.cut(d.now())
    if (cut.length > 0) {
      d.stats.stragglersCut += cut.length
      d.log(`round ${round}: cut ${cut.length} straggler(s) after ${Math.round(d.now() - opened)} ms: ${cut.map(p => p.slice(-6)).join(' ')}`)
    }
    Object.assign(record, {
      closedAt: d.now(), firstUpdateAt: collector.firstAdmittedAt, lastUpdateAt: collector.lastAdmitted?.at, lastUpdateFrom: collector.lastAdmitted?.peer, admitted: admitted.length,
      lost: d.stats.losses.filter(l => l.round === round && l.openedAt === opened).length, cut: cut.length, atDeadline: cut.length === 0 && collector.pending().length > 0
    })
    d.log(`round ${round}: closed after ${Math.round(d.now() - opened)} ms with ${admitted.length} update(s)${cut.length === 0 && collector.pending().length > 0 ? `, at the deadline (${collector.pending().length} still awaited)` : ''}`)
    if (admitted.length < d.cfg.minUpdates) {
      d.stats.roundsFailed++
      d.log(`round ${round}: ${admitted.length} update(s) by the deadline, ${d.cfg.minUpdates} needed; not committed`)
      this.active = undefined
      this.retryAt = d.now() + RETRY_MS
      return
    }
    const got = await ready
    if (this.active !== collector || !d.running() || got == null) return
    const { base, state } = got
    const carryIn = await carry.wait(async cond => { await d.waitUntil(cond) })
    if (carry.lost) { d.stats.carriesLost++; d.log(`round ${round}: the last round's residual was not fetched${carry.error != null ? ` (${errorText(carry.error)})` : ' in time'}; committing without it`) }
    const out = aggregateRound(base, admitted, d.rule, round, baseHash, state, d.c.compressor, carryIn?.values ?? null)
    const next = out.weights
    const hash = weightsHash(next)
    const stateHash = out.state != null ? weightsHash(out.state) : null
    if (out.state != null && stateHash != null) d.store.keepModel(stateHash, out.state)
    const carryHash = out.carry != null ? weightsHash(out.carry.values) : null
    if (out.carry != null && carryHash != null) d.store.keepCarry(carryHash, out.carry.values, out.carry.body)
    d.store.keepModel(hash, next)
    if (out.delta != null) d.store.keepDelta(hash, baseHash, out.delta)
    d.store.keepRound(round, baseHash, collector.bodies())
    // the new model goes to a participant before the commit, while this peer evaluates it (handOver)
    const handed = this.handOver({ round, hash, baseHash, delta: out.delta, weights: next, state: out.state != null && stateHash != null ? { hash: stateHash, values: out.state } : null }, collector.bodies().map(b => b.peer))
    const metrics = await d.withTrainer(async t => { t.setWeights(next); return await t.evaluate(d.init.test) })
    record.aggregatedAt = d.now()
    const holder = await handed
    record.handedAt = d.now()
    if (holder != null) { d.stats.headsHandedOver++; record.handedTo = holder } else { d.stats.headsNotHandedOver++; d.log(`round ${round}: no participant acknowledged holding the new model ${hash.slice(0, 12)}; committing anyway (it lives only here until fetched)`) }
    const entry: RoundEntry = {
      task: d.task, round, coordinator: d.c.mesh.peerId, participants: collector.bodies().map(b => b.peer),
      rule: d.cfg.rule, clipMedian: d.cfg.clipMedian, dp: d.cfg.dp, epsilon: roundEpsilon(d.cfg.dp, round, maxInclusion),
      base: baseHash, hash, samples: admitted.reduce((s, a) => s + a.samples, 0), accuracy: round6(metrics.accuracy), draw,
      serverOpt: d.cfg.serverOpt ?? null, state: stateHash, carryIn: carryIn?.hash ?? null, carry: carryHash
    }
    try {
      await d.c.ledger.submit({ kind: KIND_ROUND, data: writeRoundEntry(entry) }, { timeoutMs: 30_000 })
      record.committedAt = d.now()
    } catch (err) {
      d.log(`round ${round}: commit failed: ${errorText(err)}`)
      if (this.active === collector) { this.active = undefined; this.retryAt = d.now() + RETRY_MS }
    }
  }

  /**
   * Hands the model about to be committed — its delta from the base with a quantised downlink, else
   * the whole weights (LZ4-framed when smaller) — and its FedAdam server state (whole: the next
   * round starts from it exactly, below) to up to HANDOVER_PEERS participants, those with the
   * lowest measured RTT first, and resolves with the first that acknowledged holding both (holds.ts),
   * or null: none did within `handoverWaitMs(rtt)` of the slowest asked, or there is no other
   * participant. The round's commit waits for it: a coordinator killed right after committing
   * held the only copy of the new head (and of the state), no peer could fetch it, and every later
   * coordinator passed its turn — the task stalled for good (docs/learning.md, "A head no peer
   * holds"). No acknowledgement does not stop the commit (progress before durability): counted
   * (`stats.headsNotHandedOver`).
   *
   * The server state goes whole, not approximated nor reset: the committed round names it by hash,
   * the next round's step m' = β1·m + (1−β1)·Δ, s' = β2·s + (1−β2)·Δ² starts from exactly it, and a
   * verifier recomputes the next round from it; a new coordinator starting from zeros (or from an
   * older state) would commit rounds that differ from what the dead one's successor would have
   * committed and that no verifier holding the committed state recomputes.
   */
  private async handOver (model: HandOver, participants: readonly string[]): Promise<string | null> {
    const { d } = this
    const self = d.c.mesh.peerId
    const rtt = new Map(d.c.mesh.links().filter(l => !l.limited).map(l => [l.peerId, l.rttMs]))
    const to = participants.filter(p => p !== self && rtt.has(p)).sort((a, b) => (rtt.get(a) as number) - (rtt.get(b) as number)).slice(0, HANDOVER_PEERS)
    if (to.length === 0) return null
    const m = holdMessage(d.task, model, d.c.compressor)
    const waitMs = handoverWaitMs(Math.max(...to.map(p => rtt.get(p) as number)))
    let timer: ReturnType<typeof setTimeout> | undefined
    const acked = new Promise<string | null>(resolve => {
      let failed = 0
      for (const p of to) {
        d.rpc.call(p, m, 1024).then(a => { if (a.type === 'ok') resolve(p); else if (++failed === to.length) resolve(null) },
          err => { d.log(`round ${model.round}: hand-over to ${p}: ${errorText(err)}`); if (++failed === to.length) resolve(null) })
      }
      timer = setTimeout(() => { resolve(null) }, waitMs)
    })
    const holder = await acked
    clearTimeout(timer)
    return holder
  }

  /**
   * The base's weights and the server state once held here (fetched by head-sync.ts), with when; null
   * once their fetch failed at every source, the head moved on, or this peer stopped.
   */
  private async baseReady (baseHash: string): Promise<{ base: Float32Array, state: Float32Array | null, at: number } | null> {
    const { d } = this
    const moved = (): boolean => !d.running() || d.head().hash !== baseHash
    await d.waitUntil(() => moved() || d.headHeld() || d.headFailed())
    const base = d.store.get(baseHash)
    const state = d.serverState()
    if (moved() || base == null || state === undefined) return null
    return { base, state, at: d.now() }
  }

  /** Before selecting: dials the joined learners this peer has no direct link to yet (links.ts), not those gone, probed dead or unlisted. */
  private async dial (round: number): Promise<void> {
    const { d } = this
    const skip = d.notWorthDialling()
    const gone = (p: string): boolean => { d.observeMesh(); return skip(p) }
    const dials = await d.links.ensure(d.learners(), gone, async cond => { await d.waitUntil(() => !d.running() || cond()) })
    // left out: still unlinked after this dial, or after one that failed within LINK_RETRY_MS (here or between rounds)
    const left = d.links.unlinked(d.learners(), gone)
    d.stats.learnersDialled += dials.dialled.length
    d.stats.learnersUnreachable += left.length
    if (dials.dialled.length > 0 || left.length > 0) d.log(`round ${round}: dialled ${dials.dialled.length} unlinked learner(s), ${dials.linked.length} linked${left.length > 0 ? `; left out, still unlinked: ${left.join(' ')}` : ''}`)
  }

  /**
   * Sends `start` to each selected peer (with the base's delta when held), then trains this peer's
   * own update when it is one — once the `start`s are answered (`startsAnswered`: all of them, or
   * half and as long again), at most `OWN_TRAIN_WAIT_MS` after selecting. Training first held the
   * event loop while the starts still had their streams to open: under load one learner's `start`
   * arrived 3.7 s after selection (docs/learning.md, "start delivery").
   */
  private startAll (collector: RoundCollector, selected: readonly string[], ready: Promise<{ base: Float32Array } | null>, record: CoordinatedRecord): void {
    const { d } = this
    const { round, baseHash } = collector
    const self = d.c.mesh.peerId
    const plain: StartMessage = { type: 'start', task: d.task, round, base: hexToBytes32(baseHash), deadlineMs: d.cfg.deadlineMs }
    // the base's delta, when held (aggregated, fetched or handed over here: model-store.ts), goes with the start, except to the peer that aggregated it
    const delta = d.store.delta(baseHash)
    const withDelta: StartMessage = delta != null ? { ...plain, delta: { from: hexToBytes32(delta.base), body: delta.body } } : plain
    const last = d.history().at(-1)
    record.startDelta = delta != null
    const answered: Array<Promise<void>> = []
    for (const peer of selected) {
      if (peer === self) continue
      d.measured.started(peer, d.now())
      const start = last != null && last.hash === baseHash && last.coordinator === peer ? plain : withDelta
      answered.push(d.rpc.call(peer, start, 1024).then(a => { record.firstStartAt ??= d.now(); if (a.type !== 'ok') collector.gaveUp(peer) }, err => { d.log(`start to ${peer}: ${errorText(err)}`); collector.gaveUp(peer) }))
    }
    if (!selected.includes(self)) return
    startsAnswered(answered, d.now)
      .then(async () => {
        const got = await ready
        if (got == null) throw new Error(`the base ${baseHash.slice(0, 12)} could not be fetched`)
        record.ownTrainAfterMs = Math.round(d.now() - record.selectedAt)
        const { body, trainMs } = await d.participant.trainUpdate(round, got.base)
        d.measured.own(self, trainMs, d.init.train.n * d.cfg.localEpochs)
        record.ownTrainMs = Math.round(trainMs)
        const own = d.participant.ownBody(round, baseHash, body)
        collector.receive(self, own, await signUpdate(d.c.identity, d.task, round, hexToBytes32(baseHash), own), true, d.now())
      })
      .catch(err => { d.log(`own update: ${errorText(err)}`); collector.gaveUp(self) })
  }

  /** Waits until no further update can come: a selected peer that left the mesh will not answer. */
  private async collect (collector: RoundCollector, opened: number): Promise<void> {
    const { d } = this
    const self = d.c.mesh.peerId
    await d.waitUntil(() => {
      if (!d.running() || this.active !== collector) return true
      d.observeMesh()
      const awaited = collector.pending().filter(p => p !== self)
      d.probes.check(awaited)
      const r = { round: collector.round, openedAt: opened, admitted: collector.admittedAt, awaited }
      d.lateUpdates.check(r)
      for (const p of awaited) {
        const by = d.liveness.gone(p) ? 'mesh' : d.probes.dead(p) ? 'probe' : d.lateUpdates.silent(p, r) ? 'ping' : null
        if (by == null || !collector.lost(p)) continue
        d.stats.lostParticipants++
        keepRecord(d.stats.losses, { round: collector.round, peer: p, by, openedAt: opened, ...d.liveness.since(p), lostAt: d.now() })
        d.log(`round ${collector.round}: ${p} ${LOST_BY[by]} after it was selected; not waiting for it`)
      }
      return collector.done(d.now())
    })
    d.lateUpdates.closed({ openedAt: opened, admitted: collector.admittedAt }, self)
    for (const [k, v] of Object.entries(collector.rejected)) d.stats.rejected[k as keyof LiveStats['rejected']] += v
  }
}

const LOST_BY = { mesh: 'left the mesh', probe: 'lost its bootstrap link and did not answer a probe', ping: 'sent no update in time and did not answer a ping' } as const

/**
 * The updates a round needs before it may cut its stragglers: more than two thirds of the
 * selected (and `minUpdates`). Not half: hostile learners that answer at once would then close the
 * round on their own quorum and cut the honest ones — with fewer than a third of the selected
 * hostile, more than two thirds admitted keeps them under half of the round, what the robust rules
 * (median, trimmed mean, Krum) tolerate.
 */
export function stragglerQuorum (selected: number, minUpdates: number): number {
  return Math.max(minUpdates, Math.floor((2 * selected) / 3) + 1)
}

/** Resolves once `p` settles or after `ms` (at once when `ms` ≤ 0), whichever is first. */
async function settledWithin (p: Promise<unknown>, ms: number): Promise<void> {
  if (ms <= 0) return
  let timer: ReturnType<typeof setTimeout> | undefined
  await Promise.race([p.then(() => {}, () => {}), new Promise<void>(resolve => { timer = setTimeout(resolve, ms) })])
  clearTimeout(timer)
}

/**
 * When a coordinator's own training may begin (startAll): every `start` answered (or failed); or,
 * once half of them are, as long again as that took (at least STARTS_SLACK_MS); at most
 * OWN_TRAIN_WAIT_MS. Waiting for all of them first cost a whole OWN_TRAIN_WAIT_MS in every round
 * that selected a killed learner (its `start` is never answered): the coordinator's own update
 * then came last, ~1.0–1.2 s into the round, while the live learners' came within ~0.3–0.6 s
 * (kill rounds in docs/learning.md, "The kill round"). The `start`s still unanswered then are
 * the slow or dead half's; their streams are open, and the round waits for their updates anyway.
 */
export async function startsAnswered (calls: ReadonlyArray<Promise<void>>, now: () => number): Promise<void> {
  if (calls.length === 0) return
  const since = now()
  const half = Math.ceil(calls.length / 2)
  const timers: Array<ReturnType<typeof setTimeout>> = []
  await new Promise<void>(resolve => {
    const done = (): void => { for (const t of timers) clearTimeout(t); resolve() }
    timers.push(setTimeout(done, OWN_TRAIN_WAIT_MS))
    let answered = 0
    for (const c of calls) {
      void c.finally(() => {
        answered++
        if (answered === calls.length) done()
        else if (answered === half) timers.push(setTimeout(done, Math.max(STARTS_SLACK_MS, now() - since)))
      })
    }
  })
}

function round6 (v: number): number { return Math.round(v * 1e6) / 1e6 }
