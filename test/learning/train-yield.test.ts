/**
 * `TrainOptions.yieldMs` (core/learning/model.ts): training hands the event loop back between
 * steps, so a Node learner that trains on its main thread keeps serving its streams (the live
 * participant's `TRAIN_YIELD_MS`, docs/learning.md "A late start pinged, training that yields"), and the weights come out bit for bit
 * the same as without it.
 */
import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { createRng, initParams, Trainer, type Dataset, type ModelSpec } from '../../core/learning/index.ts'
import { smallMnist } from './_mnist.ts'

const spec: ModelSpec = { kind: 'mlp', inputDim: 784, hidden: 16, classes: 10 }
let train: Dataset
before(async () => { train = (await smallMnist(40, 10, 3)).train })

async function trained (opts: { yieldMs?: number }, onTurn: () => void): Promise<Float32Array> {
  const t = new Trainer(spec, initParams(spec, createRng(1).fork('init')))
  try {
    // counts the event loop's turns while the training runs (a macrotask each)
    let on = true
    const turn = (): void => { if (!on) return; onTurn(); setImmediate(turn) }
    setImmediate(turn)
    await t.train(train, { epochs: 2, batchSize: 8, learningRate: 0.1, ...opts }, createRng(2))
    on = false
    return await t.getWeights()
  } finally { t.dispose() }
}

test('yieldMs 0: the event loop turns between steps; the weights are the same as without it', async () => {
  let turnsYielding = 0
  const yielding = await trained({ yieldMs: 0 }, () => { turnsYielding++ })
  let turnsBlocking = 0
  const blocking = await trained({}, () => { turnsBlocking++ })
  const steps = 2 * Math.ceil(train.n / 8)
  assert.ok(turnsYielding >= steps - 1, `a turn after every step: ${turnsYielding} turns for ${steps} steps`)
  assert.ok(turnsBlocking < steps / 4, `without it the loop is held for whole epochs: ${turnsBlocking} turns for ${steps} steps`)
  assert.deepEqual(Buffer.from(yielding.buffer), Buffer.from(blocking.buffer))
})
