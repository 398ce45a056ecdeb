/**
 * What a peer keeps when a coordinator hands it a model before its commit (`hold`, holds.ts), and
 * what it refuses: the rules in order (task, learner, a round after the head, only from a
 * coordinator whose `start` of that round and base it took, at most HOLDS_PER_ROUND a round from
 * one sender, a delta from a held model, bytes that hash to their names), each a
 * `HoldRefusedError` counted by reason; the whole weights of an exact downlink and a FedAdam state
 * are held only together; what is held for others is one slot per sender and spared by the store
 * only while its round is after the head. Over a real `ModelStore` (its rpc over `_mem.ts`'s mesh is never called).
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { createRng } from '../../core/learning/rng.ts'
import { holdMessage } from '../../core/learning/live/coordinator.ts'
import { quantisedStep } from '../../core/learning/live/aggregate-round.ts'
import { emptyHoldRefusals, HeldForOthers, HOLDS_PER_ROUND } from '../../core/learning/live/holds.ts'
import { KEEP_MODELS, ModelStore } from '../../core/learning/live/model-store.ts'
import { LiveRpc } from '../../core/learning/live/rpc.ts'
import { emptyLiveStats } from '../../core/learning/live/status.ts'
import { readMessage, writeMessage, type LiveMessage } from '../../core/learning/live/index.ts'
import { weightsHash } from '../../core/learning/live/weights.ts'
import { MemMesh, PEERS } from './_mem.ts'

const SIZE = 300
const LIMITS = { maxUpdateBytes: 64 * 1024, maxModelBytes: 2 * SIZE * 4 + 1024 }
const TASK = 'a1b2c3d4e5f60718'
const [ME, COORD, OTHER, STRANGER] = PEERS

const vec = (seed: number, n = SIZE): Float32Array => { const r = createRng(seed); return Float32Array.from({ length: n }, () => r.next() - 0.5) }

function setup (): { holds: HeldForOthers, store: ModelStore, stats: ReturnType<typeof emptyLiveStats>, base: Float32Array, baseHash: string, started: Set<string>, head: { round: number } } {
  const stats = emptyLiveStats()
  const head = { round: 4 }
  const started = new Set<string>()
  let holds: HeldForOthers | undefined
  const base = vec(1)
  const baseHash = weightsHash(base)
  const store = new ModelStore({ rpc: new LiveRpc(new MemMesh().port(ME), LIMITS, stats, 1000), limits: LIMITS, stats, size: SIZE, log: () => {}, keep: () => [baseHash, ...(holds?.pending() ?? [])] })
  store.keepModel(baseHash, base)
  holds = new HeldForOthers({
    task: TASK, store, stats, size: SIZE, limits: LIMITS, isLearner: p => p !== STRANGER, headRound: () => head.round,
    tookStart: (from, round, b) => started.has(`${from} ${round} ${b}`)
  })
  return { holds, store, stats, base, baseHash, started, head }
}

/** the hold a coordinator sends, through the wire codec as a peer receives it */
function wire (m: LiveMessage): Extract<LiveMessage, { type: 'hold' }> {
  return readMessage(writeMessage(m), LIMITS) as Extract<LiveMessage, { type: 'hold' }>
}

function refusal (fn: () => void): string {
  try { fn() } catch (err) { assert.equal((err as Error).name, 'HoldRefusedError'); return (err as { reason: string }).reason }
  return 'accepted'
}

describe('hold: what a peer keeps for a coordinator, and what it refuses', () => {
  test('an exact downlink\'s whole weights and a FedAdam state are held together, hash-checked, and spared while their round is ahead', () => {
    const { holds, store, stats, baseHash, started, head } = setup()
    started.add(`${COORD} 5 ${baseHash}`)
    const next = vec(2)
    const state = vec(3, 2 * SIZE)
    const m = wire(holdMessage(TASK, { round: 5, hash: weightsHash(next), baseHash, delta: null, weights: next, state: { hash: weightsHash(state), values: state } }, undefined))
    assert.equal(m.model.kind, 'whole')
    holds.accept(COORD, m)
    assert.deepEqual(store.get(weightsHash(next)), next)
    assert.deepEqual(store.get(weightsHash(state)), state)
    assert.equal(stats.headsHeldForOthers, 1)
    assert.deepEqual(holds.pending(), [weightsHash(next), weightsHash(state)])
    // the store's eviction spares them while pending: 2 × KEEP_MODELS + 4 other models come and go
    for (let i = 0; i < 2 * KEEP_MODELS + 4; i++) { const w = vec(100 + i); store.keepModel(weightsHash(w), w) }
    assert.ok(store.has(weightsHash(next)) && store.has(weightsHash(state)), 'kept while round 5 is ahead of the head')
    head.round = 5
    assert.deepEqual(holds.pending(), [], 'once its round is committed the head\'s own keep takes over')
  })

  test('a quantised downlink\'s delta rebuilds from the held base; a delta from a model not held is `base-not-held`', () => {
    const { holds, store, base, baseHash, started, stats } = setup()
    started.add(`${COORD} 5 ${baseHash}`)
    const step = quantisedStep(base, vec(2), 2, createRng(9), 5)
    holds.accept(COORD, wire(holdMessage(TASK, { round: 5, hash: weightsHash(step.weights), baseHash, delta: step.delta, weights: step.weights, state: null }, undefined)))
    assert.deepEqual(store.get(weightsHash(step.weights)), step.weights)
    assert.equal(store.delta(weightsHash(step.weights))?.base, baseHash, 'served on by delta')
    const other = vec(7)
    const away = quantisedStep(other, vec(8), 2, createRng(9), 5)
    started.add(`${OTHER} 5 ${weightsHash(other)}`)
    assert.equal(refusal(() => { holds.accept(OTHER, wire(holdMessage(TASK, { round: 5, hash: weightsHash(away.weights), baseHash: weightsHash(other), delta: away.delta, weights: away.weights, state: null }, undefined))) }), 'base-not-held')
    assert.equal(store.has(weightsHash(away.weights)), false)
    assert.equal(stats.holdsRefused['base-not-held'], 1)
  })

  test('refused in order, each counted: another task, not a learner, stale, not started here, too often, malformed; nothing kept', () => {
    const { holds, store, stats, baseHash, started } = setup()
    const next = vec(2)
    const state = vec(3, 2 * SIZE)
    const good = (round: number): Extract<LiveMessage, { type: 'hold' }> => wire(holdMessage(TASK, { round, hash: weightsHash(next), baseHash, delta: null, weights: next, state: { hash: weightsHash(state), values: state } }, undefined))
    assert.equal(refusal(() => { holds.accept(COORD, { ...good(5), task: 'another' }) }), 'another-task')
    assert.equal(refusal(() => { holds.accept(STRANGER, good(5)) }), 'not-learner')
    assert.equal(refusal(() => { holds.accept(COORD, good(4)) }), 'stale', 'round 4 is the head')
    assert.equal(refusal(() => { holds.accept(COORD, good(5)) }), 'not-started', 'this peer took no start of round 5 from it')
    started.add(`${COORD} 5 ${baseHash}`)
    // malformed ones use up the sender's holds of the round too: the work is bounded before decoding
    const badState = { ...good(5), state: { hash: new Uint8Array(32).fill(1), lz4: false, bytes: (good(5).state as { bytes: Uint8Array }).bytes } }
    assert.equal(refusal(() => { holds.accept(COORD, badState) }), 'malformed', 'a state that does not hash to its name')
    assert.equal(refusal(() => { holds.accept(COORD, { ...good(5), model: { kind: 'whole', lz4: false, bytes: new Uint8Array(SIZE * 4 - 4) } }) }), 'malformed', 'not SIZE weights')
    assert.equal(HOLDS_PER_ROUND, 2)
    assert.equal(refusal(() => { holds.accept(COORD, good(5)) }), 'too-often', 'a third hold of round 5 from one sender, even a good one')
    assert.equal(store.has(weightsHash(next)) || store.has(weightsHash(state)), false, 'nothing was kept')
    assert.deepEqual(stats.holdsRefused, { ...emptyHoldRefusals(), 'another-task': 1, 'not-learner': 1, stale: 1, 'not-started': 1, malformed: 2, 'too-often': 1 })
    assert.equal(stats.headsHeldForOthers, 0)
    // the next round's holds are counted afresh
    started.add(`${COORD} 6 ${baseHash}`)
    holds.accept(COORD, good(6))
    assert.equal(stats.headsHeldForOthers, 1)
  })

  test('one slot per sender: a sender\'s new hold replaces its last, so what is held for others stays bounded by the coordinators this peer took starts from', () => {
    const { holds, store, baseHash, started } = setup()
    started.add(`${COORD} 5 ${baseHash}`)
    started.add(`${OTHER} 5 ${baseHash}`)
    const a = vec(2)
    const b = vec(3)
    const c = vec(4)
    const hold = (w: Float32Array): Extract<LiveMessage, { type: 'hold' }> => wire(holdMessage(TASK, { round: 5, hash: weightsHash(w), baseHash, delta: null, weights: w, state: null }, undefined))
    holds.accept(COORD, hold(a))
    holds.accept(OTHER, hold(b))
    holds.accept(COORD, hold(c))
    assert.deepEqual(new Set(holds.pending()), new Set([weightsHash(b), weightsHash(c)]), 'COORD\'s first hold is no longer spared')
    assert.equal(holds.senders, 2)
    assert.ok(store.has(weightsHash(c)))
  })
})
