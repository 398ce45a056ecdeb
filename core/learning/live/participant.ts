/**
 * A learner's side of a round (for one `LiveLearning`, service.ts): train from the round's base
 * on this peer's own data, encode the update (local-update.ts: DP clip, top-k with error feedback
 * carried across rounds, b-bit quantisation, LZ4), sign it (signing.ts) and send it to the
 * coordinator — or, for a test-only hostile peer (hostile.ts), send what it sends instead. One
 * round at a time (`busy`). The coordinator's own update goes through `trainUpdate` and `ownBody`.
 */
import type { Dataset } from '../data.ts'
import { ErrorFeedback } from '../quantize.ts'
import { createRng } from '../rng.ts'
import type { LiveMessage } from './codec.ts'
import { alterBody, forgeSignature } from './hostile.ts'
import { encodeLocalUpdate } from './local-update.ts'
import type { ModelStore } from './model-store.ts'
import type { LiveLearningComponents, LiveTrainer } from './ports.ts'
import type { LiveRpc } from './rpc.ts'
import { updateSigningBytes } from './signing.ts'
import type { LiveStats } from './status.ts'
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
}

export class Participant {
  private readonly feedback = new ErrorFeedback()
  private participating = false

  constructor (private readonly d: ParticipantDeps) {}

  get busy (): boolean { return this.participating }

  /** Trains from `base` on this peer's data and encodes the update (DP clip, top-k, quantisation, LZ4). */
  async trainUpdate (round: number, base: Float32Array): Promise<{ body: Uint8Array, trainMs: number }> {
    const { cfg, c } = this.d
    const rng = createRng(cfg.seed).fork(`peer:${c.mesh.peerId}:round:${round}`)
    let trainMs = 0
    const w = await this.d.withTrainer(async t => {
      t.setWeights(base)
      const t0 = this.d.now()
      await t.train(this.d.train, { epochs: cfg.localEpochs, batchSize: cfg.batchSize, learningRate: cfg.learningRate }, rng.fork('train'))
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

  /** Answers a coordinator's `start`: the base (fetched if not held), training, the signed update. */
  async participate (coordinator: string, m: Extract<LiveMessage, { type: 'start' }>): Promise<void> {
    const { c, store } = this.d
    this.participating = true
    try {
      const baseHash = bytesToHex(m.base)
      // the start usually comes right after the base's commit: let this peer's own follow of the
      // ledger fetch it (by delta where it can) rather than fetching it whole here at once
      const until = this.d.now() + Math.min(10_000, this.d.cfg.deadlineMs / 2)
      await this.d.waitUntil(() => store.has(baseHash) || this.d.now() >= until || !this.d.running())
      const base = await store.fetchModel(baseHash, [coordinator])
      const { body, trainMs } = await this.trainUpdate(m.round, base)
      const sends = c.hostile?.({ round: m.round, base: m.base, size: c.trainer.size }) ?? [{ base: m.base, body }]
      for (const s of sends) {
        const signed = updateSigningBytes(this.d.task, m.round, s.base, s.body)
        const sig = s.forge === 'forged' ? forgeSignature(signed) : await c.identity.sign(signed)
        const sent = s.forge === 'altered' ? alterBody(s.body) : s.body
        // a refusal is an error from call(): logged, and a hostile peer goes on with its next send
        await this.d.rpc.call(coordinator, { type: 'update', task: this.d.task, round: m.round, base: s.base, trainMs, body: sent, sig }, 1024)
          .catch(err => { this.d.log(`round ${m.round}: update refused by ${coordinator}: ${errText(err)}`) })
      }
    } catch (err) {
      this.d.log(`round ${m.round}: ${errText(err)}`)
    } finally {
      this.participating = false
    }
  }
}

function errText (err: unknown): string { return err instanceof Error ? `${err.name}: ${err.message}` : String(err) }
