/**
 * The receiving side of a coordinator's hand-over (`hold`, codec.ts; coordinator.ts `handOver`):
 * the model a coordinator is about to commit — its quantised delta from the round's base, or the
 * whole weights with an exact downlink — and, under FedAdam, the server state it commits with it,
 * hash-checked and kept here to serve once committed (`getDelta` / `getModel`), so that a
 * coordinator killed right after its commit does not take the only copy of the new head (or of
 * the state the next round starts from) with it (docs/learning.md, "A head no peer holds").
 *
 * A `hold` makes this peer decode, hash and store up to a model and a state (3 × the weights under
 * FedAdam), so who may send one, and how often, is bounded (cheap checks first, in this order; each
 * refusal a `HoldRefusedError`, counted by reason in `stats.holdsRefused`):
 *
 * - `another-task`, `not-learner`: the task's, from a joined learner;
 * - `stale`: for a round after this peer's head (a committed round needs no hand-over);
 * - `not-started`: only from a coordinator whose `start` of that round and base this peer took
 *   (participant.ts `tookStart`): the coordinator hands over to its participants only, and this
 *   peer takes at most MAX_RECIPIENTS `start`s of one round (the drawn coordinator and takeovers);
 * - `too-often`: at most HOLDS_PER_ROUND a round from one sender (a coordinator whose commit
 *   failed retries it with a new aggregate: one more), counted before any decoding, malformed ones too;
 * - `base-not-held` (a delta from a model this peer does not hold), `malformed` (does not decode,
 *   or does not hash to its name).
 *
 * What it keeps: one slot per sender, its latest accepted hold, kept from the store's eviction
 * (`pending`) while its round is after the head; once the head passes it, it is the head (kept as
 * any head) or lost a race (dropped with the store's other models). So at most MAX_RECIPIENTS
 * models (and states) are held for others at a time, whatever the senders do.
 */
import type { Compressor } from '../codec.ts'
import { errorText, HoldRefusedError, type HoldRefusal } from '../errors.ts'
import type { LiveMessage, Limits } from './codec.ts'
import { unpackWeights } from './model-fetch.ts'
import type { ModelStore } from './model-store.ts'
import type { LiveStats } from './status.ts'
import { bytesToHex } from './weights.ts'

/** holds accepted from one sender for one round, at most (its first, and one more after a failed commit) */
export const HOLDS_PER_ROUND = 2

export const HOLD_REFUSALS: readonly HoldRefusal[] = ['another-task', 'not-learner', 'stale', 'not-started', 'too-often', 'base-not-held', 'malformed']

export function emptyHoldRefusals (): Record<HoldRefusal, number> {
  return Object.fromEntries(HOLD_REFUSALS.map(r => [r, 0])) as Record<HoldRefusal, number>
}

type HoldMessage = Extract<LiveMessage, { type: 'hold' }>

export interface HoldDeps {
  task: string
  store: ModelStore
  stats: LiveStats
  /** the model's parameter count (a server state has 2 ×) */
  size: number
  limits: Limits
  compressor?: Compressor | undefined
  isLearner: (peer: string) => boolean
  headRound: () => number
  /** whether this peer took `coordinator`'s `start` of `round` from `base` (participant.ts) */
  tookStart: (coordinator: string, round: number, base: string) => boolean
}

interface Slot { round: number, count: number, hashes: string[] }

export class HeldForOthers {
  /** per sender: the round of its last hold, how many of that round came, what its accepted one keeps */
  private readonly slots = new Map<string, Slot>()

  constructor (private readonly d: HoldDeps) {}

  /** Takes `from`'s hold (the model, and the state with it, held here), or throws a `HoldRefusedError`, counted. */
  accept (from: string, m: HoldMessage): void {
    try {
      this.take(from, m)
    } catch (err) {
      const refused = err instanceof HoldRefusedError ? err : new HoldRefusedError('malformed', errorText(err))
      this.d.stats.holdsRefused[refused.reason]++
      throw refused
    }
    this.d.stats.headsHeldForOthers++
  }

  /** The models and states held for rounds after the head (the store keeps them: service.ts `keep`). */
  pending (): string[] {
    const head = this.d.headRound()
    return [...this.slots.values()].filter(s => s.round > head).flatMap(s => s.hashes)
  }

  /** Senders with a slot (bounded: a test reads it). */
  get senders (): number { return this.slots.size }

  private take (from: string, m: HoldMessage): void {
    const { d } = this
    const head = d.headRound()
    for (const [p, s] of this.slots) if (s.round <= head) this.slots.delete(p)
    const base = bytesToHex(m.base)
    if (m.task !== d.task) throw new HoldRefusedError('another-task', `task ${m.task}`)
    if (!d.isLearner(from)) throw new HoldRefusedError('not-learner', `${from} is not a learner of the task`)
    if (m.round <= head) throw new HoldRefusedError('stale', `round ${m.round} is not after the head (${head})`)
    if (!d.tookStart(from, m.round, base)) throw new HoldRefusedError('not-started', `no start of round ${m.round} from ${from} was taken here`)
    const slot = this.slots.get(from)
    const now: Slot = slot != null && slot.round === m.round ? slot : { round: m.round, count: 0, hashes: [] }
    if (now.count >= HOLDS_PER_ROUND) throw new HoldRefusedError('too-often', `${now.count} holds of round ${m.round} from ${from} already`)
    now.count++
    this.slots.set(from, now)
    const o = { maxModelBytes: d.limits.maxModelBytes, maxUpdateBytes: d.limits.maxUpdateBytes, compressor: d.compressor, stats: d.stats }
    const hash = bytesToHex(m.hash)
    // decoded and checked before anything is kept: the acknowledgement means both are held
    const state = m.state != null ? { hash: bytesToHex(m.state.hash), values: unpackWeights(bytesToHex(m.state.hash), m.state.lz4, m.state.bytes, from, { ...o, size: 2 * d.size }) } : null
    // named first, so that the store's eviction spares them while they are kept
    now.hashes = state != null ? [hash, state.hash] : [hash]
    if (m.model.kind === 'whole') {
      d.store.keepModel(hash, unpackWeights(hash, m.model.lz4, m.model.bytes, from, { ...o, size: d.size }))
    } else if (d.store.acceptDelta(hash, base, m.model.body, from, false) == null) {
      throw new HoldRefusedError('base-not-held', `the base ${base.slice(0, 12)} is not held here`)
    }
    if (state != null) d.store.keepModel(state.hash, state.values)
  }
}
