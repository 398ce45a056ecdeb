/**
 * The seeded safety sweep: many short simulator runs with f = ⌊(n − 1)/3⌋ Byzantine replicas,
 * each run one attacked slot, summarised next to the quorum model's prediction. The plan is a pure
 * function of the run index, so the benchmark can split it across worker processes and a test can
 * replay any single run by its index.
 *
 * Cost shapes the mix: real ed25519 and ECVRF make a run at n = 16 cost about a second of CPU, one
 * at n = 64 tens of seconds, so most runs are n = 16 (the smallest n where a VRF sample is a real
 * subset: s = 10 of 15), one in ten is n = 32 and one in a hundred n = 64. Half of the runs use the
 * strongest attack, an equivocating leader (replica 0, the leader of slot 0 view 0, is then always
 * Byzantine, so every such run attacks a view); the other half cycle through all five strategies,
 * counted within each size class so that the n = 32 and n = 64 runs also meet every strategy.
 * Every third run also has a partition in its first ticks (asynchrony while the attack happens).
 */
import * as prng from 'lib0/prng'
import type { SimOptions, SimResult } from './simulate.ts'
import { STRATEGIES, type Strategy } from './adversary.ts'

export type SweepCase = Omit<SimOptions, 'quorumMath'> & { index: number }

/** Run `index` of a sweep whose seeds start at `seedBase`. */
export function sweepCase (index: number, seedBase = 1000): SweepCase {
  const n = index % 100 === 49 ? 64 : index % 10 === 4 ? 32 : 16
  const f = Math.floor((n - 1) / 3)
  // the strategy cycles within each size class, so n = 32 and n = 64 see every strategy too
  const k = n === 64 ? Math.floor(index / 100) : n === 32 ? Math.floor(index / 10) : index
  const strategy: Strategy = k % 2 === 0 ? 'equivocating-leader' : STRATEGIES[(k >> 1) % STRATEGIES.length]
  const seed = seedBase + index
  // replica 0 leads slot 0, view 0: Byzantine in every run, so each run starts under a Byzantine leader
  const rng = prng.create(seed)
  const others = Array.from({ length: n - 1 }, (_, i) => i + 1)
  for (let i = others.length - 1; i > 0; i--) { const j = prng.int32(rng, 0, i); [others[i], others[j]] = [others[j], others[i]] }
  const byzantineIds = [0, ...others.slice(0, f - 1)]
  const partitioned = index % 3 === 0
  return {
    index,
    protocol: 'probft',
    n,
    f,
    byzantine: f,
    byzantineIds,
    strategy,
    decisions: 1,
    seed,
    loss: 0.01,
    partitions: partitioned ? 1 : 0,
    partitionTicks: 20,
    partitionHorizon: 6,
    maxTicks: 3000
  }
}

/** What the sweep keeps of one run. */
export interface SweepOutcome {
  index: number
  n: number
  strategy: Strategy
  seed: number
  safetyViolations: number
  decided: number
  completed: boolean
  attackedViews: number
  leaderEvidence: number
  modelSafetyFailurePerView: number
}

export function sweepOutcome (c: SweepCase, r: SimResult): SweepOutcome {
  return {
    index: c.index,
    n: r.n,
    strategy: r.strategy,
    seed: r.seed,
    safetyViolations: r.safetyViolations,
    decided: r.decided,
    completed: r.completed,
    attackedViews: r.attackedViews,
    leaderEvidence: r.evidence.leader,
    modelSafetyFailurePerView: r.model?.safetyFailurePerView ?? 0
  }
}

export interface SweepSummary {
  runs: number
  safetyViolations: number
  /** runs with a violation / runs */
  empiricalFailureRate: number
  /** views in which a Byzantine leader signed two values */
  attackedViews: number
  /** Σ attacked views × the model's per-view bound: the violations the model allows, at most */
  predictedViolationsBound: number
  /** predictedViolationsBound / runs, comparable to empiricalFailureRate */
  predictedFailureRateBound: number
  runsNotCompleted: number
  byN: Record<string, { runs: number, violations: number, attackedViews: number, modelSafetyFailurePerView: number, notCompleted: number }>
  byStrategy: Record<string, { runs: number, violations: number, attackedViews: number, notCompleted: number }>
}

export function summariseSweep (outcomes: SweepOutcome[]): SweepSummary {
  const runs = outcomes.length
  const violations = outcomes.reduce((s, o) => s + (o.safetyViolations > 0 ? 1 : 0), 0)
  const attacked = outcomes.reduce((s, o) => s + o.attackedViews, 0)
  const predicted = outcomes.reduce((s, o) => s + o.attackedViews * o.modelSafetyFailurePerView, 0)
  const byN: SweepSummary['byN'] = {}
  const byStrategy: SweepSummary['byStrategy'] = {}
  for (const o of outcomes) {
    const a = (byN[o.n] ??= { runs: 0, violations: 0, attackedViews: 0, modelSafetyFailurePerView: o.modelSafetyFailurePerView, notCompleted: 0 })
    a.runs++; a.violations += o.safetyViolations > 0 ? 1 : 0; a.attackedViews += o.attackedViews; a.notCompleted += o.completed ? 0 : 1
    const b = (byStrategy[o.strategy] ??= { runs: 0, violations: 0, attackedViews: 0, notCompleted: 0 })
    b.runs++; b.violations += o.safetyViolations > 0 ? 1 : 0; b.attackedViews += o.attackedViews; b.notCompleted += o.completed ? 0 : 1
  }
  return {
    runs,
    safetyViolations: violations,
    empiricalFailureRate: runs === 0 ? 0 : violations / runs,
    attackedViews: attacked,
    predictedViolationsBound: predicted,
    predictedFailureRateBound: runs === 0 ? 0 : predicted / runs,
    runsNotCompleted: outcomes.filter(o => !o.completed).length,
    byN,
    byStrategy
  }
}
