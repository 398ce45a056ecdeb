/**
 * The in-memory learners of the live-learning tests (live-delta, live-dropout, live-links,
 * live-probes, live-rounds, late-start, late-update, live-handover, live-pass, live-turn): a seeded
 * small-MNIST split into 4 Dirichlet shards, and per peer a real tfjs `Trainer` and a
 * `LiveLearning` over `_mem.ts`'s mesh and ledger, with that peer's fixed identity. `stop()` (in
 * the test file's `after`) stops every learner and disposes every trainer. Plus the set-up shapes
 * those tests share: starting a group and waiting for its rounds (`startAll`, `untilCommitted`),
 * a peer that dies unnoticed (`diesUnnoticed`), a peer's messages held back (`holdBack`), a
 * coordinator killed as it commits (`killedAtCommit`).
 */
import { createRng, partition, subset, Trainer, type Dataset, type ModelSpec } from '../../core/learning/index.ts'
import { KIND_ROUND, LiveLearning, readMessage, readRoundEntry, type LiveMessage, type LiveLearningComponents, type LiveLearningInit, type LiveTaskConfig, type RoundEntry } from '../../core/learning/live/index.ts'
import { smallMnist } from './_mnist.ts'
import { IDS, MemLedger, MemMesh, PEERS } from './_mem.ts'
import { waitFor } from '../_support/wait.ts'

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
    return this.group(4, init, components)
  }

  /** The first `n` learners (≤ 4) over a fresh in-memory mesh and ledger, as `four`; `components` may use that mesh and ledger. */
  group (n: number, init: Omit<LiveLearningInit, 'train' | 'test'>, components: (i: number, trainer: Trainer, on: { mesh: MemMesh, ledger: MemLedger }) => Partial<LiveLearningComponents> = () => ({})): { mesh: MemMesh, ledger: MemLedger, peers: LiveLearning[] } {
    const mesh = new MemMesh()
    const ledger = new MemLedger()
    return { mesh, ledger, peers: Array.from({ length: n }, (_, i) => this.add(i, mesh, ledger, init, t => components(i, t, { mesh, ledger }))) }
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

/** Starts every learner of `peers`, in order. */
export async function startAll (peers: readonly LiveLearning[]): Promise<void> {
  for (const p of peers) await p.start()
}

/** Stops every learner of `peers`, in order. */
export async function stopAll (peers: readonly LiveLearning[]): Promise<void> {
  for (const p of peers) await p.stop()
}

/** Waits (at most `timeout` ms) until `ledger` committed `n` rounds; `what` says what the test waits for (read on a timeout). Returns them. */
export async function untilCommitted (ledger: MemLedger, n: number, what: string | (() => string), timeout: number): Promise<RoundEntry[]> {
  await waitFor(() => committedRounds(ledger).length >= n, { timeout, message: () => `${typeof what === 'string' ? what : what()}; committed ${committedRounds(ledger).length}` })
  return committedRounds(ledger)
}

/**
 * `peer` dies unnoticed: it stops and answers nothing, yet it stays linked and in every view
 * (`frozen`), and its bootstrap still lists it unless `unlisted` (its bootstrap link closed).
 */
export function diesUnnoticed (mesh: MemMesh, peers: readonly LiveLearning[], peer: string, o: { unlisted?: boolean } = {}): void {
  mesh.frozen.add(peer)
  if (o.unlisted === true) mesh.unlistedPeers.add(peer)
  void byId(peers, peer).stop()
}

/**
 * Holds back by `ms` every `type` request of round `round` from the first peer that sends one (a
 * slow but live peer: it still answers pings); returns who that is, once known.
 */
export function holdBack (mesh: MemMesh, type: 'start' | 'update', round: number, ms: number): () => string | undefined {
  let slow: string | undefined
  mesh.delay = (from, _to, request) => {
    const m = readRequest(request)
    if (m.type !== type || m.round !== round) return
    slow ??= from
    if (from !== slow) return
    return new Promise(resolve => { setTimeout(resolve, ms) })
  }
  return () => slow
}

/**
 * `author`'s port to `ledger`, where the coordinator of round `round` leaves `mesh` in the same tick
 * it submits that round's commit (no peer has fetched the new model from it); `killed()` names it once done.
 */
export function killedAtCommit (mesh: MemMesh, ledger: MemLedger, round: number): { port: (author: string) => ReturnType<MemLedger['port']>, killed: () => string | undefined } {
  let killed: string | undefined
  return {
    killed: () => killed,
    port: author => {
      const port = ledger.port(author)
      return {
        ...port,
        submit: async entry => {
          const out = await port.submit(entry)
          if (killed == null && entry.kind === KIND_ROUND && readRoundEntry(entry.data).round === round) { killed = author; mesh.dropped.add(author) }
          return out
        }
      }
    }
  }
}
