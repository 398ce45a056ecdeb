/**
 * The state and the normal-case rules of a replica (propose, prepare, commit, decide, equivocation
 * detection), as an abstract base: replica.ts adds the public entry points, catch-up and the view
 * change. Split only to keep files readable; the two files are one state machine.
 */
import {
  MSG_COMMIT, MSG_PREPARE, MSG_PROPOSE, readMessage, seal, writeHeaderBody, writePropose, writeVoteBody, type Header, type Vote
} from './codec.ts'
import { PHASE_COMMIT, PHASE_PREPARE, vrfAlpha, type ConsensusCrypto, type PublicIdentity, type ReplicaKeys } from './crypto.ts'
import { ConsensusConfigError } from './errors.ts'
import { newSlotState, viewOf, type Evidence, type SlotState, type ViewState } from './state.ts'
import {
  allOthers, checkHeader, checkValue, checkVote, hex, leaderOf, recipientsFromBeta, type Protocol, type RejectReason, type ValidationContext
} from './validate.ts'

export interface ReplicaInit {
  id: number
  n: number
  f: number
  protocol: Protocol
  /** ProBFT: recipients of each PREPARE/COMMIT; ignored for PBFT */
  sampleSize: number
  /** matching votes needed, own vote included */
  quorum: number
  /** ticks before view 0 is abandoned; doubles per view (capped at 2^3) @default 24 */
  viewTimeout?: number
  /** ticks after entering a view before an undecided replica asks peers for the decision @default 8 */
  nudgeTimeout?: number
  /** peers asked for a decision when prepared (others ask 2f + 1) @default 2 */
  requestFanout?: number
  /** slots ahead of the current one whose messages are kept @default 4 */
  slotWindow?: number
  /** views ahead of the current one whose messages are kept @default 4 */
  viewWindow?: number
  /** stop after deciding slots 0 … slotLimit − 1 (simulations and benchmarks; see `endAt`) @default unbounded */
  slotLimit?: number
  /**
   * the global slot this instance starts at: a ledger epoch continues the slot numbering of the one
   * before, so votes and VRF inputs of two epochs never collide @default 0
   */
  firstSlot?: number
}

export interface ReplicaComponents {
  keys: ReplicaKeys
  identities: PublicIdentity[]
  crypto: ConsensusCrypto
  /**
   * the value this replica proposes when it leads (slot, view) with a free choice. At view 0 it may
   * return null, "nothing to propose yet": the leader then waits, and proposes when `offer` is
   * called; at views > 0 (a NEW-VIEW without certificate) it must return a value (an empty one is
   * used if it does not).
   */
  proposalFor: (slot: number, view: number) => Uint8Array | null
}

/** What decided a slot: the view, the replica the COMMITs were addressed to, the COMMITs as sent, the value. */
export interface SlotCertificate { view: number, holder: number, commits: Uint8Array[], value: Uint8Array }

export type Action =
  | { type: 'send', to: number[], bytes: Uint8Array, kind: number }
  | { type: 'timer', at: number }
  | { type: 'decide', slot: number, view: number, value: Uint8Array, digest: Uint8Array }

export interface ReplicaStats {
  received: number
  rejected: Record<RejectReason, number>
  evidence: Evidence[]
  viewChanges: number
  adoptedDecisions: number
}

export const REASONS: RejectReason[] = ['malformed', 'badSignature', 'badVrf', 'notInSample', 'wrongLeader', 'wrongView', 'stale', 'future', 'duplicate', 'equivocation', 'badCertificate', 'badValue', 'unknownSender']
const MAX_EVIDENCE = 256

export abstract class ReplicaCore {
  readonly id: number
  readonly stats: ReplicaStats
  protected readonly ctx: ValidationContext
  protected readonly timeout: number
  protected readonly nudge: number
  protected readonly fanout: number
  protected readonly slotWindow: number
  protected readonly viewWindow: number
  protected slot: number
  /** no slot at or beyond this one is decided (see `endAt`) */
  protected slotLimit: number
  protected now = 0
  protected out: Action[] = []
  protected readonly slots = new Map<number, SlotState>()

  constructor (protected readonly init: ReplicaInit, protected readonly components: ReplicaComponents) {
    const { id, n, f, quorum, protocol } = init
    if (!Number.isInteger(id) || id < 0 || id >= n) throw new ConsensusConfigError(`replica id ${id} not in [0, ${n})`)
    if (components.identities.length !== n) throw new ConsensusConfigError('identities must list all n replicas')
    if (!Number.isInteger(quorum) || quorum < 1 || quorum > n) throw new ConsensusConfigError(`quorum ${quorum} not in [1, n]`)
    const first = init.firstSlot ?? 0
    if (!Number.isSafeInteger(first) || first < 0) throw new ConsensusConfigError(`firstSlot ${first} is not a slot number`)
    this.id = id
    this.slot = first
    this.slotLimit = init.slotLimit ?? Infinity
    this.ctx = { n, f, protocol, sampleSize: protocol === 'pbft' ? n - 1 : init.sampleSize, quorum, identities: components.identities, crypto: components.crypto }
    this.timeout = init.viewTimeout ?? 24
    this.nudge = init.nudgeTimeout ?? 8
    this.fanout = init.requestFanout ?? 2
    this.slotWindow = init.slotWindow ?? 4
    this.viewWindow = init.viewWindow ?? 4
    this.stats = { received: 0, rejected: Object.fromEntries(REASONS.map(r => [r, 0])) as Record<RejectReason, number>, evidence: [], viewChanges: 0, adoptedDecisions: 0 }
  }

  get currentSlot (): number { return this.slot }

  /** The view the current slot is in (its view 0 until a view change). */
  get currentView (): number { return this.slots.get(this.slot)?.view ?? 0 }

  /**
   * The tick at which the current slot's view is abandoned (Infinity when there is none: decided,
   * or past the limit). Read-only: a shell that knows the view's leader is gone may bring its clock
   * to it, which is what the timer would have done later (core/ledger/live-replica.ts).
   */
  get viewDeadline (): number {
    const st = this.slots.get(this.slot)
    return st == null || st.decided != null || this.slot >= this.slotLimit ? Infinity : st.deadline
  }

  decisionOf (slot: number): { value: Uint8Array, view: number } | undefined {
    const d = this.slots.get(slot)?.decided
    return d == null ? undefined : { value: d.value, view: d.view }
  }

  /** The certificate of a decided slot (kept for the last 16 slots), or undefined. */
  certificateOf (slot: number): SlotCertificate | undefined {
    const d = this.slots.get(slot)?.decided
    return d == null ? undefined : { view: d.view, holder: d.holder, commits: d.cert.map(v => v.bytes), value: d.value }
  }

  /**
   * Ends the instance after `slot` (a ledger epoch ends there): nothing beyond it is decided,
   * messages for later slots are dropped as `future`, and no timer is asked for them. Only lowers
   * the limit.
   */
  endAt (slot: number): void {
    this.slotLimit = Math.min(this.slotLimit, slot + 1)
  }

  /** The first slot this instance will not decide (Infinity when unbounded). */
  get limit (): number { return this.slotLimit }

  // ---------------------------------------------------------------- helpers

  protected flush (): Action[] {
    const st = this.slots.get(this.slot)
    if (st != null && st.decided == null && this.slot < this.slotLimit) this.out.push({ type: 'timer', at: Math.min(st.deadline, st.nudgeAt) })
    const out = this.out
    this.out = []
    return out
  }

  protected reject (reason: RejectReason): void { this.stats.rejected[reason]++ }

  protected evidence (e: Evidence): void {
    if (this.stats.evidence.length < MAX_EVIDENCE) this.stats.evidence.push(e)
  }

  protected send (to: number[], bytes: Uint8Array, kind: number): void {
    const recipients = to.filter(i => i !== this.id)
    if (recipients.length > 0) this.out.push({ type: 'send', to: recipients, bytes, kind })
  }

  protected sign (body: Uint8Array): Uint8Array {
    return seal(body, this.components.crypto.sign(this.components.keys.signSecret, body))
  }

  protected viewTimeout (view: number): number { return this.timeout * 2 ** Math.min(view, 3) }

  /** The slot state for a message, or a reason to drop it. */
  protected slotFor (slot: number): SlotState | RejectReason {
    if (slot > this.slot + this.slotWindow || slot >= this.slotLimit) return 'future'
    let st = this.slots.get(slot)
    if (st == null) {
      if (slot < this.slot) return 'stale'
      st = newSlotState(slot)
      this.slots.set(slot, st)
    }
    return st
  }

  protected enterSlot (slot: number): void {
    const st = this.slotFor(slot) as SlotState
    st.entered = true
    // a NEW-VIEW that arrived early may have moved the slot past view 0
    let view = st.view
    for (const [v, vs] of st.views) if (vs.newView != null && v > view) view = v
    this.enterView(st, view)
    if (view === 0 && leaderOf(this.ctx.n, slot, 0) === this.id && viewOf(st, 0).proposal == null) this.propose(st)
    this.evaluate(st)
    for (const v of st.vcs.keys()) this.afterViewChange(st, v)
  }

  protected enterView (st: SlotState, view: number): void {
    st.view = view
    st.deadline = this.now + this.viewTimeout(view)
    st.nudgeAt = this.now + this.nudge
    st.asked.clear()
    st.requestRounds = 0
    for (const v of [...st.views.keys()]) if (v < view - 1) st.views.delete(v)
  }

  /** Proposes at view 0 of the current slot (the value may be null: nothing to propose yet, see `offer`). */
  protected propose (st: SlotState): void {
    const value = this.components.proposalFor(st.slot, 0)
    if (value == null) return
    const header = this.sign(writeHeaderBody(this.id, st.slot, 0, this.components.crypto.digest(value)))
    const bytes = writePropose(header, value)
    this.send(allOthers(this.ctx.n, this.id), bytes, MSG_PROPOSE)
    const h = readMessage(header) as Header
    this.acceptProposal(st, h, value)
  }

  // ---------------------------------------------------------------- normal case

  protected onPropose (header: Header, value: Uint8Array): void {
    const st = this.slotFor(header.slot)
    if (typeof st === 'string') return this.reject(st)
    const r = checkHeader(this.ctx, header)
    if (r != null) return this.reject(r)
    if (!checkValue(this.ctx, header, value)) return this.reject('badValue')
    if (header.view !== 0) return this.reject('wrongView') // later views are proposed by NEW-VIEW
    if (st.view !== 0 && st.entered) return this.reject('wrongView')
    this.acceptProposal(st, header, value)
  }

  protected acceptProposal (st: SlotState, header: Header, value: Uint8Array): void {
    const vs = viewOf(st, header.view)
    const key = hex(header.digest)
    if (vs.proposal != null) {
      if (vs.proposal.key === key) return this.reject('duplicate')
      this.leaderEquivocation(st, vs, vs.proposal.header, header)
      return this.reject('equivocation')
    }
    vs.proposal = { header, value, key }
    this.noteHeader(st, vs, header)
    this.evaluate(st)
  }

  /** Remembers a leader-signed header; a second digest in the same view is equivocation evidence. */
  protected noteHeader (st: SlotState, vs: ViewState, header: Header): void {
    const key = hex(header.digest)
    if (vs.headers.has(key)) return
    const other = vs.headers.values().next().value
    vs.headers.set(key, header)
    if (other != null) this.leaderEquivocation(st, vs, other, header)
  }

  protected leaderEquivocation (st: SlotState, vs: ViewState, a: Header, b: Header): void {
    if (!vs.poisoned) this.evidence({ kind: 'leader', offender: a.leader, slot: a.slot, view: a.view, first: a.bytes, second: b.bytes })
    vs.poisoned = true
    // Proof that this view cannot be trusted: leave it now rather than at the timer.
    if (st.decided == null && st.entered && a.view === st.view) this.startViewChange(st, st.view + 1)
  }

  protected onVote (v: Vote): void {
    const st = this.slotFor(v.header.slot)
    if (typeof st === 'string') return this.reject(st)
    const view = v.header.view
    if (view + 1 < st.view) return this.reject('wrongView')
    if (view > st.view + this.viewWindow) return this.reject('future')
    const r = checkVote(this.ctx, v, this.id)
    if (r != null) return this.reject(r)
    const vs = viewOf(st, view)
    const key = hex(v.header.digest)
    const by = v.type === MSG_PREPARE ? vs.prepareBy : vs.commitBy
    const prev = by.get(v.sender)
    if (prev === key) return this.reject('duplicate')
    if (prev != null) {
      const tally = v.type === MSG_PREPARE ? vs.prepares : vs.commits
      const first = tally.get(prev)?.get(v.sender)
      if (first != null) this.evidence({ kind: 'vote', offender: v.sender, slot: st.slot, view, first: first.bytes, second: v.bytes })
      this.noteHeader(st, vs, v.header)
      return this.reject('equivocation')
    }
    this.noteHeader(st, vs, v.header)
    this.addVote(vs, v, key)
    this.evaluate(st)
  }

  protected addVote (vs: ViewState, v: Vote, key: string): void {
    const by = v.type === MSG_PREPARE ? vs.prepareBy : vs.commitBy
    const tally = v.type === MSG_PREPARE ? vs.prepares : vs.commits
    by.set(v.sender, key)
    let m = tally.get(key)
    if (m == null) { m = new Map(); tally.set(key, m) }
    m.set(v.sender, v)
  }

  protected castVote (st: SlotState, vs: ViewState, type: typeof MSG_PREPARE | typeof MSG_COMMIT): void {
    const p = vs.proposal
    if (p == null) return
    const { crypto, keys } = this.components
    let proof: Uint8Array = new Uint8Array(0)
    let to: number[]
    if (this.ctx.protocol === 'probft') {
      proof = crypto.vrfProve(keys.vrfSecret, vrfAlpha(type === MSG_PREPARE ? PHASE_PREPARE : PHASE_COMMIT, st.slot, p.header.view))
      to = recipientsFromBeta(this.ctx, crypto.vrfHash(proof) as Uint8Array, this.id)
    } else {
      to = allOthers(this.ctx.n, this.id)
    }
    const bytes = this.sign(writeVoteBody(type, this.id, p.header.bytes, proof))
    this.send(to, bytes, type)
    vs.ownVotes.push({ to, bytes, kind: type })
    this.addVote(vs, readMessage(bytes) as Vote, p.key)
  }

  /** Applies every rule that may fire for the slot's current view. */
  protected evaluate (st: SlotState): void {
    if (!st.entered) return
    const vs = st.views.get(st.view)
    const p = vs?.proposal
    if (vs == null || p == null || vs.poisoned) return
    // a decided replica helps later views only for its own decided value
    if (st.decided != null && st.decided.key !== p.key) return
    if (!vs.sentPrepare) { vs.sentPrepare = true; this.castVote(st, vs, MSG_PREPARE) }
    const q = this.ctx.quorum
    const prepares = vs.prepares.get(p.key)
    if (!vs.sentCommit && prepares != null && prepares.size >= q) {
      vs.sentCommit = true
      st.prepared = { view: st.view, key: p.key, header: p.header, value: p.value, cert: [...prepares.values()].slice(0, q) }
      this.castVote(st, vs, MSG_COMMIT)
    }
    const commits = vs.commits.get(p.key)
    if (st.decided == null && vs.sentCommit && commits != null && commits.size >= q) {
      this.decide(st, st.view, p.header, p.value, [...commits.values()].slice(0, q))
    }
  }

  protected decide (st: SlotState, view: number, header: Header, value: Uint8Array, cert: Vote[], holder = this.id): void {
    if (st.decided != null) return
    st.decided = { slot: st.slot, view, key: hex(header.digest), header, value, cert, holder }
    this.out.push({ type: 'decide', slot: st.slot, view, value, digest: header.digest })
    this.answerRequesters(st)
    while (this.slots.get(this.slot)?.decided != null) this.slot++
    for (const s of [...this.slots.keys()]) if (s < this.slot - 16) this.slots.delete(s)
    if (this.slot < this.slotLimit && !(this.slots.get(this.slot)?.entered ?? false)) this.enterSlot(this.slot)
  }

  protected abstract answerRequesters (st: SlotState): void
  protected abstract startViewChange (st: SlotState, view: number): void
  protected abstract afterViewChange (st: SlotState, view: number): void
}
