/**
 * The adapter between one epoch's `Replica` (core/consensus, rules unchanged) and the live world.
 *
 * - Logical clock: the engine counts ticks; this shell advances them every `tickMs` of wall time,
 *   but only while there is work (the owner says so through `busy()`: pending microblocks, an
 *   undecided slot that saw messages recently). An idle ledger neither proposes empty blocks nor
 *   times out views, and a changed tick length never moves time backwards.
 * - Inbound engine messages are validated before `receive`: a PROPOSE / NEW-VIEW / DECISION value
 *   must be a block of this epoch whose microblocks all verify (async, by the owner's
 *   `checkValue`); anything else goes to the engine, which checks signatures, VRF proofs and rules.
 * - Actions: `send` → frames to the replicas' peer ids; `timer` → the next tick the engine wants;
 *   `decide` → handed to the owner, which builds the record from `certificateOf`.
 */
import { MSG_DECISION, MSG_NEW_VIEW, MSG_PROPOSE, readMessage } from '../consensus/codec.ts'
import type { ConsensusCrypto, ReplicaKeys } from '../consensus/crypto.ts'
import { Replica, type Action, type SlotCertificate } from '../consensus/replica.ts'
import type { EpochInfo } from './epochs.ts'

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
export interface DecisionTiming { decided: number, decideMs: number, engineTimers: number, viewChanges: number }

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
  reject: (reason: string) => void
}

export class LiveReplica {
  readonly replica: Replica
  readonly index: number
  private ticks = 0
  private wantTick = Infinity
  private timer: unknown
  private stopped = false
  /** wall time of the last inbound message (an undecided slot that saw messages is work) */
  lastMessageAt = 0
  private readonly timing: DecisionTiming
  /** the last RECENT_DECISIONS decision durations (ms), shared like `timing` */
  private readonly recent: number[]
  private workAt: number | undefined
  private seenViewChanges = 0

  constructor (readonly epoch: EpochInfo, index: number, firstSlot: number, private readonly owner: LiveReplicaOwner) {
    this.index = index
    this.timing = owner.timing ?? { decided: 0, decideMs: 0, engineTimers: 0, viewChanges: 0 }
    this.recent = owner.recentDecideMs ?? []
    this.replica = new Replica(
      { id: index, n: epoch.n, f: epoch.f, protocol: epoch.protocol, sampleSize: epoch.sampleSize, quorum: epoch.quorum, firstSlot },
      { keys: owner.keys, identities: epoch.replicas, crypto: owner.crypto, proposalFor: (slot, view) => owner.proposalFor(slot, view) }
    )
  }

  get currentSlot (): number { return this.replica.currentSlot }

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
    if (!this.stopped) this.run(this.replica.offer(this.ticks))
    this.schedule()
  }

  endAt (slot: number): void { this.replica.endAt(slot) }

  /** One engine message from a peer (already checked: sender is a replica of this epoch). */
  async receive (message: Uint8Array): Promise<void> {
    if (this.stopped) return
    this.lastMessageAt = this.owner.clock.now()
    this.workAt ??= this.lastMessageAt
    let kind: 'propose' | 'newView' | 'decision' | null = null
    let value: Uint8Array | null = null
    let slot = 0
    try {
      const m = readMessage(message)
      if (m.type === MSG_PROPOSE) { kind = 'propose'; value = m.value; slot = m.header.slot }
      else if (m.type === MSG_NEW_VIEW) { kind = 'newView'; value = m.value; slot = m.header.slot }
      else if (m.type === MSG_DECISION) { kind = 'decision'; value = m.value; slot = m.slot }
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

  private run (actions: Action[]): void {
    const vc = this.replica.stats.viewChanges
    if (vc > this.seenViewChanges) {
      const more = vc - this.seenViewChanges
      this.timing.viewChanges += more
      this.seenViewChanges = vc
      this.owner.viewChanged?.(more)
    }
    for (const a of actions) {
      if (a.type === 'send') this.owner.send(a.to.map(i => this.epoch.replicas[i].peerId), a.bytes)
      else if (a.type === 'timer') this.wantTick = a.at
      else {
        const now = this.owner.clock.now()
        const took = now - (this.workAt ?? now)
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
  }

  /** Keeps one timer running while there is work; the engine's clock is `ticks`. */
  schedule (): void {
    if (this.stopped || this.timer != null) return
    if (!this.owner.busy() && this.owner.clock.now() - this.lastMessageAt > 2000) return
    this.timer = this.owner.clock.setTimeout(() => {
      this.timer = undefined
      if (this.stopped) return
      this.ticks++
      if (this.ticks >= this.wantTick) {
        this.wantTick = Infinity
        this.timing.engineTimers++
        this.run(this.replica.tick(this.ticks))
      }
      this.schedule()
    }, this.owner.tickMs())
  }
}
