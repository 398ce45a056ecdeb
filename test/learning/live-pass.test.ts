/**
 * A drawn coordinator that cannot fetch the head passes its turn (core/learning/live/turns.ts).
 * Over `_mem.ts`'s in-memory mesh and ledger with real tfjs training on small MNIST shards, and a
 * round timeout far longer than the wait (waiting it out fails the test):
 * - the first peer drawn for a round whose head it must fetch (it did not coordinate the round
 *   before) finds every source failing: it commits a `model.pass`, and the next in the draw runs
 *   the round at once; the passer still takes part in later rounds.
 * Plus `Passes` alone: which passes count, and the whole order back when every peer passed.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { KIND_PASS, readMessage, readPassEntry } from '../../core/learning/live/index.ts'
import { Passes } from '../../core/learning/live/turns.ts'
import { byId, committedRounds, handOverFails, liveTask, MemLearners, startAll, stopAll, untilCommitted } from './_learners.ts'
import { waitFor } from '../_support/wait.ts'

const task = liveTask(12)
const ROUND_TIMEOUT = 900_000
const WAIT = 150_000
const LIMITS = { maxUpdateBytes: 1 << 22, maxModelBytes: 1 << 22 }
/** rounds run: a round's first drawn is its previous coordinator (it holds the head, nothing to fail) with chance 1/4 each */
const ROUNDS = 6

let learners: MemLearners
before(async () => { learners = await MemLearners.load(13) })
after(async () => { await learners.stop() })

describe('a drawn coordinator that cannot fetch the head (in-memory mesh and ledger)', { timeout: 300_000 }, () => {
  test('passes its turn: the next in the draw runs the round at once, not after the round timeout', async () => {
    const { mesh, ledger, peers } = learners.four({ task, rounds: ROUNDS, minLearners: 4, pollMs: 20, roundTimeoutMs: ROUND_TIMEOUT })
    let passer: string | undefined
    let drawnAs: string[] = []
    const passed = (peer: string): boolean => ledger.entries.some(e => e.kind === KIND_PASS && e.author === peer)
    // every model fetch by the first drawn of a round fails, until it passed
    mesh.fails = (from, _to, request) => {
      const m = readMessage(request, LIMITS)
      // the drawn coordinator must fetch the head: no coordinator hands its new model over before its commit (coordinator.ts `handOver`)
      if (handOverFails(from, _to, request)) return true
      if (m.type !== 'getModel' && m.type !== 'getDelta') return false
      const s = byId(peers, from).status()
      if (passer == null && s.round >= 1 && s.order[0] === from) { passer = from; drawnAs = s.order }
      return from === passer && !passed(from)
    }
    await startAll(peers)
    await waitFor(() => {
      const e = ledger.entries.find(x => x.kind === KIND_PASS && x.applied)
      return e != null && committedRounds(ledger).length >= readPassEntry(e.data).round
    }, { timeout: WAIT, message: () => `a pass, and its round committed long before the round timeout; committed ${committedRounds(ledger).length}` })
    const entry = ledger.entries.find(x => x.kind === KIND_PASS) as (typeof ledger.entries)[number]
    const p = readPassEntry(entry.data)
    const r = committedRounds(ledger)[p.round - 1]
    assert.equal(entry.author, passer)
    assert.equal(r.base, p.base, 'the pass named the head the round started from')
    assert.equal(r.coordinator, drawnAs[1], 'the next in the draw ran the round')
    assert.equal(byId(peers, passer as string).stats.passes, 1)
    assert.equal(byId(peers, r.coordinator).stats.takeovers, 1)
    const later = await untilCommitted(ledger, Math.min(ROUNDS, p.round + 1), 'the round after', WAIT)
    if (p.round < ROUNDS) assert.ok(later[p.round].participants.includes(passer as string), 'the passer takes part in the round after')
    await stopAll(peers)
  })
})

describe('Passes', () => {
  test('counts a pass for the next round of the head by a peer in the order; all passed: the whole order', () => {
    const passes = new Passes()
    const head = { round: 3, hash: 'h3' }
    const order = ['a', 'b', 'c']
    assert.equal(passes.apply('a', { task: 't', round: 4, base: 'h3' }, head, order), true)
    assert.equal(passes.apply('b', { task: 't', round: 3, base: 'h3' }, head, order), false, 'another round: stale')
    assert.equal(passes.apply('b', { task: 't', round: 4, base: 'h2' }, head, order), false, 'another base')
    assert.equal(passes.apply('x', { task: 't', round: 4, base: 'h3' }, head, order), false, 'not in the order')
    assert.deepEqual(passes.filter(order, head), ['b', 'c'])
    passes.apply('b', { task: 't', round: 4, base: 'h3' }, head, order)
    passes.apply('c', { task: 't', round: 4, base: 'h3' }, head, order)
    assert.deepEqual(passes.filter(order, head), order, 'every peer passed: the timeouts decide')
    assert.deepEqual(passes.filter(order, { round: 4, hash: 'h4' }), order, 'a new head forgets the passes')
    assert.equal(passes.has('a', head), false)
  })
})
