/**
 * The models one `LiveLearning` (service.ts) holds, by hash, and how it gets the ones it lacks:
 * committed weights and FedAdam server states (`models`), the quantised deltas that rebuild a
 * committed model from the previous one (`deltas`: aggregated, fetched or handed over with a
 * `start` here, `acceptDelta`; served on `getDelta`; a downlink residual,
 * carry.ts, is one from the all-zero vector), and the update bodies
 * of the rounds it coordinated (`rounds`, served on `getRound` for recomputation, and fetched by a
 * verifier: `fetchRound`). Fetches go
 * through model-fetch.ts, which refuses anything that does not hash to what was asked; a model
 * whose previous one is held comes by delta, anything else whole. Memory is bounded: models beyond
 * what `keep()` names are dropped past 2 × KEEP_MODELS + 2, deltas past KEEP_MODELS, round bodies
 * older than KEEP_ROUNDS rounds.
 */
import type { Compressor } from '../codec.ts'
import { LiveRoundError } from '../errors.ts'
import { MAX_ROUND_UPDATES, type Limits, type RoundUpdate } from './codec.ts'
import { fetchDelta, fetchWeights, rebuildFromDelta } from './model-fetch.ts'
import type { LiveRpc } from './rpc.ts'
import { badRoundSignatures } from './signing.ts'
import type { LiveStats } from './status.ts'
import { bytesToHex, hexToBytes32, weightsHash } from './weights.ts'

export const KEEP_MODELS = 6
export const KEEP_ROUNDS = 8

export interface ModelStoreDeps {
  rpc: LiveRpc
  limits: Limits
  stats: LiveStats
  /** parameters of the model (a server state has 2 ×) */
  size: number
  compressor?: Compressor | undefined
  log: (m: string) => void
  /** the hashes that must stay held (the initial model, the head, recent rounds and states) */
  keep: () => Iterable<string>
}

export class ModelStore {
  private readonly models = new Map<string, Float32Array>()
  private readonly deltas = new Map<string, { base: string, body: Uint8Array }>()
  private readonly rounds = new Map<number, { base: string, bodies: RoundUpdate[] }>()
  /** downlink residuals (carry.ts) by hash: their bodies, deltas from the all-zero vector */
  private readonly carries = new Map<string, Uint8Array>()
  /** the all-zero vector a carry's delta starts from (carry.ts), made when first needed */
  private zeros: { values: Float32Array, hash: string } | undefined

  constructor (private readonly d: ModelStoreDeps) {}

  get (hash: string): Float32Array | undefined { return this.models.get(hash) }
  has (hash: string): boolean { return this.models.has(hash) }

  keepModel (hash: string, w: Float32Array): void {
    this.models.set(hash, w)
    if (this.models.size <= 2 * KEEP_MODELS + 2) return
    const keep = new Set(this.d.keep())
    for (const h of this.models.keys()) if (!keep.has(h) && this.models.size > 2 * KEEP_MODELS + 2) this.models.delete(h)
  }

  /** The delta body that rebuilds `hash` from `base` (coordinated or fetched here), to serve on. */
  keepDelta (hash: string, base: string, body: Uint8Array): void {
    this.deltas.set(hash, { base, body })
    while (this.deltas.size > KEEP_MODELS) this.deltas.delete(this.deltas.keys().next().value as string)
  }

  delta (hash: string): { base: string, body: Uint8Array } | undefined {
    const carry = this.carries.get(hash)
    return carry != null ? { base: this.zeroVector().hash, body: carry } : this.deltas.get(hash)
  }

  private zeroVector (): { values: Float32Array, hash: string } {
    this.zeros ??= { values: new Float32Array(this.d.size), hash: weightsHash(new Float32Array(this.d.size)) }
    return this.zeros
  }

  keepRound (round: number, base: string, bodies: RoundUpdate[]): void {
    this.rounds.set(round, { base, bodies })
    for (const r of this.rounds.keys()) if (r <= round - KEEP_ROUNDS) this.rounds.delete(r)
  }

  round (round: number): { base: string, bodies: RoundUpdate[] } | undefined { return this.rounds.get(round) }

  /**
   * A committed round's update bodies, held here or fetched from its coordinator `from` (for
   * recomputation), and the peers among them whose signature does not check (signing.ts): a
   * verifier need not trust the coordinator that the bodies came from the listed participants.
   */
  async fetchRound (task: string, round: number, from: string): Promise<{ base: string, updates: RoundUpdate[], badSignatures: string[] }> {
    const local = this.rounds.get(round)
    let got: { base: string, updates: RoundUpdate[] }
    if (local != null) {
      got = { base: local.base, updates: local.bodies }
    } else {
      const a = await this.d.rpc.call(from, { type: 'getRound', task, round }, (MAX_ROUND_UPDATES + 1) * (this.d.limits.maxUpdateBytes + 256))
      if (a.type !== 'round' || a.round !== round) throw new LiveRoundError(`unexpected ${a.type} answer`)
      got = { base: bytesToHex(a.base), updates: a.updates }
    }
    return { ...got, badSignatures: await badRoundSignatures(task, round, hexToBytes32(got.base), got.updates) }
  }

  /** Fetches weights (or a server state: `size` 2n) by hash from the first of `peers` that has them; refuses any that hash otherwise. */
  async fetchModel (hash: string, peers: readonly string[], size = this.d.size, trace?: FetchTrace): Promise<Float32Array> {
    const held = this.models.get(hash)
    if (held != null) return held
    let lastErr: unknown = new LiveRoundError(`no peer to fetch model ${hash.slice(0, 12)} from`)
    for (const peer of peers) {
      try {
        trace?.asked.push(peer)
        const w = await fetchWeights(this.d.rpc, peer, hash, { size, maxModelBytes: this.d.limits.maxModelBytes, compressor: this.d.compressor, stats: this.d.stats })
        this.d.stats.fullFetches++
        this.keepModel(hash, w)
        if (trace != null) trace.from = peer
        return w
      } catch (err) { lastErr = err }
    }
    throw lastErr
  }

  /**
   * A committed downlink residual (carry.ts) by hash: held, or rebuilt from zeros and the delta the
   * first of `peers` serves (`getDelta`); never fetched whole (that would cost a whole model).
   */
  async fetchCarry (hash: string, peers: readonly string[]): Promise<Float32Array> {
    const held = this.models.get(hash)
    if (held != null) return held
    const zeros = this.zeroVector()
    let lastErr: unknown = new LiveRoundError(`no peer to fetch carry ${hash.slice(0, 12)} from`)
    for (const peer of peers) {
      try {
        const got = await fetchDelta(this.d.rpc, peer, hash, zeros.values, zeros.hash, { maxUpdateBytes: this.d.limits.maxUpdateBytes, compressor: this.d.compressor, stats: this.d.stats })
        // it hashes to what the last coordinator committed, but that coordinator may be hostile: never add a non-finite carry
        if (!got.weights.every(Number.isFinite)) throw new LiveRoundError(`carry ${hash.slice(0, 12)} from ${peer} is not finite`)
        this.d.stats.carryFetches++
        this.d.stats.carryBytesReceived += got.body.length
        this.keepCarry(hash, got.weights, got.body)
        return got.weights
      } catch (err) { lastErr = err }
    }
    throw lastErr
  }

  /** A residual committed or fetched here (carry.ts), served as a delta from zeros; the last KEEP_MODELS, apart from the models' deltas. */
  keepCarry (hash: string, values: Float32Array, body: Uint8Array): void {
    this.keepModel(hash, values)
    this.carries.set(hash, body)
    while (this.carries.size > KEEP_MODELS) this.carries.delete(this.carries.keys().next().value as string)
  }

  /** The model `hash` rebuilt from the held `baseHash` and its delta (the first peer that serves one that checks); else fetched whole. */
  async fetchByDelta (hash: string, baseHash: string, peers: readonly string[], trace?: FetchTrace): Promise<Float32Array> {
    const held = this.models.get(hash)
    if (held != null) return held
    const base = this.models.get(baseHash)
    if (base != null) {
      for (const peer of peers) {
        try {
          trace?.asked.push(peer)
          const got = await fetchDelta(this.d.rpc, peer, hash, base, baseHash, { maxUpdateBytes: this.d.limits.maxUpdateBytes, compressor: this.d.compressor, stats: this.d.stats })
          this.d.stats.deltaFetches++
          this.keepDelta(hash, baseHash, got.body)
          this.keepModel(hash, got.weights)
          if (trace != null) trace.from = peer
          return got.weights
        } catch (err) { this.d.log(`delta ${hash.slice(0, 12)} from ${peer}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`) }
      }
    }
    return await this.fetchModel(hash, peers, this.d.size, trace)
  }

  /**
   * A delta handed to this peer with a `start` (participant.ts): the model `hash` rebuilt from the
   * held model `fromHash`, kept and served on like a fetched delta (`getDelta`), so no fetch from
   * the last coordinator is needed. Undefined when `fromHash` is not held (the base is then fetched
   * as before); a malformed delta or one that does not rebuild `hash` throws (delta.ts, model-fetch.ts:
   * counted as `refusedWeights`) and nothing is kept. What it keeps hashes to its name and is
   * bounded like every model and delta here; a hostile `start` could already make this peer fetch
   * and hold any model it named, so nothing new is opened. Also a coordinator's `hold` (serve.ts:
   * its model handed over before its commit; `withStart` false: not counted as `deltasWithStart`).
   */
  acceptDelta (hash: string, fromHash: string, body: Uint8Array, peer: string, withStart = true): Float32Array | undefined {
    const held = this.models.get(hash)
    if (held != null) return held
    const base = this.models.get(fromHash)
    if (base == null) return undefined
    const w = rebuildFromDelta(base, hash, body, peer, { maxUpdateBytes: this.d.limits.maxUpdateBytes, compressor: this.d.compressor, stats: this.d.stats })
    if (withStart) this.d.stats.deltasWithStart++
    this.keepDelta(hash, fromHash, body)
    this.keepModel(hash, w)
    return w
  }
}

/** Which sources a fetch asked, in order, and which one answered (a diagnostic: head-sync.ts). */
export interface FetchTrace { asked: string[], from?: string }
