/**
 * Getting the weights of committed rounds to this peer (for one `LiveLearning`, service.ts): the
 * head's weights (and FedAdam server state) by hash, by delta where the task's downlink is
 * quantised and the previous model is held, with a backoff while every source fails and, for a
 * learner that is not the next coordinator, after a short wait for the delta to come with a
 * `start` instead (HEAD_DEFER_MS); and
 * `backfill`, an older round's weights fetched only to evaluate it. Whom to ask: the round's
 * coordinator and participants first (they hold it), then every learner, those linked directly
 * before the others (a request to one linked only through the relay dials it first: model-fetch.ts).
 */
import { errorText } from '../errors.ts'
import { KEEP_MODELS, type ModelStore } from './model-store.ts'
import type { LearningMesh } from './ports.ts'
import type { CommittedRound, LiveStats } from './status.ts'

/** how often a skipped round's model is asked for, to evaluate it, before giving up */
const BACKFILL_TRIES = 3
/** a failed head fetch is retried after 250 ms, doubling up to 5 s while every source keeps failing */
const FETCH_RETRY_MIN_MS = 250
const FETCH_RETRY_MAX_MS = 5000
/**
 * A learner that is not the next round's drawn coordinator waits this long after applying a
 * commit before it fetches the new head itself: the next coordinator fetches the round's delta
 * from the last one and hands it over with its `start` (coordinator.ts, participant.ts), so the
 * learners do not all ask the last coordinator for the same delta at once (0.7–4.6 s answers at
 * load 21–41, docs/learning.md "Slow coordinator turns"). A `start` whose base it still lacks, or
 * a turn to coordinate, ends the wait at once (`hurry`). Longer than the coordinator's own wait
 * for the delta (START_DELTA_WAIT_MS, 1 s) plus the learners' poll (200 ms).
 */
export const HEAD_DEFER_MS = 1500

export interface HeadSyncDeps {
  store: ModelStore
  stats: LiveStats
  mesh: Pick<LearningMesh, 'peerId' | 'links'>
  /** the model's parameter count */
  size: number
  /** the task's downlink quantisation (0: whole models) */
  downBits: number
  now: () => number
  log: (m: string) => void
  head: () => { round: number, hash: string }
  history: () => readonly CommittedRound[]
  learners: () => readonly string[]
}

/** How this peer got one head's weights (its clock, ms): a diagnostic for a coordinator's slow turn (coordinator.ts). */
export interface HeadFetchTrace {
  hash: string
  startedAt: number
  /** held (fetched and checked), or every source failed */
  doneAt?: number
  ok?: boolean
  /** the sources asked, in order, and the one that answered */
  asked: string[]
  from?: string
}

export class HeadSync {
  private fetching: Promise<void> | undefined
  /** the last fetch of a head (status: a coordinator's turn) */
  lastFetch: HeadFetchTrace | undefined
  /** after a failed fetch of the head, when to try again (doubling from FETCH_RETRY_MIN_MS, reset by a success) */
  private retryAt = 0
  private backoffMs = 0
  /** the head whose last fetch failed (every source) */
  private failed = ''
  /** a past round's weights being fetched only to evaluate them (a peer that skipped a round) */
  private backfilling: Promise<void> | undefined
  private readonly backfillTries = new Map<number, number>()
  /** the head's fetch waits until then (`moved` with a delay) */
  private deferUntil = 0
  /** a model `hurry` asked for before it was applied as the head */
  private hurriedFor = ''

  constructor (private readonly d: HeadSyncDeps) {}

  /** The hash of the head's FedAdam server state (null for FedAvg, and before round 1: zeros). */
  headState (): string | null {
    const last = this.d.history().at(-1)
    return last != null && last.hash === this.d.head().hash ? last.state : null
  }

  /** Whether the head's weights (and server state) are held. */
  get held (): boolean {
    const state = this.headState()
    return this.d.store.has(this.d.head().hash) && (state == null || this.d.store.has(state))
  }

  /** Whether the last fetch of the current head failed at every source. */
  get failedNow (): boolean { return this.failed === this.d.head().hash }

  /** A new head was applied: fetch it at once, or after `deferMs` (HEAD_DEFER_MS) unless a `start` already asked for it (`hurry`). */
  moved (deferMs = 0): void {
    this.retryAt = 0
    const hash = this.d.head().hash
    this.deferUntil = this.hurriedFor === hash ? 0 : this.d.now() + deferMs
    this.hurriedFor = ''
  }

  /** The model `hash` (default: the head) is needed now (a `start` names it, or a turn to coordinate): its fetch waits no longer, also if it is the next head to be applied. */
  hurry (hash = this.d.head().hash): void {
    if (hash === this.d.head().hash) this.deferUntil = 0
    else this.hurriedFor = hash
  }

  fetchHead (): void {
    if (this.fetching != null || this.d.now() < this.retryAt || this.d.now() < this.deferUntil) return
    const { store } = this.d
    const hash = this.d.head().hash
    const state = this.headState()
    const last = this.d.history().at(-1)
    const sources = this.sourcesOf(last != null && last.hash === hash ? last : undefined)
    // quantised downlink: a peer holding the previous model fetches only the round's delta
    const viaDelta = this.d.downBits > 0 && last != null && last.hash === hash && store.has(last.base)
    const trace: HeadFetchTrace = { hash, startedAt: this.d.now(), asked: [] }
    this.lastFetch = trace
    this.fetching = (viaDelta ? store.fetchByDelta(hash, (last as CommittedRound).base, sources, trace) : store.fetchModel(hash, sources, this.d.size, trace))
      .then(async () => { if (state != null) await store.fetchModel(state, sources, 2 * this.d.size) })
      .then(() => { this.backoffMs = 0; Object.assign(trace, { doneAt: this.d.now(), ok: true }) })
      .catch(err => {
        Object.assign(trace, { doneAt: this.d.now(), ok: false })
        this.failed = hash
        // no source answered (e.g. a learner without working links): back off instead of asking every source each tick
        this.backoffMs = Math.min(FETCH_RETRY_MAX_MS, Math.max(FETCH_RETRY_MIN_MS, 2 * this.backoffMs))
        this.retryAt = this.d.now() + this.backoffMs
        this.d.log(`model ${hash.slice(0, 12)}: ${errorText(err)} (next try in ${this.backoffMs} ms)`)
      })
      .finally(() => { this.fetching = undefined })
  }

  /**
   * A peer that fell behind fetches only the head, so a round committed while it was catching up
   * would stay unevaluated; this fetches the newest such round among the last 2 × KEEP_MODELS
   * (peers keep at least KEEP_MODELS and drop others only past 2 × KEEP_MODELS + 2 models), one at
   * a time, up to BACKFILL_TRIES times each, once the head is held.
   */
  backfill (): void {
    if (this.backfilling != null || this.fetching != null) return
    const r = this.d.history().slice(-2 * KEEP_MODELS).reverse().find(r => r.localAccuracy == null && !this.d.store.has(r.hash) && (this.backfillTries.get(r.round) ?? 0) < BACKFILL_TRIES)
    if (r == null) return
    this.backfillTries.set(r.round, (this.backfillTries.get(r.round) ?? 0) + 1)
    this.backfilling = this.d.store.fetchModel(r.hash, this.sourcesOf(r))
      .then(() => { this.d.stats.backfilled++ })
      .catch(err => { this.d.log(`round ${r.round}'s model ${r.hash.slice(0, 12)} (to evaluate it): ${errorText(err)}`) })
      .finally(() => { this.backfilling = undefined })
  }

  /** Whom to ask for a round's model, each once: its coordinator and participants first (they hold it), then every learner; never this peer. */
  private sourcesOf (r: CommittedRound | undefined): string[] {
    const self = this.d.mesh.peerId
    const all = [...new Set([...(r != null ? [r.coordinator, ...r.participants] : []), ...this.d.learners()])].filter(p => p !== self)
    // those linked directly first: a request to another dials it first (model-fetch.ts), up to a second each
    const direct = new Set(this.d.mesh.links().filter(l => !l.limited).map(l => l.peerId))
    return [...all.filter(p => direct.has(p)), ...all.filter(p => !direct.has(p))]
  }
}

