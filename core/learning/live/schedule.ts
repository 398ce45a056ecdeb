/**
 * Who coordinates a round: a draw no learner can bias by choosing when it joins or which key it
 * holds, recorded in the ledger and checked by every learner when it applies a `model.round`.
 *
 *   seed₁     = SHA-256("novacron/learning/seed/v1" • task • varUint(J) • (kind • author • data)*)
 *               over every entry of ledger slot J, the slot that committed the task's
 *               `minUpdates`-th `model.join` (a round cannot commit with fewer learners anyway)
 *   αᵣ        = "novacron/learning/draw/v1" • task • varUint(r) • seedᵣ
 *   πᵣ        = ECVRF-TAI proof of round r's coordinator over αᵣ with its draw key (identity.ts),
 *               recorded as `draw` in the `model.round` entry
 *   seedᵣ₊₁   = SHA-256("novacron/learning/seed/v1" • VRF output of πᵣ)
 *   eligible(r) = learners whose `model.join` committed at a slot ≤ Eᵣ, where E₁ = E₂ = J and
 *               Eᵣ = the slot of round r − 2's entry
 *   order(r)  = eligible(r) sorted by SHA-256(seedᵣ • utf8(peer id)), ties by peer id
 *
 * `order[0]` coordinates; when round r is still not committed `timeoutMs` after round r − 1 was
 * (as each peer saw it), `order[1]` takes over, and so on. Why each piece:
 * - the VRF output is unique for (key, input), so a coordinator cannot grind the next seed, only
 *   withhold its round (then the next in the order takes over, with another seed: at most one bit
 *   of influence, at the cost of its own round);
 * - the next seed is known to round r − 1's coordinator once round r − 2 committed, so only keys
 *   that joined before that (Eᵣ) are eligible: a key made to match a known seed is never drawn;
 * - seed₁ is fixed by a ledger block nobody can compute before it is committed, except a peer that
 *   authors every microblock of slot J (see THREAT_MODEL.md, "Learning").
 */
import { sha256 } from '@noble/hashes/sha2.js'
import * as encoding from 'lib0/encoding'
import { proofToHash, prove, verify } from '../../vrf/index.ts'

const SEED_TAG = 'novacron/learning/seed/v1'
const DRAW_TAG = 'novacron/learning/draw/v1'

export interface SeedEntry { kind: string, author: string, data: Uint8Array }

/** seed₁ from the ledger slot J that completed the task's first learners (all its entries, in order). */
export function firstSeed (task: string, slot: number, entries: readonly SeedEntry[]): Uint8Array {
  return sha256(encoding.encode(e => {
    encoding.writeVarString(e, SEED_TAG); encoding.writeVarString(e, task); encoding.writeVarUint(e, slot)
    for (const x of entries) { encoding.writeVarString(e, x.kind); encoding.writeVarString(e, x.author); encoding.writeVarUint8Array(e, x.data) }
  }))
}

/** seedᵣ₊₁ from round r's VRF output. */
export function nextSeed (output: Uint8Array): Uint8Array {
  return sha256(encoding.encode(e => { encoding.writeVarString(e, SEED_TAG); encoding.writeVarUint8Array(e, output) }))
}

export function drawInput (task: string, round: number, seed: Uint8Array): Uint8Array {
  return encoding.encode(e => { encoding.writeVarString(e, DRAW_TAG); encoding.writeVarString(e, task); encoding.writeVarUint(e, round); encoding.writeVarUint8Array(e, seed) })
}

/** The coordinator's proof for round r (80 bytes). */
export function proveDraw (vrfSecret: Uint8Array, task: string, round: number, seed: Uint8Array): Uint8Array {
  return prove('TAI', vrfSecret, drawInput(task, round, seed))
}

/** The VRF output of a valid draw proof, or null (a wrong key, input or proof). Never throws. */
export function checkDraw (vrfPublic: Uint8Array, task: string, round: number, seed: Uint8Array, proof: Uint8Array): Uint8Array | null {
  try {
    const out = verify('TAI', vrfPublic, drawInput(task, round, seed), proof)
    return out ?? null
  } catch {
    return null
  }
}

/** The VRF output of a proof without checking it (the proof was checked when its entry applied). */
export function drawOutput (proof: Uint8Array): Uint8Array | null { return proofToHash('TAI', proof) }

/** The eligible learners of a round ordered by the draw. */
export function coordinatorOrder (seed: Uint8Array, eligible: readonly string[]): string[] {
  const enc = new TextEncoder()
  const keyed = eligible.map(peer => {
    const b = new Uint8Array(seed.length + enc.encode(peer).length)
    b.set(seed, 0); b.set(enc.encode(peer), seed.length)
    return { peer, key: sha256(b) }
  })
  keyed.sort((a, b) => compareBytes(a.key, b.key) || (a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0))
  return keyed.map(k => k.peer)
}

function compareBytes (a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i]
  return a.length - b.length
}

/** The coordinator `elapsedMs` after the previous commit: one more takeover per `timeoutMs`. */
export function coordinatorAt (order: readonly string[], elapsedMs: number, timeoutMs: number): string | undefined {
  if (order.length === 0) return undefined
  const attempt = Math.max(0, Math.floor(elapsedMs / timeoutMs))
  return order[attempt % order.length]
}
