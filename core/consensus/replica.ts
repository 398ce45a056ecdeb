/**
 * One ProBFT (or PBFT-baseline) replica as a deterministic state machine.
 *
 * Inputs: `start(now)`, `receive(bytes, now)`, `tick(now)`. Outputs: `Action`s (messages to send,
 * the next timer, decisions). No I/O, no clock, no randomness of its own: the same inputs give the
 * same outputs, which is what lets the seeded simulator and a live transport run the same code.
 * The rules (README.md in this folder has the full list and the choices behind them):
 *
 *   slot k, view v, leader (k + v) mod n. Leader: PROPOSE(header(k, v, digest), value) to all.
 *   Accept the first valid proposal of the current view -> PREPARE to the VRF sample (PBFT: all).
 *   q matching PREPAREs (own included) -> prepared -> COMMIT to the VRF sample.
 *   prepared and q matching COMMITs -> decide. A vote carrying a different leader-signed header of
 *   the same view is proof of leader equivocation: the view is poisoned (no commit, no decision).
 *   Undecided at the nudge timer -> DECISION-REQUEST to a few peers; a DECISION (certificate of q
 *   COMMITs) is adopted if PBFT, or if it matches our prepared value, or from f + 1 senders.
 *   View timer -> VIEW-CHANGE(v + 1, prepared certificate) to all; f + 1 VIEW-CHANGEs for higher
 *   views -> join; the new leader, with n − f, sends NEW-VIEW re-proposing the highest prepared value.
 */
import {
  MSG_COMMIT, MSG_DECISION, MSG_DECISION_REQUEST, MSG_HEADER, MSG_NEW_VIEW, MSG_PREPARE, MSG_PROPOSE, MSG_VIEW_CHANGE,
  readMessage, signedPart, writeDecisionBody, writeDecisionRequestBody, writeHeaderBody, writeNewViewBody, writeViewChangeBody,
  type Decision, type DecisionRequest, type Message, type NewView, type ViewChange
} from './codec.ts'
import { MessageDecodeError } from './errors.ts'
import { ReplicaCore, type Action, type ReplicaComponents, type ReplicaInit } from './replica-core.ts'
import { viewOf, type SlotState } from './state.ts'
import { allOthers, checkDecision, checkHeader, checkValue, checkViewChange, hex, leaderOf, selectFromViewChanges } from './validate.ts'

export type { ReplicaInit, ReplicaComponents, Action, ReplicaStats, SlotCertificate } from './replica-core.ts'

export class Replica extends ReplicaCore {
  start (now: number): Action[] {
    this.now = now
    this.enterSlot(this.slot)
    return this.flush()
  }

  tick (now: number): Action[] {
    this.now = now
    const st = this.slots.get(this.slot)
    if (st != null && st.decided == null && this.slot < this.slotLimit) {
      if (now >= st.deadline) this.startViewChange(st, st.view + 1)
      else if (now >= st.nudgeAt) this.requestDecision(st)
    }
    return this.flush()
  }

  /**
   * Proposes now if this replica leads the current slot at view 0, has entered it and has not
   * proposed yet (its `proposalFor` returned null before: nothing to propose then). A no-op otherwise.
   */
  offer (now: number): Action[] {
    this.now = now
    const st = this.slots.get(this.slot)
    if (st != null && st.entered && st.decided == null && st.view === 0 && this.slot < this.slotLimit &&
      leaderOf(this.ctx.n, st.slot, 0) === this.id && viewOf(st, 0).proposal == null) this.propose(st)
    return this.flush()
  }

  /** Handles one message from the network; never throws on peer input. */
  receive (bytes: Uint8Array, now: number): Action[] {
    this.now = now
    this.stats.received++
    let msg: Message
    try {
      msg = readMessage(bytes)
    } catch (err) {
      if (!(err instanceof MessageDecodeError)) throw err
      this.reject('malformed')
      return this.flush()
    }
    switch (msg.type) {
      case MSG_PROPOSE: this.onPropose(msg.header, msg.value); break
      case MSG_PREPARE: case MSG_COMMIT: this.onVote(msg); break
      case MSG_VIEW_CHANGE: this.onViewChange(msg); break
      case MSG_NEW_VIEW: this.onNewView(msg); break
      case MSG_DECISION: this.onDecision(msg); break
      case MSG_DECISION_REQUEST: this.onDecisionRequest(msg); break
      case MSG_HEADER: this.reject('malformed'); break // headers travel only inside other messages
    }
    return this.flush()
  }

  // ---------------------------------------------------------------- catch-up

  /**
   * Asks peers for the slot's decision, in rounds `nudge` ticks apart: `fanout`, then twice as
   * many new peers each round (so f silent peers cost O(log f) rounds, not f requests up front).
   * A replica that is not prepared needs f + 1 matching answers, so it asks 2f + 1 at once.
   * A peer that has not decided yet remembers the request and answers when it decides, so one
   * request per peer suffices; once every peer has been asked, the replica waits at least 4 · nudge
   * and asks everyone again (requests or answers may have been lost).
   */
  private requestDecision (st: SlotState): void {
    const { n, f } = this.ctx
    // rounds 1 and 2 are `nudge` apart, then the gap doubles up to 8 · nudge: a view that cannot
    // complete (too few votes reached anyone) waits for its timer without flooding the network
    st.nudgeAt = this.now + this.nudge * 2 ** Math.min(Math.max(0, st.requestRounds - 1), 3)
    // without a proposal in this view nobody is likely to have decided in it: ask few peers
    const few = st.prepared?.view === st.view || this.ctx.protocol === 'pbft' || st.views.get(st.view)?.proposal == null
    const wanted = few ? this.fanout * 2 ** st.requestRounds : 2 * f + 1
    st.requestRounds++
    const to: number[] = []
    for (let i = 1; i < n && to.length < wanted; i++) {
      const peer = (this.id + st.slot + i) % n
      if (peer !== this.id && !st.asked.has(peer)) { st.asked.add(peer); to.push(peer) }
    }
    // from the second round on, also retransmit our votes of this view (the network may lose them)
    if (st.requestRounds > 1) for (const v of st.views.get(st.view)?.ownVotes ?? []) this.send(v.to, v.bytes, v.kind)
    // still waiting for the NEW-VIEW of this view: our VIEW-CHANGE (or the leader's answer) may have
    // been lost, so send it again to the new leader; from the third round on, once to everyone
    // (the leader may lack replicas that decided earlier and only join on f + 1 VIEW-CHANGEs)
    if (st.view > 0 && st.views.get(st.view)?.newView == null) {
      const own = st.vcs.get(st.view)?.get(this.id)
      if (own != null && st.requestRounds >= 3 && !st.vcBroadcast.has(st.view)) {
        st.vcBroadcast.add(st.view)
        this.send(allOthers(n, this.id), own.bytes, MSG_VIEW_CHANGE)
      } else if (own != null) this.send([leaderOf(n, st.slot, st.view)], own.bytes, MSG_VIEW_CHANGE)
    }
    if (to.length === 0) {
      st.asked.clear()
      st.nudgeAt = Math.max(st.nudgeAt, this.now + 4 * this.nudge)
      return
    }
    st.requestBytes ??= this.sign(writeDecisionRequestBody(this.id, st.slot)) // the same bytes every round
    this.send(to, st.requestBytes, MSG_DECISION_REQUEST)
  }

  private onDecisionRequest (m: DecisionRequest): void {
    if (m.sender >= this.ctx.n) return this.reject('unknownSender')
    if (!this.components.crypto.verifySignature(this.ctx.identities[m.sender].signPublic, signedPart(m.bytes), m.sig)) return this.reject('badSignature')
    const st = this.slotFor(m.slot)
    if (typeof st === 'string') return this.reject(st)
    if (st.decided == null) { st.requesters.add(m.sender); return } // at most n entries
    this.replyDecision(m.slot, m.sender)
  }

  /** One DECISION per peer per `4 · nudge` ticks: enough to repair a loss, bounded against replays. */
  private replyDecision (slot: number, to: number): void {
    const st = this.slots.get(slot)
    const d = st?.decided
    if (st == null || d == null || to === this.id) return
    const last = st.repliedTo.get(to)
    if (last != null && this.now - last < 4 * this.nudge) return
    st.repliedTo.set(to, this.now)
    d.message ??= this.sign(writeDecisionBody(this.id, slot, d.holder, d.cert.map(v => v.bytes), d.value)) // signed once
    this.send([to], d.message, MSG_DECISION)
  }

  protected answerRequesters (st: SlotState): void {
    for (const r of st.requesters) this.replyDecision(st.slot, r)
    st.requesters.clear()
  }

  private onDecision (m: Decision): void {
    const st = this.slotFor(m.slot)
    if (typeof st === 'string') return this.reject(st)
    if (st.decided != null) return
    const h = checkDecision(this.ctx, m)
    if (typeof h === 'string') return this.reject(h)
    const key = hex(h.digest)
    let voters = st.decisionVotes.get(key)
    if (voters == null) { voters = new Set(); st.decisionVotes.set(key, voters) }
    if (voters.has(m.sender)) return this.reject('duplicate')
    voters.add(m.sender)
    // PBFT certificates are self-certifying; a ProBFT one is taken when it matches what we
    // prepared ourselves, or when f + 1 replicas (one of them correct) vouch for it.
    const adopt = this.ctx.protocol === 'pbft' || st.prepared?.key === key || voters.size >= this.ctx.f + 1
    if (!adopt) return
    this.stats.adoptedDecisions++
    this.decide(st, h.view, h, m.value, m.commits, m.holder)
  }

  // ---------------------------------------------------------------- view change

  protected startViewChange (st: SlotState, view: number): void {
    if (st.vcSent.has(view) || view <= st.view) return
    st.vcSent.add(view)
    this.stats.viewChanges++
    // A replica that saw nothing in its view (no proposal: typically a silent leader) has nothing
    // to tell anyone but the next leader, and nobody can have decided in that view: its VIEW-CHANGE
    // goes to the new leader alone (n − f messages per view change instead of (n − f)(n − 1)).
    // Otherwise, or when the NEW-VIEW does not come (see requestDecision), it goes to everyone.
    const quiet = st.decided == null && st.views.get(st.view)?.proposal == null
    if (st.decided == null) this.enterView(st, view)
    else st.view = view
    // our strongest certificate: the q COMMITs we decided on (when they were addressed to us and
    // no later view prepared us again), else our prepared certificate, else none
    const d = st.decided
    const useDecision = d != null && d.holder === this.id && d.view >= (st.prepared?.view ?? -1)
    const cert = (useDecision ? d.cert : st.prepared?.cert ?? []).map(v => v.bytes)
    const value = useDecision ? d.value : st.prepared?.value ?? new Uint8Array(0)
    const bytes = this.sign(writeViewChangeBody(this.id, st.slot, view, cert, value))
    if (quiet) this.send([leaderOf(this.ctx.n, st.slot, view)], bytes, MSG_VIEW_CHANGE)
    else { st.vcBroadcast.add(view); this.send(allOthers(this.ctx.n, this.id), bytes, MSG_VIEW_CHANGE) }
    this.storeViewChange(st, readMessage(bytes) as ViewChange)
    this.afterViewChange(st, view)
  }

  private storeViewChange (st: SlotState, vc: ViewChange): boolean {
    let m = st.vcs.get(vc.newView)
    if (m == null) { m = new Map(); st.vcs.set(vc.newView, m) }
    if (m.has(vc.sender)) return false
    m.set(vc.sender, vc)
    return true
  }

  private onViewChange (vc: ViewChange): void {
    const st = this.slotFor(vc.slot)
    if (typeof st === 'string') return this.reject(st)
    if (vc.newView > st.view + this.viewWindow) return this.reject('future')
    if (vc.newView < st.view) return this.reject('wrongView')
    const r = checkViewChange(this.ctx, vc)
    if (r != null) return this.reject(r)
    const fresh = this.storeViewChange(st, vc)
    // the sender may have missed our NEW-VIEW (or our DECISION): answer again, rate-limited
    if (st.decided != null) this.replyDecision(st.slot, vc.sender)
    else this.resendNewView(st, vc.newView, vc.sender)
    if (!fresh) return this.reject('duplicate')
    this.afterViewChange(st, vc.newView)
  }

  private resendNewView (st: SlotState, view: number, to: number): void {
    const nv = st.views.get(view)?.newView
    if (nv == null || nv.sender !== this.id) return
    const last = st.newViewResent.get(to)
    if (last != null && this.now - last < 4 * this.nudge) return
    st.newViewResent.set(to, this.now)
    this.send([to], nv.bytes, MSG_NEW_VIEW)
  }

  /** Join rule (f + 1 replicas want a higher view) and the new leader's NEW-VIEW. */
  protected afterViewChange (st: SlotState, view: number): void {
    if (!st.entered) return
    const { n, f } = this.ctx
    if (view > st.view) {
      // the highest view that f + 1 replicas have asked for (or gone beyond): jump there at once
      const highest = new Map<number, number>()
      for (const [v, m] of st.vcs) if (v > st.view) for (const s of m.keys()) highest.set(s, Math.max(highest.get(s) ?? 0, v))
      const wanted = [...highest.values()].sort((a, b) => b - a)
      if (wanted.length >= f + 1) this.startViewChange(st, wanted[f])
    }
    const vcs = st.vcs.get(view)
    if (vcs == null || vcs.size < n - f || leaderOf(n, st.slot, view) !== this.id || st.newViewSent.has(view)) return
    st.newViewSent.add(view)
    const chosen = [...vcs.values()].slice(0, n - f)
    const sel = selectFromViewChanges(chosen)
    const value = sel?.value ?? this.components.proposalFor(st.slot, view) ?? new Uint8Array(0)
    const header = this.sign(writeHeaderBody(this.id, st.slot, view, this.components.crypto.digest(value)))
    const bytes = this.sign(writeNewViewBody(this.id, header, value, chosen.map(v => v.bytes)))
    this.send(allOthers(n, this.id), bytes, MSG_NEW_VIEW)
    this.applyNewView(st, readMessage(bytes) as NewView)
  }

  private onNewView (nv: NewView): void {
    const h = nv.header
    const st = this.slotFor(h.slot)
    if (typeof st === 'string') return this.reject(st)
    if (h.view < st.view || h.view === 0) return this.reject('wrongView')
    if (h.view > st.view + this.viewWindow) return this.reject('future')
    if (nv.sender !== h.leader) return this.reject('wrongLeader')
    const r = checkHeader(this.ctx, h) ?? (this.components.crypto.verifySignature(this.ctx.identities[nv.sender].signPublic, signedPart(nv.bytes), nv.sig) ? null : 'badSignature')
    if (r != null) return this.reject(r)
    if (!checkValue(this.ctx, h, nv.value)) return this.reject('badValue')
    const senders = new Set<number>()
    for (const vc of nv.viewChanges) {
      if (vc.slot !== h.slot || vc.newView !== h.view || senders.has(vc.sender)) return this.reject('badCertificate')
      if (checkViewChange(this.ctx, vc) != null) return this.reject('badCertificate')
      senders.add(vc.sender)
    }
    if (senders.size < this.ctx.n - this.ctx.f) return this.reject('badCertificate')
    const sel = selectFromViewChanges(nv.viewChanges)
    if (sel != null && hex(sel.header.digest) !== hex(h.digest)) return this.reject('badCertificate')
    this.applyNewView(st, nv)
  }

  private applyNewView (st: SlotState, nv: NewView): void {
    const h = nv.header
    const vs = viewOf(st, h.view)
    if (vs.newView != null) return this.reject('duplicate')
    vs.newView = nv
    if (st.entered && h.view > st.view) {
      if (st.decided == null) this.enterView(st, h.view)
      else st.view = h.view
    }
    this.acceptProposal(st, h, nv.value)
  }
}

export function createReplica (init: ReplicaInit, components: ReplicaComponents): Replica {
  return new Replica(init, components)
}
