/**
 * Whether a committed `model.round` extends this learner's head (service.ts applies the first that
 * does; later ones for the same round, a takeover race, are ignored and counted): the next round,
 * from the head's hash, with the task's server optimiser, and adding the head's downlink residual
 * when the task carries one (carry.ts). Its draw is checked apart (draw-state.ts).
 */
import type { RoundRule, ServerAdam } from './aggregate-round.ts'
import { carryFits, headCarry } from './carry.ts'
import type { RoundEntry } from './entries.ts'
import type { CommittedRound } from './status.ts'

export function extendsHead (r: RoundEntry, head: { round: number, hash: string }, history: readonly CommittedRound[], rule: RoundRule): boolean {
  return r.round === head.round + 1 && r.base === head.hash && sameServerOpt(r.serverOpt, rule.serverOpt ?? null) &&
    carryFits(r, headCarry(history, head), rule.downFeedback === true)
}

function sameServerOpt (a: ServerAdam | null, b: ServerAdam | null): boolean {
  return a === b || (a != null && b != null && a.learningRate === b.learningRate && a.beta1 === b.beta1 && a.beta2 === b.beta2 && a.tau === b.tau)
}
