/**
 * The adapter between one epoch's `Replica` (core/consensus, rules unchanged) and the live world.
 *
 * - Logical clock: the engine counts ticks; this shell advances them every `tickMs` of wall time,
 *   but only while there is work (the owner says so through `busy()`: pending microblocks; or the
 *   current slot saw messages in the last 2 s — a DECISION-REQUEST is not work, and neither is a
 *   message about a slot already decided here). An idle ledger neither proposes empty blocks nor
 *   times out views, and a changed tick length never moves time backwards.
 * - A view whose leader stopped answering (the owner's liveness, `leaderGone`) is left at once while
 *   there is work, by bringing the clock to the view's deadline: what the timer would do later
 *   anyway (safe for any view: leaving one is the engine's own rule), without waiting 24 ticks ×
 *   2^view per dead leader. Such skips do not grow the view pacer (a dead leader says nothing about
 *   how long decisions take). The same holds for a leader that answers but let a view lapse
 *   without a proposal accepted here (`leaderLapsed`, `leaderProposed`: mute-leaders.ts).
 * - Inbound engine messages are validated before `receive`: a PROPOSE / NEW-VIEW / DECISION value
 *   must be a block of this epoch whose microblocks all verify (async, by the owner's
 *   `checkValue`); anything else goes to the engine, which checks signatures, VRF proofs and rules.
 * - Actions: `send` → frames to the replicas' peer ids; `timer` → the next tick the engine wants;
 *   `decide` → handed to the owner, which builds the record from `certificateOf`.
 */
import { MSG_COMMIT, MSG_DECISION, MSG_DECISION_REQUEST, MSG_NEW_VIEW, MSG_PREPARE, MSG_PROPOSE, MSG_VIEW_CHANGE, readMessage, type Message } from '../consensus/codec.ts'
import type { ConsensusCrypto, ReplicaKeys } from '../consensus/crypto.ts'
import { Replica, type Action, type SlotCertificate } from '../consensus/replica.ts'
import { leaderOf } from '../consensus/validate.ts'
import type { EpochInfo } from './epochs.ts'
import { inStep, outStep, type SlotTracer } from './slot-trace.ts'

export interface Clock {
  now: () => number
  setTimeout: (fn: () => void, ms: number) => unknown
  clearTimeout: (handle: unknown) => void
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: h => { clearTimeout(h as ReturnType<typeof setTimeout>) }
}

/**
 * Where the time of decisions goes (status().timing, the benchmark), shared by the instances of
 * one peer so it only grows: decisions, the wall ms from the first input of a slot (a message or
 * an offer) to its decision, how often the engine's timer fired (a nudge or a view change: a slot
 * slow to decide), and view changes.
 */
export interface DecisionTiming { decided: number, decideMs: number, engineTimers: number, viewChanges: number, leaderSkips: number, lateVotes: number }

/** How many recent decision durations the tick length is derived from. */
export const RECENT_DECISIONS = 32
export const MIN_TICK_MS = 5
export const MAX_TICK_MS = 100

/**
 * The tick length in ms: clamp(max(2 × p90 of the RTTs to the other replicas, p90 of the recent
 * decision durations / 8), MIN_TICK_MS, MAX_TICK_MS); 20 with no measurement yet. The engine's
 * nudge is 8 ticks and its view-0 timeout 24, so an undecided slot asks its peers after about one
 * typical decision and gives up its view after about three (docs/ledger.md, "Timing").
 */
export function tickLength (rttsMs: readonly number[], decisionsMs: readonly number[], maxMs = MAX_TICK_MS): number {
  const p90 = (xs: readonly number[]): number => {
    const s = [...xs].sort((a, b) => a - b)
    return s[Math.min(s.length - 1, Math.floor(0.9 * s.length))]
  }
  if (rttsMs.length === 0 && decisionsMs.length === 0) return 20
  const fromRtt = rttsMs.length === 0 ? 0 : 2 * p90(rttsMs)
  const fromDecisions = decisionsMs.length === 0 ? 0 : p90(decisionsMs) / 8
  return Math.round(Math.min(maxMs, Math.max(Math.min(MIN_TICK_MS, maxMs), fromRtt, fromDecisions)))
}

export interface LiveReplicaOwner {
  /** counters to add to @default a private set */
  timing?: DecisionTiming
  /** ring of recent decision durations to push to @default a private one */
  recentDecideMs?: number[]
  clock: Clock
  crypto: ConsensusCrypto
  keys: ReplicaKeys
  /** the value to propose at (slot, view): null at view 0 when there is nothing to propose */
  proposalFor: (slot: number, view: number) => Uint8Array | null
  /** work for `slot` that can be done before it starts (VRF proofs of its view 0), off the critical path */
  prewarm?: (slot: number) => void
  /** checks a message's signatures ahead of the engine where the platform's check is async (tabs) */
  preverify?: (message: Uint8Array) => Promise<void>
  /** null when the value is acceptable, else the reason (counted as badValue) */
  checkValue: (value: Uint8Array, kind: 'propose' | 'newView' | 'decision') => Promise<string | null>
  send: (peerIds: string[], message: Uint8Array) => void
  decided: (slot: number, view: number, cert: SlotCertificate) => void
  /** is there work that justifies advancing the clock */
  busy: () => boolean
  tickMs: () => number
  /** `count` more views of this instance ended without a decision (the owner's view-timeout policy, view-pacer.ts) */
  viewChanged?: (count: number) => void
  /** the replica stopped answering (liveness.ts) or leads without proposing (mute-leaders.ts): a view it leads is left at once while there is work */
  leaderGone?: (peerId: string) => boolean
  /** a view this replica's clock ran out (not a skip) ended with no proposal of its leader accepted here */
  leaderLapsed?: (peerId: string) => void
  /** a proposal of this leader was accepted here (we sent our PREPARE in its view) */
  leaderProposed?: (peerId: string) => void
  /** votes that can change nothing here (see `late`) go to the engine, and its VRF and signature checks, anyway (the benchmark's baseline) @default false */
  keepLateVotes?: () => boolean
  /** the slot timeline (slot-trace.ts) @default none */
  trace?: SlotTracer
  reject: (reason: string) => void
}

export class LiveReplica {
  readonly replica: Replica
  readonly index: number
  private ticks = 0
  private wantTick = Infinity
  private timer: unknown
  private stopped = false
  /** wall time of the last inbound message that is work (an undecided slot that saw messages), and its slot */
  lastMessageAt = 0
  private lastMessageSlot = -1
  private readonly timing: DecisionTiming
  /** the last RECENT_DECISIONS decision durations (ms), shared like `timing` */
  private readonly recent: number[]
  private workAt: number | undefined
  private seenViewChanges = 0
  /** the header (view, digest) of our own COMMIT per recent slot (`late`) */
  private readonly ownCommits = new Map<number, { view: number, digest: Uint8Array }>()
  /** view changes made by `skipGoneLeaders` not yet seen by `run` (not reported to the pacer) */
  private skips = 0
  /** the slot and view as the last `run` left them, and the views of that slot we sent a PREPARE in */
  private at = { slot: -1, view: 0 }
  private readonly preparedIn = new Set<number>()

  constructor (readonly epoch: EpochInfo, index: number, firstSlot: number, private readonly owner: LiveReplicaOwner) {
    this.index = index
    this.timing = owner.timing ?? { decided: 0, decideMs: 0, engineTimers: 0, viewChanges: 0, leaderSkips: 0, lateVotes: 0 }
    this.recent = owner.recentDecideMs ?? []
    this.replica = new Replica(
      { id: index, n: epoch.n, f: epoch.f, protocol: epoch.protocol, sampleSize: epoch.sampleSize, quorum: epoch.quorum, firstSlot },
      { keys: owner.keys, identities: epoch.replicas, crypto: owner.crypto, proposalFor: (slot, view) => owner.proposalFor(slot, view) }
    )
  }

  get currentSlot (): number { return this.replica.currentSlot }

  /**
   * Engine messages about this replica's current slot arrived within `ms`, and none ever about a
   * later one: it is deciding along with the others, at the mesh's head (the periodic sync pull
   * is left out then: ledger-node.ts).
   */
  inStep (ms: number): boolean {
    return this.lastMessageSlot === this.replica.currentSlot && this.owner.clock.now() - this.lastMessageAt < ms
  }

  start (): void {
    this.run(this.replica.start(this.ticks))
    this.prewarmNext(this.replica.currentSlot)
  }

  /** After the current macrotask (the decision's sends go out first), unless stopped or past the epoch. */
  private prewarmNext (slot: number): void {
    const prewarm = this.owner.prewarm
    if (prewarm == null || slot >= this.replica.limit) return
    this.owner.clock.setTimeout(() => { if (!this.stopped && slot >= this.replica.currentSlot && slot < this.replica.limit) prewarm(slot) }, 0)
  }

  stop (): void {
    this.stopped = true
    if (this.timer != null) this.owner.clock.clearTimeout(this.timer)
    this.timer = undefined
  }

  /** The owner has something to propose now (the pool gained work). */
  offer (): void {
    this.workAt ??= this.owner.clock.now()
    this.owner.trace?.(this.replica.currentSlot, this.replica.currentView, 'offer')
    if (!this.stopped) this.run(this.replica.offer(this.ticks))
    this.schedule()
  }

  endAt (slot: number): void { this.replica.endAt(slot) }

  /** One engine message from a peer (already checked: sender is a replica of this epoch). */
  async receive (message: Uint8Array): Promise<void> {
    if (this.stopped) return
    let kind: 'propose' | 'newView' | 'decision' | null = null
    let value: Uint8Array | null = null
    let slot = 0
    try {
      const m = readMessage(message)
      slot = slotOf(m)
      if (this.owner.trace != null) this.traceMessage(m, 'in')
      if ((m.type === MSG_PREPARE || m.type === MSG_COMMIT) && this.late(m.type, m.header)) return
      if (m.type === MSG_PROPOSE) { kind = 'propose'; value = m.value }
      else if (m.type === MSG_NEW_VIEW) { kind = 'newView'; value = m.value }
      else if (m.type === MSG_DECISION) { kind = 'decision'; value = m.value }
      // work: anything about a slot not decided here, but a DECISION-REQUEST (an undecided peer
      // asking, e.g. of a slot whose leader has nothing to propose: answering it must not start
      // this replica's clock, or idle replicas keep each other ticking into view changes)
      if (m.type !== MSG_DECISION_REQUEST && slot >= this.replica.currentSlot) {
        this.lastMessageAt = this.owner.clock.now()
        this.lastMessageSlot = Math.max(this.lastMessageSlot, slot)
        this.workAt ??= this.lastMessageAt
      }
    } catch {
      // malformed: the engine counts it under its own reason
    }
    if (this.owner.preverify != null) {
      await this.owner.preverify(message)
      if (this.stopped) return
    }
    if (kind != null && value != null) {
      const why = await this.owner.checkValue(value, kind)
      // a value refused for a slot this replica is already past (e.g. its microblocks are already in
      // the chain: a late peer that synced hears the old slot's messages) is a stale message, not a
      // bad value: honest meshes would otherwise show badValue counts (the n = 20 run's late peers)
      if (why != null) { this.owner.reject(slot < this.replica.currentSlot ? 'stale' : 'badValue'); return }
      if (this.stopped) return
    }
    this.run(this.replica.receive(message, this.ticks))
    this.schedule()
  }

  /**
   * A vote that can change nothing here, yet would cost a VRF check (ProBFT) and a signature check:
   * dropped before the engine and counted (`timing.lateVotes`). Such are a PREPARE or COMMIT of a
   * view (or an earlier one) in which this replica already decided the slot — the decision is
   * final, and a decided replica helps only in later views — and a PREPARE for the very header
   * this replica already sent its COMMIT on (it had its q PREPAREs; more of the same add nothing).
   * A PREPARE for another header of that view still goes to the engine: it is the evidence of an
   * equivocating leader. Each replica gets ~s votes per phase and needs q − 1 of them (n = 16:
   * s = 10, q = 7), so a third or more of them used to be checked for nothing. Lost with them:
   * vote-equivocation evidence that only such a surplus vote would have shown (the replicas still
   * collecting see it).
   */
  private late (type: number, h: { slot: number, view: number, digest: Uint8Array }): boolean {
    if (this.owner.keepLateVotes?.() === true) return false
    const d = this.replica.decisionOf(h.slot)
    const own = this.ownCommits.get(h.slot)
    const late = (d != null && h.view <= d.view) ||
      (type === MSG_PREPARE && own != null && own.view === h.view && sameBytes(own.digest, h.digest))
    if (late) this.timing.lateVotes++
    return late
  }

  private traceMessage (m: Message, way: 'in' | 'out', recipients?: number): void {
    const step = way === 'in' ? inStep(m.type) : outStep(m.type)
    const view = 'header' in m ? m.header.view : m.type === MSG_VIEW_CHANGE ? m.newView : 0
    if (step != null) this.owner.trace?.(slotOf(m), view, step, recipients)
  }

  /** Notes the header of our own COMMIT (the shell sees what the engine sends), for `late`. */
  private noteOwnCommit (bytes: Uint8Array): void {
    try {
      const m = readMessage(bytes)
      if (m.type !== MSG_COMMIT) return
      this.ownCommits.set(m.header.slot, { view: m.header.view, digest: m.header.digest })
      for (const s of this.ownCommits.keys()) if (s < this.replica.currentSlot - 1) this.ownCommits.delete(s)
    } catch {
      // our own engine's bytes: always well-formed
    }
  }

  private run (actions: Action[]): void {
    const vc = this.replica.stats.viewChanges
    if (vc > this.seenViewChanges) {
      const skipped = Math.min(this.skips, vc - this.seenViewChanges)
      const more = vc - this.seenViewChanges - skipped
      this.skips -= skipped
      this.timing.viewChanges += more
      this.timing.leaderSkips += skipped
      this.seenViewChanges = vc
      if (more > 0) this.owner.viewChanged?.(more)
      if (skipped === 0 && more > 0) this.noteLapse()
    }
    if (this.replica.currentSlot !== this.at.slot) this.preparedIn.clear()
    for (const a of actions) {
      if (a.type === 'send') {
        if (this.owner.trace != null) this.traceMessage(readMessage(a.bytes), 'out', a.to.length)
        if (a.kind === MSG_COMMIT) this.noteOwnCommit(a.bytes)
        else if (a.kind === MSG_PREPARE) this.notePrepare(a.bytes)
        this.owner.send(a.to.map(i => this.epoch.replicas[i].peerId), a.bytes)
      }
      else if (a.type === 'timer') this.wantTick = a.at
      else {
        const now = this.owner.clock.now()
        const took = now - (this.workAt ?? now)
        this.owner.trace?.(a.slot, a.view, 'decided')
        this.timing.decided++
        this.timing.decideMs += took
        this.recent.push(took)
        if (this.recent.length > RECENT_DECISIONS) this.recent.shift()
        this.workAt = undefined
        this.prewarmNext(a.slot + 1)
        const cert = this.replica.certificateOf(a.slot)
        if (cert != null) this.owner.decided(a.slot, a.view, cert)
      }
    }
    this.at = { slot: this.replica.currentSlot, view: this.replica.currentView }
  }

  private leaderPeer (slot: number, view: number): string | undefined {
    const i = leaderOf(this.epoch.n, slot, view)
    return i === this.index ? undefined : this.epoch.replicas[i].peerId
  }

  /**
   * The view this replica was in ended on its clock (or others' VIEW-CHANGEs) without a decision:
   * if no proposal of its leader was accepted here, the leader let it lapse (mute-leaders.ts).
   */
  private noteLapse (): void {
    const { slot, view } = this.at
    if (slot !== this.replica.currentSlot || this.replica.currentView <= view || this.preparedIn.has(view)) return
    const leader = this.leaderPeer(slot, view)
    if (leader != null) this.owner.leaderLapsed?.(leader)
  }

  /** Our PREPARE in a view: its leader's proposal was accepted here. */
  private notePrepare (bytes: Uint8Array): void {
    try {
      const m = readMessage(bytes)
      if (m.type !== MSG_PREPARE) return
      if (m.header.slot === this.replica.currentSlot) this.preparedIn.add(m.header.view)
      const leader = this.leaderPeer(m.header.slot, m.header.view)
      if (leader != null) this.owner.leaderProposed?.(leader)
    } catch {
      // our own engine's bytes: always well-formed
    }
  }

  /** Work that justifies advancing the clock: the owner's, or messages about the current slot in the last 2 s. */
  private working (): boolean {
    return this.owner.busy() || (this.lastMessageSlot >= this.replica.currentSlot && this.owner.clock.now() - this.lastMessageAt <= 2000)
  }

  /**
   * While there is work, leaves each view of the current slot whose leader stopped answering, at
   * once (the clock jumps to the view's deadline and the engine's own timer rule starts the view
   * change), up to n views in a row. Otherwise an idle ledger with two dead leaders next in its
   * rotation took 24 + 48 ticks (up to 400 ms each once the pacer doubled) before a live leader's
   * view: 35–60 s in test/ledger/replicas.test.ts.
   */
  private skipGoneLeaders (): void {
    const gone = this.owner.leaderGone
    if (gone == null || !this.working()) return
    const r = this.replica
    for (let i = 0; i < this.epoch.n && !this.stopped; i++) {
      const deadline = r.viewDeadline
      const view = r.currentView
      if (deadline === Infinity || !gone(this.epoch.replicas[leaderOf(this.epoch.n, r.currentSlot, view)].peerId)) return
      const before = r.stats.viewChanges
      this.ticks = Math.max(this.ticks, deadline)
      const actions = r.tick(this.ticks)
      this.skips += r.stats.viewChanges - before
      this.run(actions)
      if (r.currentView === view) return
    }
  }

  /** Keeps one timer running while there is work; the engine's clock is `ticks`. */
  schedule (): void {
    if (this.stopped) return
    this.skipGoneLeaders()
    if (this.timer != null || !this.working()) return
    this.timer = this.owner.clock.setTimeout(() => {
      this.timer = undefined
      if (this.stopped) return
      this.ticks++
      if (this.ticks >= this.wantTick) {
        this.wantTick = Infinity
        this.timing.engineTimers++
        this.owner.trace?.(this.replica.currentSlot, this.replica.currentView, 'timer')
        this.run(this.replica.tick(this.ticks))
      }
      this.schedule()
    }, this.owner.tickMs())
  }
}

/** The slot an engine message is about. */
function slotOf (m: Message): number { return 'header' in m ? m.header.slot : m.slot }

function sameBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
