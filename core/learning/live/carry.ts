/**
 * Error feedback on the quantised downlink ("the carry"). With `--down-quantize b` the committed
 * model of a round is base + Q_b(target − base) (aggregate-round.ts step 4); what Q_b drops,
 * e = target − committed, is the round's residual. With the task's `downFeedback` the next round
 * adds it back: its target is its exact step **plus** the carried residual, so what one round's
 * rounding drops the next one sends (fl-sim's downlink does the same per client: `federated.ts`).
 * Without it the 2-bit rounding of every round is simply lost, and at 8 peers live accuracy was
 * ~1.6 points under fl-sim's (docs/learning.md).
 *
 * Why shaped so:
 * - The residual is state that whoever coordinates next needs, and coordinators change every round
 *   (the draw). So it is committed: the round entry names the SHA-256 of the residual it leaves
 *   (`carry`) and of the one it added (`carryIn`, null when it added none), and every learner
 *   refuses a round whose `carryIn` is neither null nor the head's `carry` (service.ts).
 * - Only the next coordinator (and a verifier) fetches it, never every learner: dense it would be
 *   4 bytes per parameter, as much as a whole model; so the carried residual is itself quantised,
 *   to CARRY_BITS with stochastic rounding drawn from `fork('carry:<round>:<base>')`, and the
 *   committed carry is exactly those dequantised values. It travels as a delta from the all-zero
 *   vector (`getDelta`, no new message): 0 + dequantised(body), bit for bit as the coordinator
 *   computed it. What CARRY_BITS drops of e (≤ 1/255 of a chunk's range at 8 bits, against up to
 *   1/3 for the 2-bit step itself) is not fed back.
 * - A coordinator that cannot fetch the carry within CARRY_WAIT_MS after its round closed (the last
 *   coordinator died) commits with `carryIn` null: that round loses the residual, as every round
 *   did without feedback, and the task does not stall. Counted (`stats.carriesLost`).
 */
import { encodeUpdate, type Compressor } from '../codec.ts'
import type { Rng } from '../rng.ts'

/** bits of the carried residual (its chunks of 256 values: 1 byte per value + 8 per chunk) */
export const CARRY_BITS = 8
/** how long a coordinator waits, once its round closed, for the last round's carry it is fetching */
export const CARRY_WAIT_MS = 2000

/**
 * The residual of one quantised step, quantised to CARRY_BITS: the values a round carries to the
 * next and the body that rebuilds them from zeros (delta.ts `applyDelta` on a zero vector).
 */
export function carryOf (target: Float32Array, committed: Float32Array, rng: Rng, round: number, compressor?: Compressor): { values: Float32Array, body: Uint8Array } {
  const e = new Float32Array(target.length)
  for (let i = 0; i < e.length; i++) e[i] = target[i] - committed[i]
  const enc = encodeUpdate({ round, sender: 0, samples: 0, clients: 0, values: e }, rng, { bits: CARRY_BITS, compressor })
  // 0 + v as applyDelta computes it on a zero base (−0 becomes +0), so the fetched carry hashes alike
  const values = new Float32Array(e.length)
  for (let i = 0; i < values.length; i++) values[i] = 0 + enc.delivered[i]
  return { values, body: enc.bytes }
}

/** target = exact + carry, each sum rounded to float32 once, in index order. */
export function withCarry (exact: Float32Array, carry: Float32Array): Float32Array {
  if (carry.length !== exact.length) throw new RangeError(`carry: ${carry.length} values for a model of ${exact.length}`)
  const out = new Float32Array(exact.length)
  for (let i = 0; i < out.length; i++) out[i] = exact[i] + carry[i]
  return out
}

/**
 * The last round's carry being fetched by a coordinator while its round runs: `wait` gives it (or
 * null for none) once fetched, or null after CARRY_WAIT_MS once the round closed (`lost` then says
 * one was committed but not fetched in time).
 */
export class PendingCarry {
  private got: { hash: string, values: Float32Array } | null | undefined
  /** a carry was committed but is not here in time (or no source served it) */
  lost = false
  error: unknown

  constructor (private readonly hash: string | null, fetch: (hash: string) => Promise<Float32Array>, private readonly now: () => number) {
    if (hash == null) { this.got = null; return }
    fetch(hash).then(values => { this.got ??= { hash, values } }, err => { this.error = err; this.got ??= null })
  }

  async wait (waitUntil: (cond: () => boolean) => Promise<void>): Promise<{ hash: string, values: Float32Array } | null> {
    const until = this.now() + CARRY_WAIT_MS
    await waitUntil(() => this.got !== undefined || this.now() >= until)
    // too late now: a fetch finishing after this is not used
    this.got ??= null
    this.lost = this.hash != null && this.got == null
    return this.got
  }
}

/** The residual the head round committed (null: none, or no committed round is the head). */
export function headCarry (history: ReadonlyArray<{ hash: string, carry: string | null }>, head: { hash: string }): string | null {
  const last = history.at(-1)
  return last != null && last.hash === head.hash ? last.carry : null
}

/** A round adds no residual or the head's (`head`), and commits one exactly when the task feeds the downlink back. */
export function carryFits (r: { carry: string | null, carryIn: string | null }, head: string | null, feedback: boolean): boolean {
  return (r.carry != null) === feedback && (r.carryIn == null || r.carryIn === head)
}
