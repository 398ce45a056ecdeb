/**
 * TCS-FEEL on measured facts (core/learning/live/select.ts): each fact moves a candidate's
 * estimated round time (training rate, RTT, link throughput), a missing fact is the median of the
 * known ones, faster and bigger learners are drawn more often yet everyone keeps p ≥ η/N, the draw
 * is the seeded stream's, and the coordinator's measurements (EWMA of reported training rate and
 * measured throughput) are what it says.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRng } from '../../core/learning/index.ts'
import { liveSelect, Measurements, roundTimes, type SelectionCandidate } from '../../core/learning/live/select.ts'
import { selectRound } from '../../core/learning/live/round-plan.ts'
import { liveTask } from './_learners.ts'

const opts = { epochs: 1, updateBytes: 100_000 }

test('every measured fact moves the estimated round time; a missing one is the median of the known', () => {
  const base: SelectionCandidate = { peer: 'a', samples: 1000, rttMs: 10, computeRate: 1000, throughput: 1_000_000 }
  const [t] = roundTimes([base], opts)
  assert.ok(Math.abs(t - (1 + 0.01 + 0.1)) < 1e-9, `1 s training + 10 ms RTT + 0.1 s transfer, got ${t}`)
  const [slowCompute, slowRtt, slowLink] = roundTimes([{ ...base, computeRate: 100 }, { ...base, rttMs: 500 }, { ...base, throughput: 10_000 }], opts)
  assert.ok(slowCompute > t && slowRtt > t && slowLink > t)
  const ts = roundTimes([{ peer: 'x', samples: 1000, rttMs: 10 }, { ...base, peer: 'y', computeRate: 500 }, { ...base, peer: 'z', computeRate: 1500 }, { ...base, peer: 'w', computeRate: 1000 }], opts)
  assert.ok(Math.abs(ts[0] - t) < 1e-9, 'unknown compute and throughput take the medians (1000 samples/s, 1 MB/s)')
  assert.deepEqual(roundTimes([{ peer: 'q', samples: 10, rttMs: 20 }], opts), [0.02], 'no fact known: only the RTT')
})

test('faster and bigger learners are drawn more often; everyone keeps p ≥ η/N; the draw is the seed\'s', () => {
  const cands: SelectionCandidate[] = [
    { peer: 'fast', samples: 500, rttMs: 5, computeRate: 5000, throughput: 5_000_000 },
    { peer: 'slow', samples: 500, rttMs: 300, computeRate: 100, throughput: 20_000 },
    { peer: 'big', samples: 2000, rttMs: 20, computeRate: 1000, throughput: 1_000_000 },
    { peer: 'mid', samples: 500, rttMs: 20, computeRate: 1000, throughput: 1_000_000 },
    { peer: 'new', samples: 500 }
  ]
  const first = liveSelect(cands, 2, createRng(3), opts)
  assert.equal(first.selected.length, 2)
  const p = Object.fromEntries(first.estimates.map(e => [e.peer, e.p]))
  assert.ok(Math.abs(Object.values(p).reduce((s, v) => s + v, 0) - 1) < 1e-9)
  for (const v of Object.values(p)) assert.ok(v >= 0.1 / cands.length - 1e-12)
  assert.ok(p.fast > p.mid && p.mid > p.slow, JSON.stringify(p))
  assert.ok(p.big > p.mid, 'more samples, same speed: more likely')
  const counts = new Map<string, number>()
  for (let i = 0; i < 2000; i++) for (const s of liveSelect(cands, 2, createRng(100 + i), opts).selected) counts.set(s, (counts.get(s) ?? 0) + 1)
  assert.ok((counts.get('fast') ?? 0) > (counts.get('slow') ?? 0) * 3, JSON.stringify([...counts]))
  assert.ok((counts.get('slow') ?? 0) > 0, 'the slow learner is still drawn sometimes')
  assert.deepEqual(liveSelect(cands, 2, createRng(3), opts).selected, first.selected, 'same seed, same draw')
  assert.ok(first.maxInclusion <= 1 && first.maxInclusion >= 2 * Math.max(...Object.values(p)) - 1e-12 || first.maxInclusion === 1)
  assert.deepEqual(liveSelect([], 2, createRng(1), opts).selected, [])
})

test('the coordinator\'s measurements: reported training rate and link throughput, averaged', () => {
  const m = new Measurements()
  m.started('p', 1000)
  m.arrived('p', 3000, { trainMs: 1000, work: 500, bytes: 90_000, rttMs: 100 })
  assert.deepEqual(m.get('p'), { computeRate: 500, throughput: 100_000 }, '500 samples in 1 s; 90 kB over 3000 − 1000 − 1000 − 100 ms')
  m.started('p', 10_000)
  m.arrived('p', 11_200, { trainMs: 500, work: 500, bytes: 90_000, rttMs: 100 })
  assert.deepEqual(m.get('p'), { computeRate: 750, throughput: 125_000 }, 'EWMA 0.5 of (500, 1000) and (100 k, 150 k)')
  m.arrived('unstarted', 5, { trainMs: 0, work: 10, bytes: 1 })
  assert.equal(m.get('unstarted').throughput, undefined, 'no start time: no throughput')
  assert.equal(m.get('unstarted').computeRate, 10_000, 'training time floored at 1 ms')
  m.own('me', 2000, 1000)
  assert.equal(m.get('me').computeRate, 500)
  assert.deepEqual(Object.keys(m.all()).sort(), ['me', 'p', 'unstarted'])
})

test('a round leaves out the linked learners this coordinator knows dead (gone or probed dead): no start hangs on them', () => {
  const links = ['a', 'b', 'c', 'd'].map((p, i) => ({ peerId: p, rttMs: 10 + i, limited: false }))
  const facts = { self: 'me', learners: ['me', 'a', 'b', 'c', 'd', 'e'], links, size: 100, samples: () => 10, measured: () => ({}) }
  const all = selectRound(liveTask(1), 3, 'h', facts)
  assert.deepEqual(all.selected.map(s => s.peer), ['me', 'a', 'b', 'c', 'd'])
  const some = selectRound(liveTask(1), 3, 'h', { ...facts, dead: p => p === 'b' || p === 'd' })
  assert.deepEqual(some.selected.map(s => s.peer), ['me', 'a', 'c'], 'every live linked learner, in RTT order')
  assert.equal(some.maxInclusion, 3 / 6, 'the sampling rate counts only those taking part')
  // under TCS-FEEL the dead are not even candidates
  const drawn = selectRound(liveTask(1, { perRound: 2 }), 3, 'h', { ...facts, dead: p => p === 'b' })
  assert.deepEqual(drawn.draw?.candidates.map(c => c.peer).sort(), ['a', 'c', 'd', 'me'])
})
