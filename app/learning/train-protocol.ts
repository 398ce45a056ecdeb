/**
 * The learning panel's two halves talk through these messages: the page (panel-view.ts) sends
 * one `start` with checked settings; the worker (train.worker.ts) answers with its backend, its
 * loading progress, one `round` per finished round, then `done` or `error`. Stop is the page
 * terminating the worker: a round in flight cannot block it.
 *
 * `readTrainInputs` checks the form: out-of-range or non-integer input (Rounds 0, −3, 100000) is an
 * error shown by its field, never silently clamped to something else. Pure, tested in Node.
 */
import type { SelectionName } from '../../core/learning/index.ts'

export interface TrainSettings {
  rounds: number
  clients: number
  selection: SelectionName
  /** Update quantisation bits; 0 = float32. */
  bits: number
}

export type ToWorker = { type: 'start', settings: TrainSettings }

export interface RoundPoint { round: number, accuracy: number, loss: number, bytes: number }

export type FromWorker =
  | { type: 'backend', backend: string, text: string }
  | { type: 'loading', loaded: number }
  | { type: 'round', point: RoundPoint }
  | { type: 'done', finalAccuracy: number, rounds: number, totalBytes: number, bytesRatio: number }
  | { type: 'error', message: string }

/** The limits the form accepts (and says, in its hints and errors). */
export const LIMITS = { rounds: { min: 1, max: 50 }, clients: { min: 2, max: 20 } } as const

export interface InputProblem { field: 'rounds' | 'clients', message: string }

function wholeIn (label: string, text: string, min: number, max: number): string | undefined {
  const t = text.trim()
  if (t === '') return `${label}: enter a whole number from ${min} to ${max}.`
  const n = Number(t)
  if (!Number.isInteger(n)) return `${label}: “${t}” is not a whole number; enter one from ${min} to ${max}.`
  if (n < min || n > max) return `${label}: ${n} is out of range; enter a whole number from ${min} to ${max}.`
  return undefined
}

/** The form's values, or every problem with them (each names its field). */
export function readTrainInputs (input: { rounds: string, clients: string, selection: string, bits: string }): { settings: TrainSettings } | { problems: InputProblem[] } {
  const problems: InputProblem[] = []
  const r = wholeIn('Rounds', input.rounds, LIMITS.rounds.min, LIMITS.rounds.max)
  if (r != null) problems.push({ field: 'rounds', message: r })
  const c = wholeIn('Clients', input.clients, LIMITS.clients.min, LIMITS.clients.max)
  if (c != null) problems.push({ field: 'clients', message: c })
  if (problems.length > 0) return { problems }
  return { settings: { rounds: Number(input.rounds), clients: Number(input.clients), selection: input.selection === 'random' ? 'random' : 'tcs', bits: Number(input.bits) } }
}
