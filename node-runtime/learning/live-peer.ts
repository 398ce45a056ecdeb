/**
 * Live learning inside a Node peer (`novacron learn`): core/learning/live's `LiveLearning` wired
 * to the peer's MeshNode (requests, handlers, measured link RTTs) and its ledger (submit, committed
 * log), training on this peer's data with tfjs-wasm, and the `model.*` control ops the
 * `novacron model` commands call through the data dir's control endpoint:
 *
 *   model.status  → LiveStatus plus the model spec and the data's name
 *   model.weights → { spec, round, hash, weights (base64 f32le) } of the head (or `hash`)
 *   model.verify  → recomputes round r from its coordinator's update bodies and checks their signatures:
 *                   { round, hash, recomputed, match, badSignatures }
 *
 * Prints `learn:round {round, hash, coordinator, participants, accuracy}` once a committed round's
 * weights are held and evaluated here.
 */
import type { MeshNode } from '../../core/net/index.ts'
import type { Dataset, ModelSpec } from '../../core/learning/index.ts'
import { Trainer, initParams, createRng } from '../../core/learning/index.ts'
import { loadLz4Compressor } from '../../core/learning/compression.ts'
import { LiveLearning, recomputeRound, type LiveStatus, type LiveTaskConfig } from '../../core/learning/live/index.ts'
import { hostileUpdates, type HostileKind } from '../../core/learning/live/hostile.ts'
import { learningMesh } from '../../core/learning/live/mesh-adapter.ts'
import { registerLiveLearningMetrics } from '../../core/learning/live/metrics.ts'
import { weightsToBytes } from '../../core/learning/live/weights.ts'
import type { PrivateKey } from '@libp2p/interface'
import { learningIdentity } from '../../core/learning/live/identity.ts'
import type { LedgerRuntime } from '../ledger/peer-ledger.ts'
import type { ControlServer } from '../state/control.ts'

export interface LivePeerInit {
  node: MeshNode
  /** the peer's libp2p key: the draw key and update signatures (core/learning/live/identity.ts) */
  privateKey: PrivateKey
  ledger: LedgerRuntime
  control?: ControlServer
  task: LiveTaskConfig
  train: Dataset
  test: Dataset
  dataName: string
  rounds?: number
  minLearners?: number
  roundTimeoutMs?: number
  /** core/learning/live's `LiveLearningInit.stragglerFactor` */
  stragglerFactor?: number
  out: (event: string, fields: Record<string, unknown>, human: string) => void
  log?: (message: string) => void
  /** test only (NOVACRON_TEST=1 with NOVACRON_TEST_HOSTILE=<kinds>): core/learning/live/hostile.ts */
  hostile?: readonly HostileKind[]
}

export interface LivePeer {
  readonly learning: LiveLearning
  stop: () => Promise<void>
}

export interface ModelStatus extends LiveStatus { spec: ModelSpec, data: string, trainSamples: number, testSamples: number }

export interface ModelWeights { spec: ModelSpec, round: number, hash: string, weights: string }

export async function startLivePeer (init: LivePeerInit): Promise<LivePeer> {
  const lz = await loadLz4Compressor()
  // the trainer's starting weights are replaced by the task's before any use
  const trainer = new Trainer(init.task.model, initParams(init.task.model, createRng(init.task.seed).fork('init')))
  const node = init.node
  const learning = new LiveLearning({
    task: init.task, train: init.train, test: init.test,
    ...(init.rounds != null ? { rounds: init.rounds } : {}),
    ...(init.minLearners != null ? { minLearners: init.minLearners } : {}),
    ...(init.roundTimeoutMs != null ? { roundTimeoutMs: init.roundTimeoutMs } : {}),
    ...(init.stragglerFactor != null ? { stragglerFactor: init.stragglerFactor } : {})
  }, {
    mesh: learningMesh(node),
    ledger: {
      submit: async (entry, opts) => await init.ledger.submit(entry, opts),
      log: async (from, limit, index) => await init.ledger.log(from, limit, index),
      onCommit: fn => {
        const listener = (): void => { fn() }
        init.ledger.addEventListener('commit', listener)
        return () => { init.ledger.removeEventListener('commit', listener) }
      }
    },
    trainer,
    identity: learningIdentity(init.privateKey),
    ...(lz.compressor != null ? { compressor: lz.compressor } : {}),
    ...(init.log != null ? { log: init.log } : {}),
    ...(init.hostile != null ? { hostile: hostileUpdates(init.hostile, lz.compressor ?? undefined) } : {})
  })
  registerLiveLearningMetrics(node.metrics, learning) // /metrics (docs/metrics.md)
  learning.addEventListener('evaluated', e => {
    const r = e.detail
    init.out('learn:round', { round: r.round, hash: r.hash, coordinator: r.coordinator, participants: r.participants, accuracy: r.localAccuracy, loss: r.localLoss, epsilon: r.epsilon },
      `round       ${r.round} committed at slot ${r.slot}: ${r.participants.length} participant(s), accuracy ${((r.localAccuracy ?? 0) * 100).toFixed(2)}%, model ${r.hash.slice(0, 16)}…`)
  })
  const handler = async (op: string, args: Record<string, unknown>): Promise<unknown> => {
    switch (op) {
      case 'model.status': return { ...learning.status(), spec: init.task.model, data: init.dataName, trainSamples: init.train.n, testSamples: init.test.n } satisfies ModelStatus
      case 'model.weights': {
        const s = learning.status()
        const hash = typeof args.hash === 'string' ? args.hash : s.hash
        const w = learning.weights(hash)
        if (w == null) throw new RangeError(`model ${hash.slice(0, 16)} is not held by this peer`)
        const round = hash === s.hash ? s.round : (s.rounds.find(r => r.hash === hash)?.round ?? 0)
        return { spec: init.task.model, round, hash, weights: Buffer.from(weightsToBytes(w)).toString('base64') } satisfies ModelWeights
      }
      case 'model.verify': {
        const s = learning.status()
        const round = typeof args.round === 'number' ? args.round : s.round
        const entry = s.rounds.find(r => r.round === round)
        if (entry == null) throw new RangeError(`round ${round} is not committed (head: round ${s.round})`)
        const fetched = await learning.fetchRound(round, entry.coordinator)
        const base = learning.weights(entry.base) ?? await learning.fetchModel(entry.base, [entry.coordinator, ...entry.participants])
        // FedAdam: the server state the round started from (the previous round's, zeros before round 1)
        const prev = s.rounds.find(r => r.round === round - 1)
        const state = learning.roundRule.serverOpt == null ? null : prev?.state == null ? new Float32Array(2 * base.length) : learning.weights(prev.state) ?? await learning.fetchModel(prev.state, [prev.coordinator, entry.coordinator, ...s.learners], 2 * base.length)
        // downlink feedback: the residual the round added (the previous round's, made by its coordinator)
        const carryIn = entry.carryIn == null ? null : await learning.fetchCarry(entry.carryIn, [...new Set([prev?.coordinator, entry.coordinator, ...s.learners])].filter((p): p is string => p != null && p !== s.peerId))
        const again = recomputeRound(base, fetched.updates, learning.roundRule, round, entry.base, lz.compressor ?? undefined, state, carryIn)
        // match: the hash recomputes and every body carries its participant's signature
        return { round, hash: entry.hash, recomputed: again.hash, match: again.hash === entry.hash && again.stateHash === entry.state && again.carryHash === entry.carry && fetched.badSignatures.length === 0, updates: fetched.updates.length, rejected: again.rejected, badSignatures: fetched.badSignatures }
      }
      default: throw new RangeError(`unknown op ${op}`)
    }
  }
  init.control?.addOps('model.', handler)
  await learning.start()
  let stopping: Promise<void> | undefined
  return {
    learning,
    stop: async () => {
      stopping ??= (async () => {
        await learning.stop()
        trainer.dispose()
      })()
      await stopping
    }
  }
}
