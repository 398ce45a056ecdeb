/** Argument handling of `npm run bench -- learning` (bench/learning-flags.ts): defaults, both value forms, --only-cnn, typed errors. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseLearningBenchFlags } from '../../bench/learning-flags.ts'

const rejects = (args: string[], pattern: RegExp): void => {
  assert.throws(() => parseLearningBenchFlags(args), (err: Error) => err.name === 'LearningBenchFlagError' && pattern.test(err.message), args.join(' '))
}

test('defaults: the full run, no federated CNN, learning.json', () => {
  const f = parseLearningBenchFlags([])
  assert.deepEqual(
    [f.rounds, f.clients, f.seed, f.dpClip, f.cnnEpochs, f.fedCnnRounds, f.dpScaleClients, f.onlyCnn, f.skipBrowser, f.skipProducts, f.resultName],
    [20, 20, 1, 0.3, 3, 0, 200, false, false, false, 'learning'])
})

test('values as --name N and as --name=N (the form npm run bench passes on)', () => {
  const a = parseLearningBenchFlags(['--rounds', '7', '--fed-cnn-rounds=12', '--dp-clip=0.5', '--seed', '2', '--skip-browser'])
  assert.deepEqual([a.rounds, a.fedCnnRounds, a.dpClip, a.seed, a.skipBrowser, a.resultName], [7, 12, 0.5, 2, true, 'learning-seed2'])
})

test('--only-cnn: 60 federated rounds unless given, its own result file, both CNN rows required', () => {
  assert.deepEqual([parseLearningBenchFlags(['--only-cnn']).fedCnnRounds, parseLearningBenchFlags(['--only-cnn']).resultName], [60, 'learning-cnn'])
  const f = parseLearningBenchFlags(['--only-cnn', '--fed-cnn-rounds=40', '--seed=3'])
  assert.deepEqual([f.onlyCnn, f.fedCnnRounds, f.cnnEpochs, f.resultName], [true, 40, 3, 'learning-cnn-seed3'])
  rejects(['--only-cnn', '--cnn-epochs=0'], /cnn-epochs.*>= 1/)
  rejects(['--only-cnn', '--fed-cnn-rounds', '0'], /fed-cnn-rounds.*>= 1/)
  assert.equal(parseLearningBenchFlags(['--cnn-epochs=0']).cnnEpochs, 0)
})

test('malformed values are typed errors, never NaN', () => {
  rejects(['--fed-cnn-rounds'], /needs a value/)
  rejects(['--fed-cnn-rounds', '--only-cnn'], /needs a value/)
  rejects(['--rounds=abc'], /must be a number/)
  rejects(['--rounds='], /must be a number/)
  rejects(['--rounds=2.5'], /whole number/)
  rejects(['--clients=1'], />= 2/)
  rejects(['--dp-clip=0'], /dp-clip/)
  rejects(['--only-cnn=yes'], /takes no value/)
})
