/**
 * A learner reads the ledger when it commits a block (`LearningLedger.onCommit`, service.ts), not
 * only every `pollMs`: over `_mem.ts`'s ledger with `notify` (as a Node peer's ledger tells of
 * every commit), 3 learners whose poll is 10 minutes commit 3 rounds — their joins, each round's
 * turn, the learners' bases, all from the commits alone. Before, the next round's coordinator began
 * its turn, and every learner applied the head, up to a poll (200 ms) after the commit, every round.
 * Without `onCommit` the same group joins (a tick at start) and then waits for its next poll: the
 * test fails (checked by leaving `notify` off: no round within its 90 s).
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { liveTask, MemLearners, startAll, stopAll, untilCommitted } from './_learners.ts'
import { MemLedger, MemMesh } from './_mem.ts'
import { waitFor } from '../_support/wait.ts'

const task = liveTask(31)
const POLL_MS = 600_000

let learners: MemLearners
before(async () => { learners = await MemLearners.load(31) })
after(async () => { await learners.stop() })

function group (notify: boolean): { ledger: MemLedger, peers: ReturnType<MemLearners['add']>[] } {
  const mesh = new MemMesh()
  const ledger = new MemLedger()
  ledger.notify = notify
  const init = { task, rounds: 3, minLearners: 3, pollMs: POLL_MS, roundTimeoutMs: 900_000, warmUpRounds: 0 }
  return { ledger, peers: [0, 1, 2].map(i => learners.add(i, mesh, ledger, init)) }
}

describe('learners told of each commit (in-memory mesh and ledger)', { timeout: 200_000 }, () => {
  test('with a 10-minute poll, 3 rounds commit from the ledger\'s commits alone', async () => {
    const { ledger, peers } = group(true)
    await startAll(peers)
    const rounds = await untilCommitted(ledger, 3, '3 rounds, every tick after the first driven by a commit', 90_000)
    assert.deepEqual(rounds.map(r => r.round), [1, 2, 3])
    await waitFor(() => peers.every(p => p.status().round === 3), { timeout: 30_000, message: 'every learner applied round 3' })
    assert.equal(new Set(peers.map(p => p.status().hash)).size, 1, 'one head everywhere')
    await stopAll(peers)
  })

})
