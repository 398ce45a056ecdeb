/**
 * A drawn coordinator's turn does not wait for the base's weights (core/learning/live/coordinator.ts
 * `baseReady`): it dials, selects and sends its `start`s as soon as it applied the last round, and
 * needs the weights only to train its own update and to aggregate. Before, it began only once it
 * held them, so a slow answer from the last coordinator (every learner fetches the same delta from
 * it at once) stood on every round's path (docs/learning.md, "Slow coordinator turns"). Over
 * `_mem.ts`'s in-memory mesh and ledger with real tfjs training: the fetches of the first drawn
 * coordinator that must fetch its base are held back until its `start`s have been answered.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { readMessage } from '../../core/learning/live/index.ts'
import { byId, committedRounds, handOverFails, liveTask, MemLearners, startAll, stopAll, untilCommitted } from './_learners.ts'
import { waitFor } from '../_support/wait.ts'

const task = liveTask(21)
const LIMITS = { maxUpdateBytes: 1 << 22, maxModelBytes: 1 << 22 }
const ROUNDS = 8
const WAIT = 60_000

let learners: MemLearners
before(async () => { learners = await MemLearners.load(22) })
after(async () => { await learners.stop() })

describe('a drawn coordinator whose base is slow to fetch (in-memory mesh and ledger)', { timeout: 300_000 }, () => {
  test('sends its starts before it holds the base, and commits once the base arrives', async () => {
    const { mesh, ledger, peers } = learners.group(3, { task, rounds: ROUNDS, minLearners: 3, pollMs: 20, roundTimeoutMs: 900_000 })
    // the drawn coordinator must fetch its base: no coordinator hands its new model over before its commit (coordinator.ts `handOver`)
    mesh.fails = handOverFails
    let held: { peer: string, round: number } | undefined
    let release: () => void = () => {}
    const gate = new Promise<void>(resolve => { release = resolve })
    const started = new Set<string>()
    let heldWhenStarted: boolean | undefined
    // the first peer drawn for a round whose base it must fetch (it did not coordinate the round before): its fetches wait
    mesh.delay = (from, _to, request) => {
      const m = readMessage(request, LIMITS)
      if (m.type !== 'getModel' && m.type !== 'getDelta') return undefined
      const s = byId(peers, from).status()
      const last = s.rounds.at(-1)
      if (held == null && last != null && s.round === last.round && s.order[0] === from && last.coordinator !== from) held = { peer: from, round: s.round + 1 }
      return held?.peer === from && held.round === s.round + 1 ? gate : undefined
    }
    mesh.answered = (from, to, request) => {
      const m = readMessage(request, LIMITS)
      if (held == null || from !== held.peer || m.type !== 'start' || m.round !== held.round) return
      heldWhenStarted ??= byId(peers, from).status().held
      started.add(to)
    }
    await startAll(peers)
    await waitFor(() => held != null && started.size >= 2, {
      timeout: WAIT, message: () => `the held-back coordinator's starts answered while its fetch waits; held ${JSON.stringify(held)}, started ${started.size}, committed ${committedRounds(ledger).length}`
    })
    const h = held as { peer: string, round: number }
    assert.equal(heldWhenStarted, false, 'the starts went out before the coordinator held its base')
    assert.equal(committedRounds(ledger).length, h.round - 1, 'the round is not committed without the base')
    release()
    const r = (await untilCommitted(ledger, h.round, 'the round committed once the base arrived', WAIT))[h.round - 1]
    assert.equal(r.coordinator, h.peer)
    assert.equal(r.participants.length, 3, 'every learner took part, the coordinator too')
    const rec = byId(peers, h.peer).stats.coordinated.find(c => c.round === h.round)
    assert.ok(rec?.baseHeldAt != null && rec.baseHeldAt > rec.selectedAt, `the base was held after selecting: ${JSON.stringify(rec)}`)
    await stopAll(peers)
  })
})
