/**
 * A learner's warm-up before round 1 (core/learning/live/warm-up.ts): throw-away local rounds on
 * its own data as soon as it starts, so that round 2 no longer runs on cold code everywhere at once.
 * - `warmUp` alone, on a real tfjs trainer: the rounds and steps it reports, and the initial weights
 *   restored bit for bit (a warm-up that left its trained weights in place would change round 1);
 * - in a live group (in-memory mesh and ledger): every learner warms up before it trains for any
 *   round, never two trainings at once on one trainer, and the committed hashes of every round
 *   are the same as with `warmUpRounds: 0` (it changes nothing a round computes).
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { createRng, initParams, Trainer } from '../../core/learning/index.ts'
import type { LiveTrainer } from '../../core/learning/live/index.ts'
import { WARM_UP_ROUNDS, warmUp } from '../../core/learning/live/warm-up.ts'
import { committedRounds, liveTask, MemLearners, SMALL_MLP, startAll, stopAll, untilCommitted } from './_learners.ts'

const task = liveTask(21)
const WAIT = 120_000

let learners: MemLearners
before(async () => { learners = await MemLearners.load(21) })
after(async () => { await learners.stop() })

/** `t` with every call to it recorded in `calls`, and the most trainings seen at once in `overlap.max` */
function recorded (t: Trainer, calls: string[], overlap: { now: number, max: number }): Partial<{ trainer: LiveTrainer }> {
  const trainer: LiveTrainer = {
    size: t.size,
    setWeights: w => { t.setWeights(w) },
    getWeights: async () => await t.getWeights(),
    evaluate: async ds => await t.evaluate(ds),
    train: async (ds, opts, rng) => {
      calls.push('train')
      overlap.max = Math.max(overlap.max, ++overlap.now)
      try { return await t.train(ds, opts, rng) } finally { overlap.now-- }
    }
  }
  return { trainer }
}

describe('warmUp alone', () => {
  test('runs its throw-away rounds and restores the initial weights bit for bit', async () => {
    const initial = initParams(SMALL_MLP, createRng(3).fork('init'))
    const t = new Trainer(SMALL_MLP, initial)
    try {
      const train = learners.shards[0]
      let clock = 0
      const r = await warmUp(t, { cfg: task, train, test: learners.test, initial, yieldMs: 15, now: () => clock++, running: () => true })
      const perEpoch = Math.ceil(train.n / task.batchSize)
      assert.equal(r.rounds, WARM_UP_ROUNDS)
      assert.equal(r.steps, WARM_UP_ROUNDS * task.localEpochs * perEpoch)
      assert.equal(r.trainMs.length, WARM_UP_ROUNDS)
      assert.deepEqual(Buffer.from((await t.getWeights()).buffer), Buffer.from(initial.buffer), 'the initial weights, as before it')
    } finally { t.dispose() }
  })

  test('stops after the round under way once its learner stops', async () => {
    const initial = initParams(SMALL_MLP, createRng(3).fork('init'))
    const t = new Trainer(SMALL_MLP, initial)
    try {
      let rounds = 0
      const r = await warmUp(t, { cfg: task, train: learners.shards[1], test: learners.test, initial, yieldMs: 15, now: () => 0, running: () => rounds++ < 2 }, 10)
      assert.equal(r.rounds, 2)
      assert.deepEqual(Buffer.from((await t.getWeights()).buffer), Buffer.from(initial.buffer))
    } finally { t.dispose() }
  })
})

describe('a live group warms up before round 1 (in-memory mesh and ledger)', { timeout: 300_000 }, () => {
  async function run (warmUpRounds: number): Promise<{ hashes: string[], calls: string[][], overlap: number, warm: Array<number | undefined>, updatesSent: number[] }> {
    const calls: string[][] = [[], [], []]
    const overlaps = [0, 1, 2].map(() => ({ now: 0, max: 0 }))
    const { ledger, peers } = learners.group(3, { task, rounds: 3, minLearners: 3, pollMs: 20, roundTimeoutMs: 900_000, warmUpRounds }, (i, t) => recorded(t, calls[i], overlaps[i]))
    try {
      await startAll(peers)
      await untilCommitted(ledger, 3, `3 rounds with warmUpRounds ${warmUpRounds}`, WAIT)
      return {
        hashes: committedRounds(ledger).slice(0, 3).map(r => r.hash),
        calls,
        overlap: Math.max(...overlaps.map(o => o.max)),
        warm: peers.map(p => p.status().stats.warmUp?.rounds),
        updatesSent: peers.map(p => p.stats.updatesSent)
      }
    } finally { await stopAll(peers) }
  }

  test('every learner warms up first, one training at a time, and the committed hashes do not change', async () => {
    const cold = await run(0)
    const warm = await run(WARM_UP_ROUNDS)
    assert.deepEqual(warm.warm, [WARM_UP_ROUNDS, WARM_UP_ROUNDS, WARM_UP_ROUNDS], 'each learner reports its warm-up')
    assert.deepEqual(cold.warm, [undefined, undefined, undefined])
    for (const [i, c] of warm.calls.entries()) {
      // a learner's trainings: its warm-up rounds, then one per round it took part in
      assert.equal(c.length, WARM_UP_ROUNDS + warm.updatesSent[i], `learner ${i}: ${c.length} trainings for ${warm.updatesSent[i]} updates`)
      assert.equal(cold.calls[i].length, cold.updatesSent[i])
    }
    assert.equal(warm.overlap, 1, 'never two trainings at once on one trainer')
    assert.deepEqual(warm.hashes, cold.hashes, 'rounds 1–3 commit the same models with and without the warm-up')
  })
})
