/**
 * The seeded consensus simulator: n replicas running the real state machine (replica.ts), with
 * real ed25519 signatures and ECVRF proofs, over SimNetwork, with the Byzantine replicas replaced
 * by the Adversary. It runs until every honest replica has decided `decisions` slots (or
 * `maxTicks`), then checks agreement slot by slot and reports message and latency figures.
 * Same options, same seed -> the same result object.
 */
import * as prng from 'lib0/prng'
import { sha256 } from '@noble/hashes/sha2.js'
import { createConsensusCrypto, deriveReplicaKeys, memoizeVerification, type ConsensusCrypto } from '../crypto.ts'
import { ConsensusConfigError } from '../errors.ts'
import { evalProbft, pbftQuorum, solveProbft, type ProbftParams, type QuorumMath } from '../quorum.ts'
import { Replica, type Action } from '../replica.ts'
import { hex, type Protocol, type RejectReason } from '../validate.ts'
import { Adversary, STRATEGIES, type Strategy } from './adversary.ts'
import { SimNetwork } from './network.ts'

export interface SimOptions {
  protocol: Protocol
  n: number
  /** Byzantine replicas actually present @default 0 */
  byzantine?: number
  /** which replicas are Byzantine (length must equal `byzantine`); default: a seeded random choice */
  byzantineIds?: number[]
  /** fault threshold the quorums are sized for @default ⌊(n − 1)/3⌋ */
  f?: number
  strategy?: Strategy
  decisions: number
  seed: number
  /** ProBFT sample size s = ⌈o·√n⌉ @default 2.5 */
  sampleFactor?: number
  sampleSize?: number
  /** ProBFT: explicit quorum instead of the solved one */
  quorum?: number
  /** target safety failure per view for the quorum math @default 1e-3 */
  targetFailure?: number
  loss?: number
  jitter?: number
  partitions?: number
  partitionTicks?: number
  /** partitions start in [0, partitionHorizon) @default 200 */
  partitionHorizon?: number
  viewTimeout?: number
  maxTicks?: number
  quorumMath: QuorumMath
  /** shared, memoized verification (see crypto.ts) @default true */
  memoize?: boolean
}

export interface SimResult {
  protocol: Protocol
  n: number
  f: number
  byzantine: number
  strategy: Strategy
  seed: number
  decided: number
  safetyViolations: number
  messagesPerDecision: number
  bytesPerDecision: number
  latencySteps: { median: number, p99: number }
  sampleSize: number
  quorum: number
  model: { safetyFailurePerView: number, livenessFailurePerPhase: number, byzantineQuorum: number } | null
  messages: number
  bytes: number
  /** honest messages by type (propose, prepare, commit, viewChange, newView, decision, decisionRequest) */
  messagesByKind: Record<string, number>
  byzantineMessages: number
  ticks: number
  viewChanges: number
  adoptedDecisions: number
  rejected: Partial<Record<RejectReason, number>>
  evidence: { leader: number, vote: number }
  /** views in which a Byzantine leader signed two different values (what the safety model bounds) */
  attackedViews: number
  network: { dropped: number, partitioned: number }
  completed: boolean
}

const KIND_NAMES: Record<number, string> = { 2: 'propose', 3: 'prepare', 4: 'commit', 5: 'viewChange', 6: 'newView', 7: 'decision', 8: 'decisionRequest' }

function percentile (sorted: number[], p: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p / 100 * sorted.length) - 1))]
}

export function simulate (opts: SimOptions): SimResult {
  const { protocol, n, decisions, seed } = opts
  const f = opts.f ?? Math.floor((n - 1) / 3)
  const byzCount = opts.byzantine ?? 0
  const strategy: Strategy = opts.strategy ?? 'silent'
  if (!STRATEGIES.includes(strategy)) throw new ConsensusConfigError(`unknown strategy ${strategy}`)
  if (!Number.isInteger(byzCount) || byzCount < 0 || byzCount > f) throw new ConsensusConfigError(`byzantine must be in [0, f = ${f}] (got ${byzCount})`)
  if (!Number.isInteger(decisions) || decisions < 1) throw new ConsensusConfigError('decisions must be a positive integer')

  let params: ProbftParams | null = null
  let sampleSize = n - 1
  let quorum = pbftQuorum(n, f)
  if (protocol === 'probft') {
    params = solveProbft(opts.quorumMath, { n, f, sampleFactor: opts.sampleFactor, sampleSize: opts.sampleSize, targetFailure: opts.targetFailure ?? 1e-3 })
    if (opts.quorum != null) params = evalProbft(opts.quorumMath, n, f, params.sampleSize, opts.quorum)
    sampleSize = params.sampleSize
    quorum = params.quorum
  }

  const rng = prng.create(seed)
  const ids = Array.from({ length: n }, (_, i) => i)
  for (let i = n - 1; i > 0; i--) { const j = prng.int32(rng, 0, i); const t = ids[i]; ids[i] = ids[j]; ids[j] = t }
  const byzantine = (opts.byzantineIds ?? ids.slice(0, byzCount)).slice().sort((a, b) => a - b)
  if (byzantine.length !== byzCount || new Set(byzantine).size !== byzCount || byzantine.some(b => !Number.isInteger(b) || b < 0 || b >= n)) {
    throw new ConsensusConfigError('byzantineIds must list `byzantine` distinct replica ids')
  }
  const isByz = new Set(byzantine)
  const honest = ids.filter(i => !isByz.has(i)).sort((a, b) => a - b)

  const keys = Array.from({ length: n }, (_, i) => deriveReplicaKeys(sha256(new TextEncoder().encode(`novacron sim key ${seed} ${i}`))))
  const identities = keys.map(k => ({ signPublic: k.signPublic, vrfPublic: k.vrfPublic }))
  const base = createConsensusCrypto()
  const crypto: ConsensusCrypto = opts.memoize === false ? base : memoizeVerification(base)
  const net = new SimNetwork({ n, seed: seed ^ 0x9e3779b9, loss: opts.loss, jitter: opts.jitter, partitions: opts.partitions, partitionTicks: opts.partitionTicks, partitionHorizon: opts.partitionHorizon })

  let messages = 0
  let bytes = 0
  const byKind: Record<string, number> = {}
  let byzantineMessages = 0
  const replicas = new Map<number, Replica>()
  for (const id of honest) {
    replicas.set(id, new Replica(
      { id, n, f, protocol, sampleSize, quorum, viewTimeout: opts.viewTimeout, slotLimit: decisions },
      { keys: keys[id], identities, crypto, proposalFor: (slot, view) => sha256(new TextEncoder().encode(`value ${seed} ${slot} ${view} ${id}`)) }
    ))
  }
  const adversary = new Adversary({
    n, f, protocol, sampleSize, quorum, strategy, byzantine, keys, crypto, seed,
    send: (from, to, b) => { byzantineMessages++; net.send(from, to, b, now) }
  })

  const timers = new Map<number, number>()
  const decided = new Map<number, Map<number, string>>() // slot -> replica -> digest
  const entered = new Map<number, number>() // `${replica}` current slot entry tick
  const latencies: number[] = []
  let now = 0

  const apply = (id: number, actions: Action[]): void => {
    for (const a of actions) {
      if (a.type === 'send') {
        for (const to of a.to) { messages++; bytes += a.bytes.length; net.send(id, to, a.bytes, now) }
        const kind = KIND_NAMES[a.kind] ?? String(a.kind)
        byKind[kind] = (byKind[kind] ?? 0) + a.to.length
      } else if (a.type === 'timer') {
        timers.set(id, a.at)
      } else {
        let m = decided.get(a.slot)
        if (m == null) { m = new Map(); decided.set(a.slot, m) }
        m.set(id, hex(a.digest))
        latencies.push(now - (entered.get(id) ?? 0))
        entered.set(id, now)
      }
    }
  }

  for (const id of honest) apply(id, (replicas.get(id) as Replica).start(0))
  const maxTicks = opts.maxTicks ?? 400 + decisions * 200
  const done = (): boolean => honest.every(id => (replicas.get(id) as Replica).currentSlot >= decisions)
  for (now = 0; now <= maxTicks && !done(); now++) {
    for (let d = net.pop(now); d != null; d = net.pop(now)) {
      const r = replicas.get(d.to)
      if (r != null) apply(d.to, r.receive(d.bytes, now))
      else adversary.onDeliver(d.to, d.bytes)
    }
    for (const id of honest) {
      if ((timers.get(id) ?? Number.POSITIVE_INFINITY) <= now) apply(id, (replicas.get(id) as Replica).tick(now))
    }
    let frontier = 0
    for (const r of replicas.values()) frontier = Math.max(frontier, r.currentSlot)
    adversary.onTick(now, frontier)
  }

  let safetyViolations = 0
  let decidedSlots = 0
  for (let slot = 0; slot < decisions; slot++) {
    const m = decided.get(slot)
    if (m == null) continue
    if (new Set(m.values()).size > 1) safetyViolations++
    if (m.size === honest.length) decidedSlots++
  }
  const rejected: Partial<Record<RejectReason, number>> = {}
  let leaderEv = 0; let voteEv = 0; let viewChanges = 0; let adopted = 0
  for (const r of replicas.values()) {
    for (const [k, v] of Object.entries(r.stats.rejected) as Array<[RejectReason, number]>) if (v > 0) rejected[k] = (rejected[k] ?? 0) + v
    for (const e of r.stats.evidence) { if (e.kind === 'leader') leaderEv++; else voteEv++ }
    viewChanges += r.stats.viewChanges
    adopted += r.stats.adoptedDecisions
  }
  latencies.sort((a, b) => a - b)
  const per = Math.max(1, decidedSlots)
  return {
    protocol, n, f, byzantine: byzCount, strategy, seed,
    decided: decidedSlots,
    safetyViolations,
    messagesPerDecision: Math.round(messages / per),
    bytesPerDecision: Math.round(bytes / per),
    latencySteps: { median: percentile(latencies, 50), p99: percentile(latencies, 99) },
    sampleSize, quorum,
    model: params == null ? null : { safetyFailurePerView: params.safetyFailure, livenessFailurePerPhase: params.livenessFailure, byzantineQuorum: params.byzantineQuorum },
    messages, bytes, messagesByKind: byKind, byzantineMessages, ticks: now, viewChanges, adoptedDecisions: adopted, rejected,
    evidence: { leader: leaderEv, vote: voteEv },
    attackedViews: adversary.equivocatedViews.size,
    network: { dropped: net.dropped, partitioned: net.partitioned },
    completed: done()
  }
}
