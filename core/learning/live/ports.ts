/**
 * What a `LiveLearning` (service.ts) depends on and is started with: a `LearningMesh` (what it uses
 * of core/net's MeshNode: mesh-adapter.ts), a `LearningLedger` (submit and read the committed log),
 * a `LiveTrainer` (the engine's `Trainer`, or a tab's worker proxy), and its init options.
 */
import type { Compressor } from '../codec.ts'
import type { Dataset } from '../data.ts'
import type { Metrics, TrainOptions } from '../model.ts'
import type { Rng } from '../rng.ts'
import type { HostileUpdates } from './hostile.ts'
import type { LearningIdentity } from './identity.ts'
import type { LiveTaskConfig } from './task.ts'

export interface LearningMesh {
  readonly peerId: string
  handle: (protocol: string, handler: (request: Uint8Array, ctx: { peerId: string }) => Promise<Uint8Array>, opts: { maxFrameSize: number }) => Promise<void>
  unhandle: (protocol: string) => Promise<void>
  /**
   * one request/response; `directWaitMs`: when `peer` is linked only through the relay (requests
   * are refused there), dial a direct link first, for at most this long (core/net's `direct`)
   */
  request: (peer: string, protocol: string, payload: Uint8Array, opts: { maxFrameSize: number, timeoutMs: number, directWaitMs?: number }) => Promise<Uint8Array>
  /** open links with their last measured ping RTT (core/net's `MeshNode.links()`) */
  links: () => Array<{ peerId: string, rttMs?: number, limited: boolean }>
  /**
   * peer ids in this peer's mesh view (core/net's `MeshNode.members()`): the mesh drops a peer that
   * died or left within seconds (its bootstrap link closed and a ping failed); liveness.ts
   */
  members: () => readonly string[]
  /**
   * makes sure a direct link to `peer` that carries requests is open (not only the relayed one),
   * dialling it within `waitMs`; true when one is open afterwards (core/net's `MeshNode.linkDirect`).
   * A coordinator calls it for the joined learners it lacks such a link to before it selects (links.ts)
   */
  link: (peer: string, waitMs: number) => Promise<boolean>
  /** why there is no direct link to `peer` now (core/net's `MeshNode.dialState`), for the counters of links.ts; absent = unknown */
  dialState?: (peer: string) => string
  /**
   * peers in the view (or linked) that no bootstrap lists as its neighbour any more: their
   * bootstrap link closed, the first sign that a process died or a tab closed (probes.ts)
   */
  unlisted: () => readonly string[]
  /** one keep-alive round trip to `peer` within `timeoutMs` (its RTT), changing nothing in the mesh (core/net's `MeshNode.ping`) */
  ping: (peer: string, timeoutMs: number) => Promise<number>
}

export interface LedgerEntryView { slot: number, index: number, kind: string, author: string, data: Uint8Array, applied: boolean }

export interface LearningLedger {
  submit: (entry: { kind: string, data: Uint8Array }, opts?: { timeoutMs?: number }) => Promise<unknown>
  /** entries from (slot `from`, entry `index`) on, at most `limit` (one slot may hold more) */
  log: (from: number, limit: number, index?: number) => Promise<LedgerEntryView[]>
  /**
   * calls `fn` whenever this peer's ledger committed a block (its entries readable by `log`);
   * returns what unsubscribes it. The learner then reads the log at once instead of at its next
   * poll (service.ts). Without it (a tab's ledger today) the log is read every `pollMs` only
   */
  onCommit?: (fn: () => void) => () => void
}

export interface LiveTrainer {
  readonly size: number
  setWeights: (w: Float32Array) => void
  getWeights: () => Promise<Float32Array>
  train: (ds: Dataset, opts: TrainOptions, rng: Rng) => Promise<{ loss: number, steps: number }>
  evaluate: (ds: Dataset) => Promise<Metrics>
}

export interface LiveLearningInit {
  task: LiveTaskConfig
  train: Dataset
  test: Dataset
  /** stop coordinating after this many committed rounds (the task's length) @default Infinity */
  rounds?: number
  /** no round starts before this many learners joined @default 1 */
  minLearners?: number
  /** @default 200 */
  pollMs?: number
  /** a coordinator that has not committed the next round this long after the last is replaced @default 2 × deadlineMs + 20000 */
  roundTimeoutMs?: number
  /** how long a coordinator waits for links to the joined learners it dials before it selects (links.ts) @default 1000 */
  linkWaitMs?: number
  /**
   * round 1's coordinator begins it only once it holds a direct link to every joined learner in
   * its mesh view, or this long after the draw's seed is known (next-turn.ts `startupLinksPending`):
   * the first rounds ran while the learners' links were still forming, and round 2 was the slowest
   * of every run (docs/learning.md, "round 1 after the links"). 0: no wait @default 10000
   */
  startupLinkMs?: number
  /**
   * a coordinator stops waiting for the last learners of a round once more than two thirds of
   * the selected (and minUpdates) updates are in and the round has been open this many times the median
   * time they took (collector.ts `StragglerRule`); those still awaited are cut from the round.
   * 0 turns it off (wait for every selected learner until the deadline); 1.5 is what was measured
   * (docs/learning.md "Round-time tail, third pass"). Off by default: a cut round loses the slow
   * learners' updates, a trade for the operator to choose @default 0
   */
  stragglerFactor?: number
  /**
   * throw-away local rounds this peer runs on its own data when it starts, before round 1, so that
   * round 2 does not run on cold code in every learner at once (warm-up.ts). 0: none @default 4
   */
  warmUpRounds?: number
  /** how long a request waits for its answer @default 20000 */
  requestTimeoutMs?: number
}

export interface LiveLearningComponents {
  mesh: LearningMesh
  ledger: LearningLedger
  trainer: LiveTrainer
  /** the draw key and update signing (identity.ts: `learningIdentity(privateKey)`) */
  identity: LearningIdentity
  compressor?: Compressor
  now?: () => number
  log?: (message: string) => void
  /** test only (hostile.ts): what this peer sends instead of its honest update */
  hostile?: HostileUpdates
}
