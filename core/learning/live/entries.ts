/**
 * The ledger entries of live learning (registered with the ledger as kinds; bodies are UTF-8 JSON,
 * ≤ 4 KiB, read strictly):
 *
 *   model.join  := { "task": hex16, "samples": uint, "vrf": hex64 }   author = the learner
 *                  (vrf: the learner's ECVRF public key of the coordinator draw, schedule.ts)
 *   model.round := { "task": hex16, "round": uint ≥ 1, "coordinator": peerId, "participants": [peerId…],
 *                    "rule": aggregator, "clipMedian": bool, "dp": null | { "clip", "sigma", "delta" },
 *                    "epsilon": number | null, "base": hex64, "hash": hex64, "samples": uint,
 *                    "accuracy": number | null, "draw": hex160,
 *                    "serverOpt": null | { "learningRate", "beta1", "beta2", "tau" },
 *                    "state": null | hex64, "carryIn": null | hex64, "carry": null | hex64 }
 *                                                                      author = the coordinator
 *                  (state: SHA-256 of the FedAdam server state after the round, aggregate-round.ts)
 *                  (carry: SHA-256 of the downlink residual the round leaves, carryIn: of the one it
 *                  added — the previous round's carry, or null for none; carry.ts)
 *                  (draw: the coordinator's ECVRF proof for the round, schedule.ts)
 *   model.pass  := { "task": hex16, "round": uint ≥ 1, "base": hex64 }  author = a drawn coordinator
 *                  that cannot fetch `base` (the head) and so passes its turn of `round` (turns.ts)
 *
 * `base` is the SHA-256 of the weights the round started from, `hash` of the weights it produced
 * (weights.ts); `participants` are the peers whose updates were aggregated, in the aggregation order
 * (sorted by peer id). The validator the ledger calls is stateless (shape, sizes, author =
 * coordinator); which round entry counts — the first committed one that extends the current head of
 * its task — is decided by every learner alike from the ledger's total order (service.ts).
 */
import { AGGREGATORS, type AggregatorName } from '../aggregate.ts'
import type { ServerAdam } from './aggregate-round.ts'

export const KIND_JOIN = 'model.join'
export const KIND_ROUND = 'model.round'
export const KIND_PASS = 'model.pass'
export const MAX_ENTRY_BYTES = 4096
export const MAX_PARTICIPANTS = 32

export interface JoinEntry { task: string, samples: number, vrf: string }

export interface PassEntry { task: string, round: number, base: string }

export interface DpRecord { clip: number, sigma: number, delta: number }

export interface RoundEntry {
  task: string
  round: number
  coordinator: string
  participants: string[]
  rule: AggregatorName
  clipMedian: boolean
  dp: DpRecord | null
  epsilon: number | null
  base: string
  hash: string
  samples: number
  accuracy: number | null
  /** the coordinator's draw proof (80 bytes, hex) */
  draw: string
  /** the FedAdam server step, null for FedAvg */
  serverOpt: ServerAdam | null
  /** SHA-256 of the server state (m ‖ s) after the round, null for FedAvg */
  state: string | null
  /** SHA-256 of the downlink residual this round carries to the next (carry.ts), null without downlink feedback */
  carry: string | null
  /** SHA-256 of the residual this round added (the previous round's `carry`), null when it added none */
  carryIn: string | null
}

/** Thrown by the readers; the ledger turns it into a refusal at apply. */
export class EntryShapeError extends Error {
  static override name = 'EntryShapeError'
  override name = 'EntryShapeError'
}

const HEX64 = /^[0-9a-f]{64}$/
const HEX16 = /^[0-9a-f]{16}$/
const HEX160 = /^[0-9a-f]{160}$/
const PEER = /^[1-9A-HJ-NP-Za-km-z]{8,128}$/

function parse (bytes: Uint8Array): Record<string, unknown> {
  if (bytes.length > MAX_ENTRY_BYTES) throw new EntryShapeError(`entry longer than ${MAX_ENTRY_BYTES} bytes`)
  let v: unknown
  try { v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) } catch { throw new EntryShapeError('entry is not UTF-8 JSON') }
  if (v == null || typeof v !== 'object' || Array.isArray(v)) throw new EntryShapeError('entry must be a JSON object')
  return v as Record<string, unknown>
}

function uint (v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new EntryShapeError(`${what} must be a non-negative integer`)
  return v
}

function finiteOrNull (v: unknown, what: string): number | null {
  if (v === null) return null
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new EntryShapeError(`${what} must be a number or null`)
  return v
}

function taskOf (o: Record<string, unknown>): string {
  if (typeof o.task !== 'string' || !HEX16.test(o.task)) throw new EntryShapeError('task must be 16 hex digits')
  return o.task
}

function roundOf (o: Record<string, unknown>): number {
  const round = uint(o.round, 'round')
  if (round < 1) throw new EntryShapeError('round must be ≥ 1')
  return round
}

function keys (o: Record<string, unknown>, want: string[]): void {
  const have = Object.keys(o).sort().join(',')
  if (have !== [...want].sort().join(',')) throw new EntryShapeError(`entry fields must be exactly ${want.join(', ')}`)
}

export function writeJoinEntry (e: JoinEntry): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ task: e.task, samples: e.samples, vrf: e.vrf }))
}

export function readJoinEntry (bytes: Uint8Array): JoinEntry {
  const o = parse(bytes)
  keys(o, ['task', 'samples', 'vrf'])
  const task = taskOf(o)
  if (typeof o.vrf !== 'string' || !HEX64.test(o.vrf)) throw new EntryShapeError('vrf must be 64 hex digits')
  return { task, samples: uint(o.samples, 'samples'), vrf: o.vrf }
}

export function writePassEntry (e: PassEntry): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ task: e.task, round: e.round, base: e.base }))
}

export function readPassEntry (bytes: Uint8Array): PassEntry {
  const o = parse(bytes)
  keys(o, ['task', 'round', 'base'])
  const task = taskOf(o)
  const round = roundOf(o)
  if (typeof o.base !== 'string' || !HEX64.test(o.base)) throw new EntryShapeError('base must be 64 hex digits')
  return { task, round, base: o.base }
}

const ROUND_FIELDS = ['task', 'round', 'coordinator', 'participants', 'rule', 'clipMedian', 'dp', 'epsilon', 'base', 'hash', 'samples', 'accuracy', 'draw', 'serverOpt', 'state', 'carryIn', 'carry']

export function writeRoundEntry (e: RoundEntry): Uint8Array {
  const o: Record<string, unknown> = {}
  for (const k of ROUND_FIELDS) o[k] = e[k as keyof RoundEntry]
  return new TextEncoder().encode(JSON.stringify(o))
}

export function readRoundEntry (bytes: Uint8Array): RoundEntry {
  const o = parse(bytes)
  keys(o, ROUND_FIELDS)
  const task = taskOf(o)
  const round = roundOf(o)
  if (typeof o.coordinator !== 'string' || !PEER.test(o.coordinator)) throw new EntryShapeError('coordinator must be a peer id')
  if (!Array.isArray(o.participants) || o.participants.length === 0 || o.participants.length > MAX_PARTICIPANTS) throw new EntryShapeError(`participants must list 1..${MAX_PARTICIPANTS} peer ids`)
  const participants = o.participants.map(p => {
    if (typeof p !== 'string' || !PEER.test(p)) throw new EntryShapeError('participants must be peer ids')
    return p
  })
  for (let i = 1; i < participants.length; i++) if (!(participants[i - 1] < participants[i])) throw new EntryShapeError('participants must be sorted and distinct')
  if (typeof o.rule !== 'string' || !(AGGREGATORS as readonly string[]).includes(o.rule)) throw new EntryShapeError(`rule must be one of ${AGGREGATORS.join(', ')}`)
  if (typeof o.clipMedian !== 'boolean') throw new EntryShapeError('clipMedian must be a boolean')
  let dp: DpRecord | null = null
  if (o.dp !== null) {
    if (o.dp == null || typeof o.dp !== 'object' || Array.isArray(o.dp)) throw new EntryShapeError('dp must be null or { clip, sigma, delta }')
    const d = o.dp as Record<string, unknown>
    keys(d, ['clip', 'sigma', 'delta'])
    const clip = finiteOrNull(d.clip, 'dp.clip')
    const sigma = finiteOrNull(d.sigma, 'dp.sigma')
    const delta = finiteOrNull(d.delta, 'dp.delta')
    if (clip == null || sigma == null || delta == null || clip <= 0 || sigma < 0 || delta <= 0 || delta >= 1) throw new EntryShapeError('dp: clip > 0, sigma ≥ 0, 0 < delta < 1')
    dp = { clip, sigma, delta }
  }
  if (typeof o.draw !== 'string' || !HEX160.test(o.draw)) throw new EntryShapeError('draw must be 160 hex digits')
  let serverOpt: ServerAdam | null = null
  if (o.serverOpt !== null) {
    if (o.serverOpt == null || typeof o.serverOpt !== 'object' || Array.isArray(o.serverOpt)) throw new EntryShapeError('serverOpt must be null or { learningRate, beta1, beta2, tau }')
    const a = o.serverOpt as Record<string, unknown>
    keys(a, ['learningRate', 'beta1', 'beta2', 'tau'])
    const [lr, b1, b2, tau] = ['learningRate', 'beta1', 'beta2', 'tau'].map(k => finiteOrNull(a[k], `serverOpt.${k}`))
    if (lr == null || b1 == null || b2 == null || tau == null || lr <= 0 || b1 < 0 || b1 >= 1 || b2 < 0 || b2 >= 1 || tau <= 0) throw new EntryShapeError('serverOpt: learningRate > 0, 0 ≤ beta1, beta2 < 1, tau > 0')
    serverOpt = { learningRate: lr, beta1: b1, beta2: b2, tau }
  }
  if (o.state !== null && (typeof o.state !== 'string' || !HEX64.test(o.state))) throw new EntryShapeError('state must be null or 64 hex digits')
  if ((serverOpt == null) !== (o.state === null)) throw new EntryShapeError('state is set exactly when serverOpt is')
  for (const k of ['carry', 'carryIn']) if (o[k] !== null && (typeof o[k] !== 'string' || !HEX64.test(o[k] as string))) throw new EntryShapeError(`${k} must be null or 64 hex digits`)
  if (o.carry === null && o.carryIn !== null) throw new EntryShapeError('carryIn is set only with carry')
  if (typeof o.base !== 'string' || !HEX64.test(o.base) || typeof o.hash !== 'string' || !HEX64.test(o.hash)) throw new EntryShapeError('base and hash must be 64 hex digits')
  return {
    task, round, coordinator: o.coordinator, participants, rule: o.rule as AggregatorName, clipMedian: o.clipMedian, dp,
    epsilon: finiteOrNull(o.epsilon, 'epsilon'), base: o.base, hash: o.hash, samples: uint(o.samples, 'samples'), accuracy: finiteOrNull(o.accuracy, 'accuracy'), draw: o.draw,
    serverOpt, state: o.state as string | null, carry: o.carry as string | null, carryIn: o.carryIn as string | null
  }
}

/** The ledger validators (`KindValidator`: null = valid, else the refusal reason). */
export const LEARNING_KINDS: Record<string, (data: Uint8Array, author: string) => string | null> = {
  [KIND_JOIN]: data => { readJoinEntry(data); return null },
  [KIND_PASS]: data => { readPassEntry(data); return null },
  [KIND_ROUND]: (data, author) => readRoundEntry(data).coordinator === author ? null : 'model.round must be authored by its coordinator'
}
