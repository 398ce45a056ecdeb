/**
 * A task's step budget (core/learning/live/step-budget.ts): the learners of a round train about N
 * local steps together, each at most ⌈N / k⌉ with k the head round's participants (the joined
 * learners before round 1).
 * - `localStepCap` alone, and the task id: unchanged without a budget (tasks keep their ids),
 *   another with one;
 * - over `_mem.ts`'s in-memory mesh with real tfjs training: 4 learners with a budget of 8 each
 *   train 2 steps a round (their shards hold 4–10 batches), where without it each trains its
 *   whole shard; the rounds still commit with every learner.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { Dataset, Rng, TrainOptions } from '../../core/learning/index.ts'
import type { LiveTrainer } from '../../core/learning/live/index.ts'
import { localStepCap } from '../../core/learning/live/step-budget.ts'
import { taskId } from '../../core/learning/live/task.ts'
import { WARM_UP_ROUNDS } from '../../core/learning/live/warm-up.ts'
import { committedRounds, liveTask, MemLearners } from './_learners.ts'
import { waitFor } from '../_support/wait.ts'

describe('localStepCap and the task id', () => {
  test('the cap: ⌈N / k⌉, at least 1; none without a budget', () => {
    assert.equal(localStepCap({}, 8), undefined)
    assert.equal(localStepCap({ stepBudget: 0 }, 8), undefined)
    assert.equal(localStepCap({ stepBudget: 80 }, 8), 10)
    assert.equal(localStepCap({ stepBudget: 80 }, 5), 16)
    assert.equal(localStepCap({ stepBudget: 80 }, 3), 27)
    assert.equal(localStepCap({ stepBudget: 80 }, 0), 80)
    assert.equal(localStepCap({ stepBudget: 3 }, 8), 1)
  })

  test('a task without a budget keeps its id; one with a budget has another', () => {
    const t = liveTask(3)
    assert.equal(taskId({ ...t, stepBudget: 0 }), taskId(t))
    assert.notEqual(taskId({ ...t, stepBudget: 80 }), taskId(t))
    assert.notEqual(taskId({ ...t, stepBudget: 80 }), taskId({ ...t, stepBudget: 40 }))
  })
})

let learners: MemLearners
before(async () => { learners = await MemLearners.load(19) })
after(async () => { await learners.stop() })

/** The trainer `MemLearners` gives, recording the steps of each training (the service's only trainer). */
function counting (steps: number[]): (t: LiveTrainer) => LiveTrainer {
  return t => ({
    size: t.size,
    setWeights: w => { t.setWeights(w) },
    getWeights: async () => await t.getWeights(),
    evaluate: async (ds: Dataset) => await t.evaluate(ds),
    train: async (ds: Dataset, opts: TrainOptions, rng: Rng) => { const r = await t.train(ds, opts, rng); steps.push(r.steps); return r }
  })
}

describe('a step budget over the in-memory mesh', { timeout: 400_000 }, () => {
  for (const budget of [0, 8]) {
    test(`budget ${budget}: each learner trains ${budget === 0 ? 'its whole shard' : '⌈8 / 4⌉ = 2 steps'} a round`, async () => {
      const task = liveTask(8, { stepBudget: budget })
      const steps: number[][] = [[], [], [], []]
      const { ledger, peers } = learners.four({ task, rounds: 2, minLearners: 4, pollMs: 20, roundTimeoutMs: 900_000 }, (i, t) => ({ trainer: counting(steps[i])(t) }))
      for (const p of peers) await p.start()
      await waitFor(() => committedRounds(ledger).length >= 2 && peers.every(p => p.status().round === 2), { timeout: 150_000, message: () => `2 rounds; committed ${committedRounds(ledger).length}` })
      for (const p of peers) await p.stop()
      for (const r of committedRounds(ledger)) assert.equal(r.participants.length, 4, 'every learner in every round')
      for (let i = 0; i < 4; i++) {
        const full = Math.ceil(learners.shards[i].n / task.batchSize)
        assert.ok(full > 2, `shard ${i} holds ${full} batches`)
        // its warm-up's throw-away rounds first (warm-up.ts), under the same cap, then one training per round
        assert.deepEqual(steps[i], Array(WARM_UP_ROUNDS + 2).fill(budget === 0 ? full : 2), `learner ${i}: ${WARM_UP_ROUNDS} warm-up rounds, then one training per round`)
      }
    })
  }
})
