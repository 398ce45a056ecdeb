/**
 * A replica's steps through a slot, as its shell sees them (live-replica.ts), for the slot
 * timeline (bench/_slot-phases.ts): when its engine messages arrive and leave, when the engine's
 * timer fires, when it decides. Off unless the node is given a `trace` (LedgerNodeComponents);
 * a Node peer writes it as JSON lines when `NOVACRON_LEDGER_TRACE` names a directory.
 */
import { MSG_COMMIT, MSG_DECISION, MSG_DECISION_REQUEST, MSG_NEW_VIEW, MSG_PREPARE, MSG_PROPOSE, MSG_VIEW_CHANGE } from '../consensus/codec.ts'

export type SlotStep =
  | 'offer' // the pool gained work (the slot is this replica's current one)
  | 'proposeIn' | 'prepareIn' | 'commitIn' | 'viewChangeIn' | 'newViewIn' | 'decisionIn' | 'requestIn' // a message arrived (before any check)
  | 'proposeOut' | 'prepareOut' | 'commitOut' | 'viewChangeOut' | 'newViewOut' | 'decisionOut' | 'requestOut' // the engine sent one
  | 'timer' // the engine's timer fired (a nudge or a view change)
  | 'decided'

/** (slot, view, step, recipients of a message sent): the tracer stamps the time itself */
export type SlotTracer = (slot: number, view: number, step: SlotStep, recipients?: number) => void

const IN: Record<number, SlotStep> = { [MSG_PROPOSE]: 'proposeIn', [MSG_PREPARE]: 'prepareIn', [MSG_COMMIT]: 'commitIn', [MSG_VIEW_CHANGE]: 'viewChangeIn', [MSG_NEW_VIEW]: 'newViewIn', [MSG_DECISION]: 'decisionIn', [MSG_DECISION_REQUEST]: 'requestIn' }
const OUT: Record<number, SlotStep> = { [MSG_PROPOSE]: 'proposeOut', [MSG_PREPARE]: 'prepareOut', [MSG_COMMIT]: 'commitOut', [MSG_VIEW_CHANGE]: 'viewChangeOut', [MSG_NEW_VIEW]: 'newViewOut', [MSG_DECISION]: 'decisionOut', [MSG_DECISION_REQUEST]: 'requestOut' }

export function inStep (type: number): SlotStep | undefined { return IN[type] }
export function outStep (type: number): SlotStep | undefined { return OUT[type] }
