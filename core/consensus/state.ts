/**
 * The replica's bookkeeping per slot and per view, kept apart from the rules in replica.ts.
 * Plain data; every map is bounded by n senders or by the replica's view/slot windows.
 */
import type { Decision, Header, NewView, ViewChange, Vote } from './codec.ts'

export interface Proposal { header: Header, value: Uint8Array, key: string }

export interface ViewState {
  proposal?: Proposal
  /** leader-signed headers seen in this view (from the proposal or votes), by digest */
  headers: Map<string, Header>
  prepares: Map<string, Map<number, Vote>>
  commits: Map<string, Map<number, Vote>>
  prepareBy: Map<number, string>
  commitBy: Map<number, string>
  sentPrepare: boolean
  sentCommit: boolean
  /** our own votes as sent, kept for retransmission when the slot stalls */
  ownVotes: Array<{ to: number[], bytes: Uint8Array, kind: number }>
  /** equivocation by the leader seen: no commit, no decision in this view */
  poisoned: boolean
  newView?: NewView
}

export interface Prepared { view: number, key: string, header: Header, value: Uint8Array, cert: Vote[] }
/** `holder`: the replica the certificate's votes were addressed to (ourselves unless adopted); `message`: our signed DECISION, built once */
export interface Decided { slot: number, view: number, key: string, header: Header, value: Uint8Array, cert: Vote[], holder: number, message?: Uint8Array }

export interface SlotState {
  slot: number
  view: number
  views: Map<number, ViewState>
  prepared?: Prepared
  decided?: Decided
  /** tick at which the current view is abandoned */
  deadline: number
  /** tick at which an undecided replica asks peers for the decision */
  nudgeAt: number
  /** peers asked for the decision in this view, and how many request rounds went out */
  asked: Set<number>
  requestRounds: number
  /** our signed DECISION-REQUEST for the slot, signed once */
  requestBytes?: Uint8Array
  entered: boolean
  vcs: Map<number, Map<number, ViewChange>>
  vcSent: Set<number>
  /** views whose VIEW-CHANGE we sent to everyone (not only to the new leader) */
  vcBroadcast: Set<number>
  newViewSent: Set<number>
  decisionVotes: Map<string, Set<number>>
  /** tick of our last DECISION to each peer (one answer per peer per `nudge · 4` ticks) */
  repliedTo: Map<number, number>
  /** new leader: tick of the last NEW-VIEW re-sent to each peer that re-sent its VIEW-CHANGE */
  newViewResent: Map<number, number>
  /** peers that asked before we had decided: answered when we decide */
  requesters: Set<number>
}

export function newViewState (): ViewState {
  return {
    headers: new Map(),
    prepares: new Map(),
    commits: new Map(),
    prepareBy: new Map(),
    commitBy: new Map(),
    sentPrepare: false,
    sentCommit: false,
    ownVotes: [],
    poisoned: false
  }
}

export function newSlotState (slot: number): SlotState {
  return {
    slot,
    view: 0,
    views: new Map(),
    deadline: Number.POSITIVE_INFINITY,
    nudgeAt: Number.POSITIVE_INFINITY,
    asked: new Set(),
    requestRounds: 0,
    entered: false,
    vcs: new Map(),
    vcSent: new Set(),
    vcBroadcast: new Set(),
    newViewSent: new Set(),
    decisionVotes: new Map(),
    repliedTo: new Map(),
    newViewResent: new Map(),
    requesters: new Set()
  }
}

export function viewOf (st: SlotState, view: number): ViewState {
  let vs = st.views.get(view)
  if (vs == null) { vs = newViewState(); st.views.set(view, vs) }
  return vs
}

/** Evidence of equivocation, kept for later use (e.g. excluding the offender). */
export interface Evidence {
  kind: 'leader' | 'vote'
  offender: number
  slot: number
  view: number
  first: Uint8Array
  second: Uint8Array
}

export type { Decision }
