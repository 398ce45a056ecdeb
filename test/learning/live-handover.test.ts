/**
 * A coordinator that dies right after its commit (issue 17, docs/learning.md "A head no peer
 * holds", "Hand-over gaps"): before, it held the only copy of the new head, no peer could fetch
 * it, every later coordinator passed its turn and the task stalled for good. Now the coordinator
 * hands the new model to a participant (`hold`, coordinator.ts `handOver`) before it submits the
 * commit: its delta with a quantised downlink, the whole weights with an exact one, and under
 * FedAdam the server state with it. Over `_mem.ts`'s in-memory mesh and ledger with real tfjs
 * training, for each of the three: the round-2 coordinator leaves the mesh the moment its commit
 * is submitted, and the task still reaches its last round, every live peer on one head (under
 * FedAdam the round after the kill recomputes from the handed-over state). Without the whole
 * weights or the state in the hand-over, the exact-downlink and FedAdam cases stall at round 2.
 * Plus a `hold` from a peer whose `start` was not taken here, of another task, or for a
 * committed round is refused, counted, and nothing is kept (the rules in holds.test.ts).
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { readMessage, recomputeRound, writeMessage, type LiveLearning } from '../../core/learning/live/index.ts'
import { byId, committedRounds, killedAtCommit, liveTask, MemLearners, SMALL_MLP, startAll, stopAll, untilCommitted, weightsOf } from './_learners.ts'
import { PEERS } from './_mem.ts'
import { waitFor } from '../_support/wait.ts'

const ROUNDS = 4
const SIZE = weightsOf(SMALL_MLP).length
const WAIT = 90_000
const LIMITS = { maxUpdateBytes: 1 << 22, maxModelBytes: 1 << 22 }
const ADAM = { learningRate: 0.03, beta1: 0.5, beta2: 0.99, tau: 0.001 }

let learners: MemLearners
before(async () => { learners = await MemLearners.load(17) })
after(async () => { await learners.stop() })

describe('a coordinator killed right after its commit (in-memory mesh and ledger)', { timeout: 300_000 }, () => {
  // the quantised downlink (its delta handed over), the exact one (the whole weights), and FedAdam (the server state with the model)
  const cases = [
    { name: 'a 2-bit downlink', task: liveTask(17, { deadlineMs: 4000, downBits: 2 }) },
    { name: 'an exact downlink (--down-quantize 0)', task: liveTask(17, { deadlineMs: 4000, downBits: 0 }) },
    { name: 'FedAdam: the server state too', task: liveTask(17, { deadlineMs: 4000, downBits: 2, serverOpt: ADAM }) }
  ]
  for (const { name, task } of cases) {
    test(`${name}: does not stall the task, a participant holds the new head and serves it`, async () => {
      // the ledger drops the round-2 coordinator from the mesh in the same tick its commit is submitted: no peer has fetched the new model from it
      let kill: ReturnType<typeof killedAtCommit> | undefined
      const { ledger, peers } = learners.group(4, { task, rounds: ROUNDS, minLearners: 3, pollMs: 20, roundTimeoutMs: 30_000 }, (i, _t, on) => {
        kill ??= killedAtCommit(on.mesh, on.ledger, 2)
        return { ledger: kill.port(PEERS[i]) }
      })
      const killed = (): string | undefined => kill?.killed()
      await startAll(peers)
      await waitFor(() => killed() != null, { timeout: WAIT, message: () => `round 2 committed; committed ${committedRounds(ledger).length}` })
      const dead = byId(peers, killed() as string)
      await dead.stop()
      const rounds = await untilCommitted(ledger, ROUNDS, () => `every round after the kill committed; passes ${peers.map(p => p.stats.passes).join(' ')}`, WAIT)
      assert.deepEqual(rounds.map(r => r.round), [1, 2, 3, 4])
      assert.equal(rounds[1].coordinator, killed())
      for (const r of rounds.slice(2)) assert.notEqual(r.coordinator, killed(), 'the dead peer coordinated nothing after')
      assert.ok(dead.stats.headsHandedOver >= 1, 'the killed coordinator handed its model over before its commit')
      const live = peers.filter(p => p !== dead)
      assert.ok(live.reduce((s, p) => s + p.stats.headsHeldForOthers, 0) >= 1)
      assert.equal(live.reduce((s, p) => s + Object.values(p.stats.holdsRefused).reduce((a, b) => a + b, 0), 0), 0, 'no honest hold refused')
      await waitFor(() => live.every(p => p.status().round === ROUNDS && p.status().held), { timeout: WAIT, message: 'every live peer holds the last head' })
      assert.equal(new Set(live.map(p => p.status().hash)).size, 1)
      if (task.serverOpt != null) {
        // the round after the kill continued from the committed state: a peer that coordinated neither round recomputes round 3 (weights and state) from round 2's state and round 3's bodies
        const [r2, r3] = [rounds[1], rounds[2]]
        const verifier = live.find(p => p.status().peerId !== r3.coordinator) as LiveLearning
        const state = await verifier.fetchModel(r2.state as string, [], 2 * SIZE)
        const fetched = await verifier.fetchRound(3, r3.coordinator)
        const again = recomputeRound(verifier.weights(r2.hash) ?? await verifier.fetchModel(r2.hash, live.map(p => p.status().peerId)), fetched.updates, verifier.roundRule, 3, r3.base, undefined, state)
        assert.equal(again.hash, r3.hash, 'round 3\'s weights recompute from the handed-over state')
        assert.equal(again.stateHash, r3.state, 'and its state')
      }
      await stopAll(peers)
    })
  }

  test('a hold from a peer whose start was not taken, of another task, or for a committed round is refused, counted, and nothing is kept', async () => {
    const task = cases[0].task
    const { mesh, ledger, peers } = learners.group(3, { task, rounds: 1, minLearners: 3, pollMs: 20, roundTimeoutMs: 30_000 })
    await startAll(peers)
    await waitFor(() => committedRounds(ledger).length >= 1 && peers.every(p => p.status().round === 1 && p.status().held), { timeout: WAIT, message: 'round 1 held everywhere' })
    const head = Uint8Array.from(Buffer.from(peers[0].status().hash, 'hex'))
    const other = new Uint8Array(32).fill(9)
    const ask = async (m: Parameters<typeof writeMessage>[0]): Promise<string> => {
      const a = readMessage(await (mesh.handlers.get(PEERS[1]) as NonNullable<ReturnType<typeof mesh.handlers.get>>)(writeMessage(m), { peerId: PEERS[0] }), LIMITS)
      return a.type === 'refuse' ? a.reason : a.type
    }
    const hold = { type: 'hold' as const, task: peers[0].status().task, round: 2, hash: other, base: head, model: { kind: 'delta' as const, body: Uint8Array.from([1, 2, 3]) } }
    const heldBefore = peers[1].stats.headsHeldForOthers
    assert.match(await ask(hold), /not-started/)
    assert.match(await ask({ ...hold, round: 1 }), /stale/)
    assert.match(await ask({ ...hold, task: 'another' }), /another-task/)
    assert.equal(peers[1].stats.headsHeldForOthers, heldBefore, 'nothing was kept')
    assert.deepEqual([peers[1].stats.holdsRefused['not-started'], peers[1].stats.holdsRefused.stale, peers[1].stats.holdsRefused['another-task']], [1, 1, 1])
    await stopAll(peers)
  })
})
