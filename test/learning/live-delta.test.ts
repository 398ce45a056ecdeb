/**
 * The quantised downlink (aggregate-round.ts step 4, delta.ts, model-fetch.ts `fetchDelta`):
 * model(r) = model(r−1) + dequantised(delta(r)) rebuilds bit for bit from the delta's bytes (with
 * and without LZ4, at 2/4/8 bits), a malformed delta is a typed error, and over the in-memory mesh
 * and ledger (`_mem.ts`, real tfjs-wasm training): peers holding the previous model fetch only
 * deltas, one hash everywhere and every round recomputes; a peer that missed rounds fetches the
 * full model and then the skipped rounds' models to evaluate them; deltas that do not rebuild the committed hash are refused and the model fetched whole.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { createRng } from '../../core/learning/index.ts'
import { loadLz4Compressor } from '../../core/learning/compression.ts'
import { LiveLearning, recomputeRound } from '../../core/learning/live/index.ts'
import { aggregateRound, quantisedStep, type RoundRule } from '../../core/learning/live/aggregate-round.ts'
import { applyDelta } from '../../core/learning/live/delta.ts'
import { carryFits, headCarry } from '../../core/learning/live/carry.ts'
import { MSG } from '../../core/learning/live/codec.ts'
import { weightsHash } from '../../core/learning/live/weights.ts'
import { maxRawBodyLength } from '../../core/learning/codec.ts'
import { committedRounds, liveTask, MemLearners, handOverFails } from './_learners.ts'
import type { RoundEntry } from '../../core/learning/live/entries.ts'
import { MemLedger, MemMesh, PEERS } from './_mem.ts'
import { waitFor } from '../_support/wait.ts'

const task = liveTask(4, { deadlineMs: 4000, downBits: 8 })
/** the same with downlink feedback (carry.ts) */
const fedTask = liveTask(4, { deadlineMs: 4000, downBits: 8, downFeedback: true })
const SIZE = 784 * 16 + 16 + 16 * 10 + 10

let learners: MemLearners
before(async () => { learners = await MemLearners.load(6) })
after(async () => { await learners.stop() })

function peer (i: number, mesh: MemMesh, ledger: MemLedger, rounds: number, t = task): LiveLearning {
  return learners.add(i, mesh, ledger, { task: t, rounds, minLearners: 3, pollMs: 20, roundTimeoutMs: 30_000 })
}

/** A peer whose every mesh request fails (no working link), counting its requests and keeping its log. */
function isolatedPeer (i: number, mesh: MemMesh, ledger: MemLedger, rounds: number): { l: LiveLearning, requests: () => number, log: string[] } {
  let requests = 0
  const log: string[] = []
  const l = learners.add(i, mesh, ledger, { task, rounds, minLearners: 3, pollMs: 20, roundTimeoutMs: 30_000 }, {
    mesh: { ...mesh.port(PEERS[i]), request: async () => { requests++; throw new Error('no working link') } },
    log: m => { log.push(m) }
  })
  return { l, requests: () => requests, log }
}

const committed = committedRounds

/** Seeded vectors shaped like a model and a round's aggregate (a small step from it). */
function vectors (seed: number, n: number): { base: Float32Array, exact: Float32Array } {
  const rng = createRng(seed)
  const base = Float32Array.from({ length: n }, () => (rng.next() - 0.5) * 0.2)
  const exact = Float32Array.from(base, v => v + (rng.next() - 0.5) * 0.01 * (1 + 10 * rng.next()))
  return { base, exact }
}

describe('quantised downlink: model(r) = model(r−1) + dequantised(delta(r))', () => {
  test('the delta rebuilds the committed weights bit for bit, at 2/4/8 bits, raw and LZ4-framed', async () => {
    const lz = (await loadLz4Compressor()).compressor
    assert.ok(lz != null, 'core-wasm LZ4 loads')
    for (const bits of [2, 4, 8]) {
      for (const compressor of [undefined, lz]) {
        const { base, exact } = vectors(bits, 3001)
        const step = quantisedStep(base, exact, bits, createRng(9).fork('down:1:x'), 1, compressor)
        const rebuilt = applyDelta(base, step.delta, { maxBytes: maxRawBodyLength(base.length) + 64, compressor })
        assert.equal(weightsHash(rebuilt), weightsHash(step.weights), `${bits} bits, ${compressor == null ? 'raw' : 'lz4'}`)
        assert.notEqual(weightsHash(step.weights), weightsHash(exact), 'the committed model is the quantised one, not the exact aggregate')
        // the quantisation error is below one step of the chunk: |w − exact| ≤ (max − min of the chunk's delta) / (2^b − 1)
        let worst = 0
        for (let i = 0; i < base.length; i++) worst = Math.max(worst, Math.abs(rebuilt[i] - exact[i]))
        assert.ok(worst <= 0.11 / ((1 << bits) - 1) + 1e-6, `${bits} bits: worst error ${worst}`)
        // a dense float32 model is 4 bytes per parameter; the delta about b/8 of a byte per parameter plus 8 bytes per 256
        assert.ok(step.delta.length <= Math.ceil(base.length * bits / 8) + 8 * Math.ceil(base.length / 256) + 32, `${bits} bits: ${step.delta.length} bytes`)
      }
    }
  })

  test('aggregateRound with downBits is deterministic (every recomputation gives the same hash) and differs from the exact round', () => {
    const { base, exact } = vectors(1, 1000)
    const values = Float32Array.from(exact, (v, i) => v - base[i])
    const rule: RoundRule = { rule: 'fedavg', clipMedian: false, dp: null, seed: 3, downBits: 4 }
    const admitted = [{ peer: 'b', samples: 2, values }, { peer: 'a', samples: 1, values: Float32Array.from(values, v => -v / 2) }]
    const one = aggregateRound(base, admitted, rule, 2, 'ab'.repeat(32))
    const two = aggregateRound(base, [...admitted].reverse(), rule, 2, 'ab'.repeat(32))
    assert.equal(weightsHash(one.weights), weightsHash(two.weights))
    assert.ok(one.delta != null)
    assert.deepEqual(one.delta, two.delta)
    const plain = aggregateRound(base, admitted, { ...rule, downBits: 0 }, 2, 'ab'.repeat(32))
    assert.equal(plain.delta, null)
    assert.notEqual(weightsHash(plain.weights), weightsHash(one.weights))
    const otherRound = aggregateRound(base, admitted, rule, 3, 'ab'.repeat(32))
    assert.notEqual(weightsHash(otherRound.weights), weightsHash(one.weights), 'the rounding stream is the round\'s')
  })

  test('downlink feedback: each round adds back the last one\'s residual, so the committed model stays within a step of the exact sum; the carry rebuilds from zeros bit for bit', () => {
    const n = 2000
    const rng = createRng(11)
    const base0 = Float32Array.from({ length: n }, () => (rng.next() - 0.5) * 0.2)
    const steps = Array.from({ length: 20 }, () => Float32Array.from({ length: n }, () => (rng.next() - 0.5) * 0.01))
    const exactSum = Float64Array.from(base0)
    const rule: RoundRule = { rule: 'fedavg', clipMedian: false, dp: null, seed: 5, downBits: 2 }
    const run = (feedback: boolean): Float32Array => {
      let w: Float32Array = base0
      let carry: Float32Array | null = null
      steps.forEach((a, k) => {
        const baseHash = weightsHash(w)
        const out = aggregateRound(w, [{ peer: 'a', samples: 1, values: a }], { ...rule, downFeedback: feedback }, k + 1, baseHash, null, undefined, carry)
        assert.equal(out.carry == null, !feedback)
        if (out.carry != null) {
          const zeros = new Float32Array(n)
          assert.equal(weightsHash(applyDelta(zeros, out.carry.body, { maxBytes: maxRawBodyLength(n) + 64 })), weightsHash(out.carry.values), `round ${k + 1}: the carry rebuilds from zeros`)
          assert.ok(out.carry.body.length <= n + 8 * Math.ceil(n / 256) + 32, `an 8-bit carry is about a byte per parameter (${out.carry.body.length} B)`)
          // recomputation from the same inputs gives the same model and carry
          const again = aggregateRound(w, [{ peer: 'a', samples: 1, values: a }], { ...rule, downFeedback: true }, k + 1, baseHash, null, undefined, carry)
          assert.equal(weightsHash(again.weights), weightsHash(out.weights))
          assert.equal(weightsHash((again.carry as { values: Float32Array }).values), weightsHash(out.carry.values))
        }
        w = out.weights
        carry = out.carry?.values ?? null
      })
      return w
    }
    for (const a of steps) for (let i = 0; i < n; i++) exactSum[i] += a[i]
    const rms = (w: Float32Array): number => Math.sqrt(w.reduce((s, v, i) => s + (v - exactSum[i]) ** 2, 0) / n)
    const plain = rms(run(false))
    const fed = rms(run(true))
    // one 2-bit step of a chunk of these steps is ≤ 0.01 / 3; without feedback 20 roundings add up (≈ √20 of one)
    assert.ok(fed < 0.01 / 3, `with feedback the committed model is within one step of the exact sum (rms ${fed})`)
    assert.ok(fed < plain / 2, `feedback: rms ${fed.toExponential(2)} against ${plain.toExponential(2)} without`)
  })

  test('a round fits the head only with no residual added or the head\'s, and a residual exactly when the task feeds back', () => {
    const h = 'ab'.repeat(32)
    const x = 'cd'.repeat(32)
    assert.equal(headCarry([{ hash: 'm1', carry: h }], { hash: 'm1' }), h)
    assert.equal(headCarry([{ hash: 'm1', carry: h }], { hash: 'm0' }), null, 'the head is not the last committed round')
    assert.equal(carryFits({ carry: x, carryIn: h }, h, true), true)
    assert.equal(carryFits({ carry: x, carryIn: null }, h, true), true, 'a coordinator that could not fetch it adds none')
    assert.equal(carryFits({ carry: x, carryIn: x }, h, true), false, 'a residual other than the head\'s')
    assert.equal(carryFits({ carry: null, carryIn: null }, h, true), false, 'a feedback task\'s round must commit its residual')
    assert.equal(carryFits({ carry: x, carryIn: null }, null, false), false, 'no residual without feedback')
    assert.equal(carryFits({ carry: null, carryIn: null }, null, false), true)
  })

  test('a malformed delta is a LiveRoundError (bounded), never a crash', () => {
    const { base, exact } = vectors(2, 600)
    const good = quantisedStep(base, exact, 8, createRng(1), 1).delta
    const rng = createRng(7)
    const inputs: Uint8Array[] = [new Uint8Array(0), new Uint8Array(1 << 16)]
    for (let cut = 0; cut < good.length; cut += 7) inputs.push(good.subarray(0, cut))
    for (let k = 0; k < 40; k++) { const c = good.slice(); c[Math.floor(rng.next() * 12)] = Math.floor(rng.next() * 256); inputs.push(c) }
    inputs.push(quantisedStep(base.subarray(1), exact.subarray(1), 8, createRng(1), 1).delta)
    for (const bytes of inputs) {
      try { applyDelta(base, bytes, { maxBytes: maxRawBodyLength(base.length) + 64 }) } catch (err) { assert.equal((err as Error).name, 'LiveRoundError', (err as Error).message) }
    }
    assert.throws(() => applyDelta(base, new Uint8Array(1 << 16), { maxBytes: maxRawBodyLength(base.length) + 64 }), { name: 'LiveRoundError' })
  })
})

describe('quantised downlink over the in-memory mesh', { timeout: 300_000 }, () => {
  test('peers holding the previous model fetch only deltas; a late peer that missed rounds fetches the full model; one hash, recomputed with the carried residuals', async () => {
    const mesh = new MemMesh()
    // what this test covers is the model held only by its coordinator: no hand-over before the commit (coordinator.ts `handOver`)
    mesh.fails = handOverFails
    const ledger = new MemLedger()
    const ROUNDS = 4
    const peers = [0, 1, 2].map(i => peer(i, mesh, ledger, ROUNDS, fedTask))
    for (const p of peers) await p.start()
    await waitFor(() => peers.every(p => p.status().round >= 2 && p.status().held), { timeout: 180_000, message: () => peers.map(p => p.status().round).join(',') })
    // joins after round 2: it holds only the initial model, so the head's delta base is not held
    const late = peer(3, mesh, ledger, ROUNDS, fedTask)
    await late.start()
    const all = [...peers, late]
    // the late peer catches up on the head, then fetches the rounds it skipped to evaluate them too
    await waitFor(() => all.every(p => p.status().round === ROUNDS && p.status().held && p.status().rounds.every(r => r.localAccuracy != null)),
      { timeout: 240_000, message: () => all.map(p => `${p.status().round}${p.status().held ? '' : '?'} evaluated ${p.status().rounds.filter(r => r.localAccuracy != null).length}`).join(',') })
    assert.equal(new Set(all.map(p => p.status().hash)).size, 1, 'one committed hash everywhere')
    const rs = committed(ledger)
    assert.deepEqual(rs.map(r => r.round), [1, 2, 3, 4])
    for (const r of rs) {
      const coord = all.find(p => p.status().peerId === r.coordinator) as LiveLearning
      const fetched = await coord.fetchRound(r.round, r.coordinator)
      const base = coord.weights(r.base)
      assert.ok(base != null)
      // every round after the first added the residual the one before carried (nobody died: always fetched in time)
      const prev = rs.find(q => q.round === r.round - 1)
      assert.ok(r.carry != null)
      assert.equal(r.carryIn, prev?.carry ?? null, `round ${r.round} added the last round's carry`)
      const carryIn = r.carryIn == null ? null : await late.fetchCarry(r.carryIn, [coord.status().peerId, (prev as RoundEntry).coordinator])
      const again = recomputeRound(base, fetched.updates, coord.roundRule, r.round, r.base, undefined, null, carryIn)
      assert.equal(again.hash, r.hash, `round ${r.round} recomputes with the quantised step and the carry`)
      assert.equal(again.carryHash, r.carry, `round ${r.round}'s carry recomputes`)
    }
    // a carry crosses the wire only when the coordinator changes, to the next coordinator alone
    const handovers = rs.filter((r, k) => k > 0 && r.coordinator !== rs[k - 1].coordinator).length
    assert.equal(peers.reduce((s, p) => s + p.stats.carryFetches, 0), handovers, `${handovers} coordinator change(s)`)
    assert.equal(all.reduce((s, p) => s + p.stats.carriesLost, 0), 0)
    for (const p of peers) {
      // every model a first-three peer did not compute itself came as a delta: no whole model crossed the wire
      assert.equal(p.stats.fullFetches, 0, `${p.status().peerId.slice(-6)} fetched no whole model`)
      // fetched, or handed over with the next round's start (live-start-delta.test.ts)
      assert.equal(p.stats.deltaFetches + p.stats.deltasWithStart, ROUNDS - p.stats.roundsCoordinated, `${p.status().peerId.slice(-6)}: a delta per round it did not coordinate`)
      assert.equal(p.stats.messagesReceived.model, undefined, "no whole model received")
    }
    assert.ok(late.stats.fullFetches >= 1, 'the late peer fetched the full model (it missed the rounds the deltas start from)')
    assert.ok(late.stats.backfilled >= 1, `the late peer fetched at least round 1 only to evaluate it (backfilled ${late.stats.backfilled})`)
    assert.deepEqual(late.status().rounds.map(r => r.localAccuracy), peers[0].status().rounds.map(r => r.localAccuracy), 'the same committed models on the same held-out digits: the same accuracy')
    assert.ok(late.stats.deltaFetches + late.stats.deltasWithStart + late.stats.roundsCoordinated + late.stats.fullFetches >= ROUNDS - 2)
    const deltaBytes = all.reduce((s, p) => s + (p.stats.bytesSentByType.delta ?? 0), 0)
    const deltaCount = all.reduce((s, p) => s + (p.stats.messagesSent.delta ?? 0), 0)
    assert.ok(deltaCount > 0)
    assert.ok(deltaBytes / deltaCount < SIZE * 4 / 3.5, `a delta (${Math.round(deltaBytes / deltaCount)} B) is about a quarter of the dense model (${SIZE * 4} B) at 8 bits`)
    for (const p of all) await p.stop()
  })

  test('a peer that can reach no source backs off (250 ms doubling to 5 s) instead of asking every source each tick', async () => {
    const mesh = new MemMesh()
    const ledger = new MemLedger()
    const peers = [0, 1, 2].map(i => peer(i, mesh, ledger, 1))
    for (const p of peers) await p.start()
    await waitFor(() => peers.every(p => p.status().round === 1 && p.status().held), { timeout: 180_000, message: () => peers.map(p => p.status().round).join(',') })
    const lone = isolatedPeer(3, mesh, ledger, 1)
    await lone.l.start()
    // polled every 20 ms: without the back-off it would ask its 3 sources ~150 times a second
    await waitFor(() => lone.log.some(m => m.includes('next try in 5000 ms')), { timeout: 60_000, message: () => `${lone.requests()} requests; log: ${lone.log.slice(-3).join(' | ')}` })
    const tries = lone.log.filter(m => /^model .*next try in/.test(m)).length
    assert.equal(tries, 6, `250, 500, 1000, 2000, 4000, 5000 ms: ${lone.log.filter(m => m.includes('next try')).join(' | ')}`)
    // each try asks each of the 3 other peers once for the delta (it holds round 0) and once for the whole model
    assert.ok(lone.requests() <= tries * 3 * 2, `${lone.requests()} requests for ${tries} tries: ${JSON.stringify(lone.l.stats.messagesSent)}`)
    assert.equal(lone.l.status().held, false)
    for (const p of [...peers, lone.l]) await p.stop()
  })

  test('deltas that do not rebuild the committed hash are refused (counted) and the model is fetched whole', async () => {
    const mesh = new MemMesh()
    // what this test covers is the model held only by its coordinator: no hand-over before the commit (coordinator.ts `handOver`)
    mesh.fails = handOverFails
    const ledger = new MemLedger()
    // every delta answer has its last byte changed on the way: the levels change, the rebuilt hash differs
    mesh.tamper = (_from, a) => { if (a[0] !== MSG.delta) return a; const c = a.slice(); c[c.length - 1] ^= 0xff; return c }
    const peers = [0, 1, 2].map(i => peer(i, mesh, ledger, 2))
    for (const p of peers) await p.start()
    await waitFor(() => peers.every(p => p.status().round === 2 && p.status().held), { timeout: 180_000, message: () => peers.map(p => p.status().round).join(',') })
    assert.equal(new Set(peers.map(p => p.status().hash)).size, 1)
    const refused = peers.reduce((s, p) => s + p.stats.refusedWeights, 0)
    const full = peers.reduce((s, p) => s + p.stats.fullFetches, 0)
    assert.ok(refused >= 1, 'tampered deltas refused')
    assert.ok(full >= 1, 'and the model fetched whole instead')
    assert.equal(peers.reduce((s, p) => s + p.stats.deltaFetches, 0), 0, 'no tampered delta was accepted')
    for (const p of peers) await p.stop()
  })
})
