/**
 * The in-memory learners of the live-learning tests (live-delta, live-dropout, live-links,
 * live-probes, live-rounds): a seeded small-MNIST split into 4 Dirichlet shards, and per peer a
 * real tfjs `Trainer` and a `LiveLearning` over `_mem.ts`'s mesh and ledger, with that peer's fixed
 * identity. `stop()` (in the test file's `after`) stops every learner and disposes every trainer.
 */
import { createRng, partition, subset, Trainer, type Dataset, type ModelSpec } from '../../core/learning/index.ts'
import { KIND_ROUND, LiveLearning, readMessage, readRoundEntry, type LiveMessage, type LiveLearningComponents, type LiveLearningInit, type LiveTaskConfig, type RoundEntry } from '../../core/learning/live/index.ts'
import { smallMnist } from './_mnist.ts'
import { IDS, MemLedger, MemMesh, PEERS } from './_mem.ts'

/** the model every in-memory live test trains: small enough for many rounds in seconds */
export const SMALL_MLP: ModelSpec = { kind: 'mlp', inputDim: 784, classes: 10, hidden: 16 }

/**
 * The tests' task: SMALL_MLP, one local epoch of FedAvg, 8-bit updates, at least 2 updates a
 * round, a 600 s deadline (far beyond any wait: a test that waits it out fails); `over` changes any of it.
 */
export function liveTask (seed: number, over: Partial<LiveTaskConfig> = {}): LiveTaskConfig {
  return {
    model: SMALL_MLP, seed, localEpochs: 1, batchSize: 32, learningRate: 0.1, rule: 'fedavg', clipMedian: false, trimFraction: 0.2,
    quantizeBits: 8, topK: 1, dp: null, perRound: 0, minUpdates: 2, deadlineMs: 600_000, ...over
  }
}

/** Weights of the right size for `spec` (an MLP): LiveLearning sets the task's initial weights itself. */
export function weightsOf (spec: ModelSpec): Float32Array {
  const hidden = spec.hidden ?? 64
  return new Float32Array(spec.inputDim * hidden + hidden + hidden * spec.classes + spec.classes)
}

export class MemLearners {
  private readonly running: LiveLearning[] = []
  private readonly trainers: Trainer[] = []

  private constructor (readonly shards: Dataset[], readonly test: Dataset) {}

  /** 60 training and 20 test images per class drawn with `seed`, the training set in 4 shards */
  static async load (seed: number): Promise<MemLearners> {
    const d = await smallMnist(60, 20, seed)
    const shards = partition(d.train, 4, { kind: 'dirichlet', alpha: 0.5 }, createRng(seed)).map(idx => subset(d.train, idx))
    return new MemLearners(shards, d.test)
  }

  /**
   * Peer `i`'s learner on shard `i`: `init` is everything but the data; `components` add to or
   * replace the defaults (its mesh and ledger ports, a fresh trainer of the task's model, its identity);
   * a function of that trainer gives them from it (e.g. a wrapper of it).
   */
  add (i: number, mesh: MemMesh, ledger: MemLedger, init: Omit<LiveLearningInit, 'train' | 'test'>, components: Partial<LiveLearningComponents> | ((trainer: Trainer) => Partial<LiveLearningComponents>) = {}): LiveLearning {
    const trainer = new Trainer(init.task.model, weightsOf(init.task.model))
    this.trainers.push(trainer)
    const l = new LiveLearning({ ...init, train: this.shards[i], test: this.test },
      { mesh: mesh.port(PEERS[i]), ledger: ledger.port(PEERS[i]), trainer, identity: IDS[i], ...(typeof components === 'function' ? components(trainer) : components) })
    this.running.push(l)
    return l
  }

  /** All 4 learners over a fresh in-memory mesh and ledger, each with `init` (and `components(i)`, as `add`'s). */
  four (init: Omit<LiveLearningInit, 'train' | 'test'>, components: (i: number, trainer: Trainer) => Partial<LiveLearningComponents> = () => ({})): { mesh: MemMesh, ledger: MemLedger, peers: LiveLearning[] } {
    const mesh = new MemMesh()
    const ledger = new MemLedger()
    return { mesh, ledger, peers: [0, 1, 2, 3].map(i => this.add(i, mesh, ledger, init, t => components(i, t))) }
  }

  async stop (): Promise<void> {
    for (const l of this.running) await l.stop()
    for (const t of this.trainers) t.dispose()
  }
}

/** A request a test hook of `_mem.ts` intercepted, read (frames up to 4 MiB). */
export function readRequest (request: Uint8Array): LiveMessage {
  return readMessage(request, { maxUpdateBytes: 1 << 22, maxModelBytes: 1 << 22 })
}

/**
 * A `MemMesh.fails` hook that fails every coordinator's hand-over of its new model before its
 * commit (`hold`, coordinator.ts `handOver`): for the tests of how learners get a committed model
 * that only its coordinator holds (fetched by delta, or carried by a `start`).
 */
export function handOverFails (_from: string, _to: string, request: Uint8Array): boolean {
  return readRequest(request).type === 'hold'
}

/** The learner among `peers` whose peer id is `id` (the caller knows it is there). */
export function byId (peers: readonly LiveLearning[], id: string): LiveLearning {
  return peers.find(p => p.status().peerId === id) as LiveLearning
}

/** The rounds `ledger` committed and applied, in order. */
export function committedRounds (ledger: MemLedger): RoundEntry[] {
  return ledger.entries.filter(e => e.kind === KIND_ROUND && e.applied).map(e => readRoundEntry(e.data))
}
