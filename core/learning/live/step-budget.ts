/**
 * How many local SGD steps a learner trains in a round when the task has a **step budget**
 * (`LiveTaskConfig.stepBudget`, `novacron learn --step-budget N`): the round's learners together
 * train about N steps — each at most ⌈N / k⌉, where k is the number of participants of the
 * committed head's round (before round 1 the joined learners, at least `--min-peers`: a round 1 `start`
 * may come before a learner applied every join), and never more than its own
 * `localEpochs` over its data. k comes from the ledger, so every learner derives the same cap, and
 * a round after a dropout (fewer participants) gives each survivor more of the budget back.
 *
 * Why (bench/live-learning, 8 peers on 2 cores, 3 killed after round 2; docs/learning.md "Round 2's
 * CPU contention"): the rounds with all 8 learners training at once (1–3) were the slowest — the
 * largest gap in 3 of 4 runs of learning12 — while the later rounds' 5 learners each trained a full
 * epoch in a fraction of it. With N = 5 full epochs' steps, the rounds with 8 learners train what 5
 * would, and the later rounds are unchanged. Off (0) by default: less local work per round is a
 * trade of accuracy per round for round time, a choice of the task.
 */
import type { LiveTaskConfig } from './task.ts'

/** The most steps a learner trains this round (undefined: no cap, its full `localEpochs`). */
export function localStepCap (cfg: Pick<LiveTaskConfig, 'stepBudget'>, participants: number): number | undefined {
  const budget = cfg.stepBudget ?? 0
  if (!(budget > 0)) return undefined
  return Math.max(1, Math.ceil(budget / Math.max(1, participants)))
}
