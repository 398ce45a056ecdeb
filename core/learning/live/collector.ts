/**
 * The coordinator's side of one round as a pure state machine (time is an input): it knows the
 * round, its base and the selected peers, takes update bodies as they arrive, rejects and counts
 * what does not belong (`unselected`, `duplicate`, `late`), what its sender did not sign
 * (`signature`: checked by the shell between `precheck` and `receive`, signatures being async and
 * last) or what does not decode and validate (the engine's reasons), and says when the round can
 * close: when no further update can come — every selected peer answered, gave up, or is gone from
 * the mesh (`lost`, liveness.ts) — or the deadline passed. A lost peer's update that still arrives
 * before the round closes is admitted like any other (losing a peer is a reason to stop waiting,
 * not a verdict on it). Whether it commits is `admitted().length >= minUpdates` (coordinator.ts).
 *
 * **Stragglers** (`straggler`, off unless given): once at least `minAdmitted` updates are in
 * (coordinator.ts: more than two thirds of the selected, so fast hostile learners cannot close a
 * round on their own quorum),
 * the round also closes when the time since it opened passes `factor` × the median time its
 * admitted updates took (and at least that median + `slackMs`); whoever is still awaited then is
 * cut from this round (`cut()`). Self-calibrating, per round: no history, so the first rounds of a
 * fresh mesh are covered too. Why (bench/live-learning, 8 peers on 2 cores, 3 killed; the
 * per-round timeline in docs/learning.md "Round-time tail, third pass"): the slowest gaps were
 * rounds waiting 3–5 s for one learner whose `start` or training was starved of CPU, or for
 * learners killed just before the round opened (still linked, found dead by probe ~2 s later),
 * while the other updates were in within ~1 s. Production FL does the same (Bonawitz et al.,
 * "Towards Federated Learning at Scale", SysML 2019: select more than needed, close on a quorum
 * and drop the stragglers).
 */
import type { Compressor } from '../codec.ts'
import { emptyRejections, type RejectReason } from '../validate.ts'
import { admitUpdate, type AdmittedUpdate, type RoundRule } from './aggregate-round.ts'
import type { RoundUpdate } from './codec.ts'

export type LiveRejectReason = RejectReason | 'unselected' | 'duplicate' | 'late' | 'wrong-round' | 'signature'
export const LIVE_REJECT_REASONS: readonly LiveRejectReason[] = ['decode', 'oversize', 'shape', 'non-finite', 'norm', 'unselected', 'duplicate', 'late', 'wrong-round', 'signature']

export function emptyLiveRejections (): Record<LiveRejectReason, number> {
  return { ...emptyRejections(), unselected: 0, duplicate: 0, late: 0, 'wrong-round': 0, signature: 0 }
}

/** When a round stops waiting for its last learners (see the module doc). */
export interface StragglerRule {
  /** the round opened (the `start`s went out) at */
  openedAt: number
  /** no cut before this many admitted updates */
  minAdmitted: number
  /** cut once the round is open this many times the median admitted update's time */
  factor: number
  /** and at least this much past that median */
  slackMs: number
}

export class RoundCollector {
  readonly rejected = emptyLiveRejections()
  private readonly answered = new Set<string>()
  private readonly lostPeers = new Set<string>()
  private readonly accepted = new Map<string, { update: AdmittedUpdate, body: Uint8Array, sig: Uint8Array }>()
  /** when the last update was admitted, and from whom (a diagnostic: which participant a round waited on) */
  lastAdmitted: { peer: string, at: number } | null = null
  /** when each admitted update arrived */
  private readonly arrivals: number[] = []
  /** ... and from whom */
  private readonly arrivedAt = new Map<string, number>()

  constructor (
    readonly round: number,
    readonly baseHash: string,
    readonly selected: readonly string[],
    readonly deadline: number,
    private readonly opts: { size: number, rule: RoundRule, compressor?: Compressor, straggler?: StragglerRule }
  ) {}

  /** The cheap checks alone, counting nothing: whether an update from `peer` at `now` is worth a signature check. */
  precheck (peer: string, now: number): LiveRejectReason | null {
    if (!this.selected.includes(peer)) return 'unselected'
    if (this.answered.has(peer)) return 'duplicate'
    if (now > this.deadline) return 'late'
    return null
  }

  /**
   * Takes one update body from `peer` at time `now`, with its signature and whether that checked;
   * returns null when admitted, else why not. A bad signature does not use up the peer's answer:
   * the update did not come from it.
   */
  receive (peer: string, body: Uint8Array, sig: Uint8Array, signed: boolean, now: number): LiveRejectReason | null {
    const reason = this.precheck(peer, now) ?? (signed ? null : 'signature')
    if (reason != null) { this.rejected[reason]++; return reason }
    this.answered.add(peer)
    const before = { ...this.rejected }
    const update = admitUpdate(peer, body, this.opts.size, this.opts.rule, this.rejected, this.opts.compressor)
    if (update == null) return (Object.keys(this.rejected) as LiveRejectReason[]).find(k => this.rejected[k] > before[k]) ?? 'decode'
    this.accepted.set(peer, { update, body, sig })
    this.lastAdmitted = { peer, at: now }
    this.arrivals.push(now)
    this.arrivedAt.set(peer, now)
    return null
  }

  /** when each admitted update arrived, by sender (late-update.ts) */
  get admittedAt (): ReadonlyMap<string, number> { return this.arrivedAt }

  /** when the first update was admitted */
  get firstAdmittedAt (): number | undefined { return this.arrivals[0] }

  /** A peer that said it will not send (it refused, or could not be reached) counts as answered. */
  gaveUp (peer: string): void { this.answered.add(peer) }

  /**
   * A selected peer that left the mesh (liveness.ts) and has not answered: no update is waited
   * for from it. Returns true the first time it is marked.
   */
  lost (peer: string): boolean {
    if (!this.selected.includes(peer) || this.answered.has(peer) || this.lostPeers.has(peer)) return false
    this.lostPeers.add(peer)
    return true
  }

  /** The selected peers that are still awaited: neither answered nor lost. */
  pending (): string[] { return this.selected.filter(p => !this.answered.has(p) && !this.lostPeers.has(p)) }

  /** No further update can come (every selected peer answered, gave up or was lost), the deadline passed, or the stragglers are cut. */
  done (now: number): boolean {
    return now >= this.deadline || this.pending().length === 0 || this.cutAt() <= now
  }

  /** When the stragglers are cut (Infinity: not yet, or no rule): see the module doc. */
  cutAt (): number {
    const s = this.opts.straggler
    if (s == null || this.arrivals.length < Math.max(1, s.minAdmitted)) return Infinity
    const took = this.arrivals.map(t => t - s.openedAt).sort((a, b) => a - b)
    const mid = took.length % 2 === 1 ? took[(took.length - 1) / 2] : (took[took.length / 2 - 1] + took[took.length / 2]) / 2
    return s.openedAt + Math.max(s.factor * mid, mid + s.slackMs)
  }

  /** The selected peers still awaited when the stragglers were cut at `now` (none if the round closed otherwise). */
  cut (now: number): string[] {
    return now < this.deadline && this.cutAt() <= now ? this.pending() : []
  }

  admitted (): AdmittedUpdate[] { return [...this.accepted.values()].map(a => a.update) }

  /** The admitted bodies sorted by peer id (what `round` answers carry, for recomputation). */
  bodies (): RoundUpdate[] {
    return [...this.accepted.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([peer, a]) => ({ peer, body: a.body, sig: a.sig }))
  }
}
