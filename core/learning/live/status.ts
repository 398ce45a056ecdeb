/**
 * What a `LiveLearning` reports (`status()`, its events, /metrics): the committed rounds as this
 * peer saw them and its counters — bytes and messages on the protocol, updates rejected by reason,
 * refused weights, undecodable requests, rounds coordinated, failed and taken over, selected
 * learners lost mid-round, and learners dialled before a round and left out unreachable.
 */
import type { WarmUpRecord } from './warm-up.ts'
import type { HoldRefusal } from '../errors.ts'
import { emptyLiveRejections, type LiveRejectReason } from './collector.ts'
import type { RoundEntry } from './entries.ts'
import type { HeadFetchTrace } from './head-sync.ts'
import { emptyHoldRefusals } from './holds.ts'
import type { MeasuredFacts, SelectionCandidate } from './select.ts'

export interface CommittedRound extends RoundEntry {
  slot: number
  /** when this peer applied it (its clock, ms) */
  appliedAt?: number
  /** this peer's held-out accuracy of the round's model (null until evaluated) */
  localAccuracy: number | null
  localLoss: number | null
}

export interface LiveStats {
  bytesSent: number
  bytesReceived: number
  messagesSent: Record<string, number>
  messagesReceived: Record<string, number>
  /** bytes sent per message type (`update`, `model`, `start`, …) */
  bytesSentByType: Record<string, number>
  /** updates this peer rejected as coordinator, by reason */
  rejected: Record<LiveRejectReason, number>
  /** weights fetched by hash that hashed to something else */
  refusedWeights: number
  /** committed models this peer rebuilt from the previous one and the round's quantised delta (`getDelta`) */
  deltaFetches: number
  /** committed models this peer rebuilt from the delta a coordinator's `start` carried (participant.ts): no fetch */
  deltasWithStart: number
  /** downlink residuals (carry.ts) this peer fetched to coordinate or verify a round */
  carryFetches: number
  /** the bodies of those residuals, bytes (inside `delta` answers: rpc.ts counts them with the models' deltas) */
  carryBytesReceived: number
  /** rounds this peer committed after a participant acknowledged holding the new model (coordinator.ts `handOver`) */
  headsHandedOver: number
  /** rounds this peer committed although no participant acknowledged holding the new model (and server state) in time, or it had no other participant */
  headsNotHandedOver: number
  /** new models (and server states) other coordinators handed to this peer before their commit (holds.ts) */
  headsHeldForOthers: number
  /** `hold`s this peer refused, by reason (holds.ts: who may hand over, how often, what decodes) */
  holdsRefused: Record<HoldRefusal, number>
  /** rounds this peer coordinated without the last round's residual (no source answered in time: carry.ts) */
  carriesLost: number
  /** committed models (or server states) this peer fetched whole (`getModel`) */
  fullFetches: number
  /** past rounds' models fetched only to evaluate them (rounds this peer skipped while catching up) */
  backfilled: number
  /** undecodable requests */
  malformed: number
  roundsCoordinated: number
  /** rounds this peer coordinated that closed with fewer than minUpdates updates */
  roundsFailed: number
  /** updates this peer trained and sent */
  updatesSent: number
  /** committed model.round entries that did not extend the head (a second coordinator's, another base) */
  ignoredRounds: number
  /** committed model.round entries refused because their coordinator was not drawn (ineligible, or a bad draw proof) */
  badDraws: number
  /** selected learners that left the mesh while this peer's round waited for them (not waited for further) */
  lostParticipants: number
  /** rounds this peer began to coordinate while not first in the draw (those ahead gone from the mesh, or silent past the round timeout) */
  takeovers: number
  /** joined learners this peer dialled before selecting a round it coordinated, lacking a direct link to them (links.ts) */
  learnersDialled: number
  /** rounds this peer was drawn to coordinate but passed: no source of the head answered (turns.ts) */
  passes: number
  /** of those, the ones still without a direct link after the wait: left out of that round */
  learnersUnreachable: number
  /** learners left unlinked after a dial wait, by the mesh's state for them then (links.ts `unlinkedWhy`) */
  unlinkedWhy: Record<string, number>
  /** drawn coordinators this peer pinged directly, their `start` late (late-start.ts), and those of them that did not answer (passed over for that round) */
  lateStartPings: number
  lateStartsSilent: number
  /** selected learners this peer pinged directly as coordinator, their update late (late-update.ts), and those of them that did not answer (not waited for further) */
  lateUpdatePings: number
  lateUpdatesSilent: number
  /** `start`s this peer took for a round it was already training or had trained for (a takeover of the same round): its update went to that coordinator too */
  startsJoined: number
  /** selected learners still awaited when a round this peer coordinated cut its stragglers (collector.ts) */
  stragglersCut: number
  /** round 1's wait for links, when this peer coordinated it (next-turn.ts `startupLinksPending`): how long, and the learners in its view still unlinked then */
  startupLinks: { waitedMs: number, unlinked: number } | null
  /** the throw-away local rounds this peer ran when it started (warm-up.ts), once done; null before, or with `warmUpRounds` 0 */
  warmUp: WarmUpRecord | null
  /** probes this peer sent to peers their bootstrap unlisted (probes.ts: every joined learner's, at every tick), and those without an echo */
  probes: { sent: number, failed: number }
  /** the last 32 selected learners this peer lost mid-round, with when (this peer's clock, ms) it saw each sign */
  losses: LossRecord[]
  /** the last 32 rounds this peer coordinated, with when each phase ended (this peer's clock, ms) */
  coordinated: CoordinatedRecord[]
  /** the last 32 rounds this peer trained for another coordinator, with when each phase ended (this peer's clock, ms) */
  participated: ParticipatedRecord[]
}

/** A round this peer trained for at another coordinator's `start`: started, base held, trained, update sent (answered). */
export interface ParticipatedRecord {
  round: number
  coordinator: string
  startAt: number
  baseAt?: number
  /** how the base came: held already, rebuilt from the delta the `start` carried, or fetched (model-store.ts) */
  baseVia?: 'held' | 'start' | 'fetched'
  trainedAt?: number
  sentAt?: number
}

/** A selected learner lost mid-round: when the round opened, when this peer first saw it without a link and out of its view, and when it stopped waiting. */
export interface LossRecord {
  round: number
  peer: string
  /** what told: the mesh dropped it (liveness.ts), its bootstrap unlisted it and a probe failed (probes.ts), or its update was late and a ping failed (late-update.ts) */
  by: 'mesh' | 'probe' | 'ping'
  openedAt: number
  unlinkedAt?: number
  leftViewAt?: number
  lostAt: number
}

/**
 * A round this peer coordinated, with when each phase ended: the base applied here (`baseAt`),
 * began (drawn), selected (after dialling unlinked learners), the last update admitted, closed (no
 * more updates, or the deadline), aggregated (and evaluated), committed (the ledger answered).
 */
export interface CoordinatedRecord {
  round: number
  takeover: boolean
  /** why this peer took over (how many were ahead in the draw, how many of them gone or passed) */
  takeoverWhy?: string
  baseAt: number
  beganAt: number
  selectedAt: number
  /** this peer's own update trained (ms) */
  ownTrainMs?: number
  /** its own training began this long after selecting (once the starts were answered, coordinator.ts) */
  ownTrainAfterMs?: number
  /** the last admitted update, and whose it was */
  lastUpdateAt?: number
  lastUpdateFrom?: string
  closedAt?: number
  aggregatedAt?: number
  /** the participant that acknowledged holding the new model before the commit (coordinator.ts `handOver`) */
  handedTo?: string
  /** when the hand-over settled (acknowledged, refused everywhere or timed out): the commit waits for it past `aggregatedAt` */
  handedAt?: number
  committedAt?: number
  selected: number
  /** linked learners left out of the selection, known dead here (gone from the mesh or probed dead: round-plan.ts) */
  deadLeftOut?: number
  admitted?: number
  lost?: number
  /** learners still awaited when the round cut its stragglers (collector.ts) */
  cut?: number
  /** closed at the deadline with learners still awaited */
  atDeadline?: boolean
  /**
   * The turn, from `baseAt` to `beganAt` (a diagnostic for slow turns): whether the base's weights
   * were held when it was applied, else how they were fetched (head-sync.ts); the poll timer's
   * largest lateness (this peer's event loop busy) and its longest tick meanwhile (ms)
   */
  turn?: { heldBefore: boolean, lagMaxMs: number, tickMaxMs: number, fetch?: HeadFetchTrace }
  /** the base's weights held here (the round begins without them: coordinator.ts `baseReady`) */
  baseHeldAt?: number
  /** whether its `start`s carried the base's delta (held within START_DELTA_WAIT_MS: coordinator.ts) */
  startDelta?: boolean
  /** the first `start` answered, and the first update admitted (this peer's own included) */
  firstStartAt?: number
  firstUpdateAt?: number
}

/** Diagnostic lists in the stats keep their last this many records. */
export const RECORDS_KEPT = 32

export function keepRecord<T> (list: T[], r: T): void {
  list.push(r)
  if (list.length > RECORDS_KEPT) list.splice(0, list.length - RECORDS_KEPT)
}

export interface LiveStatus {
  task: string
  peerId: string
  learners: string[]
  /** the coordinator draw of the next round: eligible learners in takeover order (schedule.ts) */
  order: string[]
  /** what this peer measured of each learner while coordinating (select.ts): training rate, link throughput */
  measured: Record<string, MeasuredFacts>
  /** the last TCS-FEEL draw this peer made (`--per-round` below the linked learners): the candidates with the facts it used, and each one's estimated seconds and probability */
  selection: { round: number, candidates: SelectionCandidate[], estimates: Array<{ peer: string, seconds: number, p: number }> } | null
  joined: boolean
  round: number
  hash: string
  /** this peer holds the head's weights */
  held: boolean
  rounds: CommittedRound[]
  stats: LiveStats
}

export function emptyLiveStats (): LiveStats {
  return {
    bytesSent: 0, bytesReceived: 0, messagesSent: {}, messagesReceived: {}, bytesSentByType: {}, rejected: emptyLiveRejections(), refusedWeights: 0, deltaFetches: 0, deltasWithStart: 0, carryFetches: 0, carryBytesReceived: 0, carriesLost: 0, headsHandedOver: 0, headsNotHandedOver: 0, headsHeldForOthers: 0, holdsRefused: emptyHoldRefusals(), unlinkedWhy: {}, fullFetches: 0, backfilled: 0,
    malformed: 0, roundsCoordinated: 0, roundsFailed: 0, updatesSent: 0, ignoredRounds: 0, badDraws: 0, lostParticipants: 0, takeovers: 0,
    learnersDialled: 0, passes: 0, learnersUnreachable: 0, startsJoined: 0, lateStartPings: 0, lateStartsSilent: 0, lateUpdatePings: 0, lateUpdatesSilent: 0, stragglersCut: 0, startupLinks: null, warmUp: null, probes: { sent: 0, failed: 0 }, losses: [], coordinated: [], participated: []
  }
}
