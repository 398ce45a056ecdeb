/**
 * The tab's "join mesh training" defaults (LIVE_TASK_DEFAULTS) are `novacron learn`'s option
 * defaults, so a tab joining with the panel's defaults and a Node peer started with its own are
 * learners of one task (same task id).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { liveTaskFor } from '../../app/learning/live-join.ts'
import { LIVE_TASK_DEFAULTS, taskId } from '../../core/learning/live/task.ts'
import { command } from '../../node-runtime/cli/commands/learn.ts'

test('LIVE_TASK_DEFAULTS are novacron learn\'s defaults', () => {
  const d = (name: string): unknown => command.options.find(o => o.name === name)?.default
  assert.equal(d('hidden'), LIVE_TASK_DEFAULTS.hidden)
  assert.equal(d('seed'), LIVE_TASK_DEFAULTS.seed)
  assert.equal(d('epochs'), LIVE_TASK_DEFAULTS.localEpochs)
  assert.equal(d('batch'), LIVE_TASK_DEFAULTS.batchSize)
  assert.equal(d('lr'), LIVE_TASK_DEFAULTS.learningRate)
  assert.equal(d('aggregate'), LIVE_TASK_DEFAULTS.rule)
  assert.equal(d('trim'), LIVE_TASK_DEFAULTS.trimFraction)
  assert.equal(d('quantize'), LIVE_TASK_DEFAULTS.quantizeBits)
  assert.equal(d('topk'), LIVE_TASK_DEFAULTS.topK)
  assert.equal(d('down-quantize'), LIVE_TASK_DEFAULTS.downBits)
  assert.equal(d('down-feedback') === 'on', LIVE_TASK_DEFAULTS.downFeedback)
  assert.equal(d('per-round'), LIVE_TASK_DEFAULTS.perRound)
  assert.equal(d('min-updates'), LIVE_TASK_DEFAULTS.minUpdates)
  assert.equal(d('deadline'), LIVE_TASK_DEFAULTS.deadlineMs)
  assert.equal(d('clip-median'), undefined, 'clip-median is off unless given')
  assert.equal(d('dp-clip'), undefined, 'no DP unless --dp-clip')
})

test('the tab\'s task for given settings differs from another seed\'s', () => {
  const a = liveTaskFor({ hidden: 32, seed: 4, deadlineMs: 90_000, minUpdates: 3 })
  assert.equal(a.model.inputDim, 784)
  assert.notEqual(taskId(a), taskId(liveTaskFor({ hidden: 32, seed: 5, deadlineMs: 90_000, minUpdates: 3 })))
})
