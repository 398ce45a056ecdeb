/**
 * The product's own models on seeded synthetic telemetry, each against its simple baseline on
 * held-out links/peers/runs (reduced sizes; the bench runs the documented full sizes).
 */
import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { compressFrame, initCoreWasm } from '../../core-wasm/index.ts'
import { bandwidthPredictor, compressionSelector, consensusLatency, consensusRuns, linkTraces, peerReliability, peerSessions } from '../../core/learning/index.ts'
import { setupNodeBackend } from '../../node-runtime/learning/backend.ts'

before(async () => {
  await setupNodeBackend()
  await initCoreWasm()
})

test('generators are seeded: same seed, same telemetry; different seed, different telemetry', () => {
  assert.deepEqual(Array.from(linkTraces(2, 50, 4)[1].throughput), Array.from(linkTraces(2, 50, 4)[1].throughput))
  assert.notDeepEqual(Array.from(linkTraces(2, 50, 4)[1].throughput), Array.from(linkTraces(2, 50, 5)[1].throughput))
  assert.deepEqual(peerSessions(20, 30, 1), peerSessions(20, 30, 1))
  assert.deepEqual(consensusRuns(20, 1), consensusRuns(20, 1))
})

test('peer reliability beats the majority class', async () => {
  const r = await peerReliability({ seed: 1, scale: 0.5 })
  assert.ok(r.model > r.baselines.majorityClass + 0.05, JSON.stringify(r))
})

test('compression selector (labels from real LZ4) beats the majority class', async () => {
  const r = await compressionSelector({ seed: 1, scale: 0.5, compress: (d, level) => compressFrame(d, { level }) })
  assert.ok(r.model > r.baselines.majorityClass + 0.2, JSON.stringify(r))
})

test('consensus latency beats the training mean and the 3×RTT rule', async () => {
  const r = await consensusLatency({ seed: 1, scale: 0.5 })
  assert.ok(r.beatsBaselines, JSON.stringify(r))
  assert.ok(r.model < 0.6 * r.baselines.threeTimesMeanRtt, JSON.stringify(r))
})

test('bandwidth GRU beats the moving average and is no worse than 5% above last value', async () => {
  const r = await bandwidthPredictor({ seed: 1, scale: 0.35 })
  assert.ok(r.model < r.baselines.movingAverage5, JSON.stringify(r))
  assert.ok(r.model < r.baselines.lastValue * 1.05, JSON.stringify(r))
})
