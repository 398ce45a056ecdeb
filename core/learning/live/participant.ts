/**
 * A learner's side of a round (for one `LiveLearning`, service.ts): train from the round's base
 * on this peer's own data, encode the update (local-update.ts: DP clip, top-k with error feedback
 * carried across rounds, b-bit quantisation, LZ4), sign it (signing.ts) and send it to the
 * coordinator — or, for a test-only hostile peer (hostile.ts), send what it sends instead. The
 * coordinator's own update goes through `trainUpdate` and `ownBody`.
 *
 * `offer` decides on a `start` (serve.ts). One training at a time: a `start` for another round
 * while this peer trains is refused ("busy"). A `start` for the **same round and base** from
 * another coordinator — the next in the draw taking over from a drawn coordinator that died
 * (service.ts, probes.ts) — is taken: the update being trained, or already trained, goes to it too
 * (the signature covers task, round, base and body, not the coordinator), at most `MAX_RECIPIENTS`
 * coordinators a round. Before, this peer refused the takeover as busy until its update call to
 * the dead coordinator failed (the request timeout, 20 s), so the takeover's round ran without it.
 * Sending to the first coordinator is not cancelled: if it was alive after all, both rounds get
 * the update and the ledger keeps the first commit. Once trained, the update's sends no longer
 * block a `start` of a later round; a `start` repeated by the same coordinator (its retry of a round
 * that closed short) gets the same update again, not a second training.
 *
 * The base comes with the `start` when it can: a coordinator that holds the base's delta sends it
 * along (coordinator.ts), and a learner holding the model it starts from rebuilds the base at once
 * (model-store.ts `acceptDelta`, hash-checked). Before, every learner fetched that same delta from
 * the last coordinator at once, on every round's path (docs/learning.md, "The delta with the start").
 */
import { errorText } from '../errors.ts'
import type { Dataset } from '../data.ts'
import { ErrorFeedback } from '../quantize.ts'
import { createRng } from '../rng.ts'
import type { LiveMessage, StartDelta } from './codec.ts'
import { alterBody, forgeSignature } from './hostile.ts'
import { encodeLocalUpdate } from './local-update.ts'
import type { ModelStore } from './model-store.ts'
import type { LiveLearningComponents, LiveTrainer } from './ports.ts'
import type { LiveRpc } from './rpc.ts'
import { updateSigningBytes } from './signing.ts'
import { localStepCap } from './step-budget.ts'
import { keepRecord, type LiveStats, type ParticipatedRecord } from './status.ts'
import type { LiveTaskConfig } from './task.ts'
import { bytesToHex, hexToBytes32 } from './weights.ts'

export interface ParticipantDeps {
  task: string
  cfg: LiveTaskConfig
  train: Dataset
  c: LiveLearningComponents
  rpc: LiveRpc
  store: ModelStore
  stats: LiveStats
  now: () => number
  log: (m: string) => void
  running: () => boolean
  /** runs `fn` on the trainer once the calls before it are done */
  withTrainer: <T>(fn: (t: LiveTrainer) => Promise<T>) => Promise<T>
  waitUntil: (cond: () => boolean) => Promise<void>
  /** how many learners the head's round had (its participants; before round 1 the joined learners, at least minLearners): step-budget.ts */
  lastParticipants: () => number
  /** reads the ledger now and fetches the model `hash` without delay once it is the head (a `start` for a base not held: its commit is likely just in) */
  needBase: (hash: string) => void
}

/**
 * Training hands the event loop back every this many ms (model.ts `yieldMs`): a Node learner trains
 * on its main thread, and a coordinator training its own update held its streams still meanwhile —
 * `start`s whose streams were still opening, and updates arriving (docs/learning.md, "A late start pinged, training that yields").
 */
export const TRAIN_YIELD_MS = 15

/** coordinators one round's update is sent to, at most (the drawn one and takeovers) */
export const MAX_RECIPIENTS = 4

type Send = { base: Uint8Array, body: Uint8Array, forge?: 'forged' | 'altered' }

interface Current {
  round: number
  base: string
  /** coordinators that started this round here, in the order their `start` came */
  recipients: string[]
  training: boolean
  /** once trained: what goes to each recipient */
  ready?: { sends: Send[], trainMs: number }
  /** when it was trained (this peer's clock) */
  readyAt?: number
}

export class Participant {
  private readonly feedback = new ErrorFeedback()
  private current: Current | undefined

  constructor (private readonly d: ParticipantDeps) {}

  /** The round of the last `start` taken here (0 before any). */
  get startedRound (): number { return this.current?.round ?? 0 }

  /** When this peer's update of `round` was trained, if it was (late-start.ts: its coordinator's commit is late from then). */
  readyAt (round: number): number | undefined { return this.current?.round === round ? this.current.readyAt : undefined }

  /** Whether this peer took `coordinator`'s `start` of `round` from `base` (the drawn one's or a takeover's): a `hold` comes only from such a coordinator (holds.ts). */
  tookStart (coordinator: string, round: number, base: string): boolean {
    const cur = this.current
    return cur != null && cur.round === round && cur.base === base && cur.recipients.includes(coordinator)
  }

  /** True while training for a round (a `start` of another round is refused). */
  get busy (): boolean { return this.current?.training === true }

  /** Trains from `base` on this peer's data and encodes the update (DP clip, top-k, quantisation, LZ4). */
  async trainUpdate (round: number, base: Float32Array): Promise<{ body: Uint8Array, trainMs: number }> {
    const { cfg, c } = this.d
    const rng = createRng(cfg.seed).fork(`peer:${c.mesh.peerId}:round:${round}`)
    let trainMs = 0
    const maxSteps = localStepCap(cfg, this.d.lastParticipants())
    const w = await this.d.withTrainer(async t => {
      t.setWeights(base)
      const t0 = this.d.now()
      await t.train(this.d.train, { epochs: cfg.localEpochs, batchSize: cfg.batchSize, learningRate: cfg.learningRate, yieldMs: TRAIN_YIELD_MS, ...(maxSteps != null ? { maxSteps } : {}) }, rng.fork('train'))
      trainMs = Math.max(0, Math.round(this.d.now() - t0))
      return await t.getWeights()
    })
    const body = encodeLocalUpdate(base, w, cfg, this.feedback, { round, samples: this.d.train.n, rng, compressor: c.compressor })
    this.d.stats.updatesSent++
    return { body, trainMs }
  }

  /** This peer's own update as its coordinator admits it (a hostile peer's in-round body instead). */
  ownBody (round: number, baseHash: string, body: Uint8Array): Uint8Array {
    const sends = this.d.c.hostile?.({ round, base: hexToBytes32(baseHash), size: this.d.c.trainer.size })
    return sends?.filter(s => bytesToHex(s.base) === baseHash && s.forge == null).at(-1)?.body ?? body
  }

  /**
   * A `start` from `coordinator` (serve.ts has checked task, learner and round): null when taken —
   * this peer trains for it, or sends the update it trains or trained for the same round and base
   * to it as well — else the reason it is refused.
   */
  offer (coordinator: string, m: Extract<LiveMessage, { type: 'start' }>): string | null {
    const cur = this.current
    const baseHash = bytesToHex(m.base)
    // (a training of this round that failed, e.g. the base could not be fetched, is tried afresh below)
    if (cur != null && cur.round === m.round && cur.base === baseHash && (cur.training || cur.ready != null)) {
      // the same coordinator again: a retry of its round (the last closed short of minUpdates): the update goes again
      if (cur.recipients.includes(coordinator)) {
        if (cur.ready != null) void this.sendTo(cur, coordinator)
        return null
      }
      if (cur.recipients.length >= MAX_RECIPIENTS) return `round ${m.round} started by ${MAX_RECIPIENTS} coordinators already`
      cur.recipients.push(coordinator)
      this.d.stats.startsJoined++
      this.d.log(`round ${m.round}: ${coordinator} took over; its update goes there too`)
      if (cur.ready != null) void this.sendTo(cur, coordinator)
      return null
    }
    if (cur?.training === true) return 'busy with another round'
    void this.participate(coordinator, m)
    return null
  }

  /** Answers a coordinator's `start`: the base (fetched if not held), training, the signed update to every coordinator of the round. */
  private async participate (coordinator: string, m: Extract<LiveMessage, { type: 'start' }>): Promise<void> {
    const { c, store } = this.d
    const baseHash = bytesToHex(m.base)
    const cur: Current = { round: m.round, base: baseHash, recipients: [coordinator], training: true }
    this.current = cur
    const record: ParticipatedRecord = { round: m.round, coordinator, startAt: this.d.now(), baseVia: store.has(baseHash) ? 'held' : 'fetched' }
    keepRecord(this.d.stats.participated, record)
    try {
      // the base's delta came with the start: rebuilt from the model it starts from, when held (no fetch from the last coordinator)
      if (m.delta != null && !store.has(baseHash)) this.takeDelta(coordinator, baseHash, m.delta)
      if (store.has(baseHash) && record.baseVia === 'fetched') record.baseVia = 'start'
      // else let this peer's own follow of the ledger fetch it (by delta where it can) rather than
      // fetching it whole here at once; its coordinator began the round as soon as it applied the
      // base's commit (coordinator.ts), so this peer has likely not polled yet: it reads the ledger now
      const until = this.d.now() + Math.min(10_000, this.d.cfg.deadlineMs / 2)
      if (!store.has(baseHash)) this.d.needBase(baseHash)
      await this.d.waitUntil(() => store.has(baseHash) || this.d.now() >= until || !this.d.running())
      const base = await store.fetchModel(baseHash, [...cur.recipients])
      record.baseAt = this.d.now()
      const { body, trainMs } = await this.trainUpdate(m.round, base)
      record.trainedAt = this.d.now()
      const sends: Send[] = c.hostile?.({ round: m.round, base: m.base, size: c.trainer.size }) ?? [{ base: m.base, body }]
      cur.ready = { sends, trainMs }
      cur.readyAt = record.trainedAt
    } catch (err) {
      this.d.log(`round ${m.round}: ${errorText(err)}`)
      return
    } finally {
      cur.training = false
    }
    // recipients added while it trained are in the list; later ones are sent to by `offer`
    await Promise.all(cur.recipients.map(async r => { await this.sendTo(cur, r) }))
    record.sentAt = this.d.now()
  }

  /** The base rebuilt from the delta a `start` carried (model-store.ts `acceptDelta`); a bad one is logged (counted there) and the base fetched as before. */
  private takeDelta (coordinator: string, baseHash: string, delta: StartDelta): void {
    try {
      this.d.store.acceptDelta(baseHash, bytesToHex(delta.from), delta.body, coordinator)
    } catch (err) {
      this.d.log(`the delta to ${baseHash.slice(0, 12)} in ${coordinator}'s start: ${errorText(err)}`)
    }
  }

  /** Sends the round's signed update(s) to one coordinator; a refusal or failure is logged. */
  private async sendTo (cur: Current, coordinator: string): Promise<void> {
    const { c } = this.d
    const ready = cur.ready
    if (ready == null) return
    for (const s of ready.sends) {
      const signed = updateSigningBytes(this.d.task, cur.round, s.base, s.body)
      const sig = s.forge === 'forged' ? forgeSignature(signed) : await c.identity.sign(signed)
      const sent = s.forge === 'altered' ? alterBody(s.body) : s.body
      // a refusal is an error from call(): logged, and a hostile peer goes on with its next send
      await this.d.rpc.call(coordinator, { type: 'update', task: this.d.task, round: cur.round, base: s.base, trainMs: ready.trainMs, body: sent, sig }, 1024)
        .catch(err => { this.d.log(`round ${cur.round}: update refused by ${coordinator}: ${errorText(err)}`) })
    }
  }
}

