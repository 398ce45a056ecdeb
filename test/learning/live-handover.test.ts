/**
 * A coordinator that dies right after its commit (issue 17, docs/learning.md "A head no peer
 * holds"): before, it held the only copy of the new head (as its 2-bit delta), no peer could fetch
 * it, every later coordinator passed its turn and the task stalled for good. Now the coordinator
 * hands the new model to a participant (`hold`, coordinator.ts `handOver`) before it submits the
 * commit. Over `_mem.ts`'s in-memory mesh and ledger with real tfjs training: the round-2
 * coordinator leaves the mesh the moment its commit is submitted, and the task still reaches its
 * last round, every live peer on one head. Plus a `hold` the receiver cannot rebuild is refused
 * and nothing is kept.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { KIND_ROUND, readMessage, readRoundEntry, writeMessage } from '../../core/learning/live/index.ts'
import { byId, committedRounds, liveTask, MemLearners } from './_learners.ts'
import { MemLedger, MemMesh, PEERS } from './_mem.ts'
import { waitFor } from '../_support/wait.ts'

const task = liveTask(17, { deadlineMs: 4000, downBits: 2 })
const ROUNDS = 4
const WAIT = 90_000
const LIMITS = { maxUpdateBytes: 1 << 22, maxModelBytes: 1 << 22 }

let learners: MemLearners
before(async () => { learners = await MemLearners.load(17) })
after(async () => { await learners.stop() })

describe('a coordinator killed right after its commit (in-memory mesh and ledger)', { timeout: 300_000 }, () => {
  test('does not stall the task: a participant holds the new head and serves it', async () => {
    const mesh = new MemMesh()
    const ledger = new MemLedger()
    let killed: string | undefined
    // the ledger drops the round-2 coordinator from the mesh in the same tick its commit is submitted: no peer has fetched the new model from it
    const killing = (author: string): MemLedger['port'] extends (a: string) => infer P ? P : never => {
      const port = ledger.port(author)
      return {
        ...port,
        submit: async entry => {
          const out = await port.submit(entry)
          if (killed == null && entry.kind === KIND_ROUND && readRoundEntry(entry.data).round === 2) { killed = author; mesh.dropped.add(author) }
          return out
        }
      }
    }
    const peers = [0, 1, 2, 3].map(i => learners.add(i, mesh, ledger, { task, rounds: ROUNDS, minLearners: 3, pollMs: 20, roundTimeoutMs: 30_000 }, { ledger: killing(PEERS[i]) }))
    for (const p of peers) await p.start()
    await waitFor(() => killed != null, { timeout: WAIT, message: () => `round 2 committed; committed ${committedRounds(ledger).length}` })
    const dead = byId(peers, killed as string)
    await dead.stop()
    await waitFor(() => committedRounds(ledger).length >= ROUNDS, { timeout: WAIT, message: () => `every round after the kill committed; committed ${committedRounds(ledger).length}, passes ${peers.map(p => p.stats.passes).join(' ')}` })
    const rounds = committedRounds(ledger)
    assert.deepEqual(rounds.map(r => r.round), [1, 2, 3, 4])
    assert.equal(rounds[1].coordinator, killed)
    for (const r of rounds.slice(2)) assert.notEqual(r.coordinator, killed, 'the dead peer coordinated nothing after')
    assert.ok(dead.stats.headsHandedOver >= 1, 'the killed coordinator handed its model over before its commit')
    const live = peers.filter(p => p !== dead)
    assert.ok(live.reduce((s, p) => s + p.stats.headsHeldForOthers, 0) >= 1)
    await waitFor(() => live.every(p => p.status().round === ROUNDS && p.status().held), { timeout: WAIT, message: 'every live peer holds the last head' })
    assert.equal(new Set(live.map(p => p.status().hash)).size, 1)
    for (const p of peers) await p.stop()
  })

  test('a hold with a malformed delta, from a model not held, or of another task is refused and nothing is kept', async () => {
    const mesh = new MemMesh()
    const ledger = new MemLedger()
    const peers = [0, 1, 2].map(i => learners.add(i, mesh, ledger, { task, rounds: 1, minLearners: 3, pollMs: 20, roundTimeoutMs: 30_000 }))
    for (const p of peers) await p.start()
    await waitFor(() => committedRounds(ledger).length >= 1 && peers.every(p => p.status().round === 1 && p.status().held), { timeout: WAIT, message: 'round 1 held everywhere' })
    const head = Uint8Array.from(Buffer.from(peers[0].status().hash, 'hex'))
    const other = new Uint8Array(32).fill(9)
    const ask = async (m: Parameters<typeof writeMessage>[0]): Promise<string> => {
      const a = readMessage(await (mesh.handlers.get(PEERS[1]) as NonNullable<ReturnType<typeof mesh.handlers.get>>)(writeMessage(m), { peerId: PEERS[0] }), LIMITS)
      return a.type === 'refuse' ? a.reason : a.type
    }
    const heldBefore = peers[1].stats.headsHeldForOthers
    assert.match(await ask({ type: 'hold', task: peers[0].status().task, hash: other, from: head, body: Uint8Array.from([1, 2, 3]) }), /^(?!ok$)/)
    assert.match(await ask({ type: 'hold', task: peers[0].status().task, hash: other, from: new Uint8Array(32).fill(3), body: Uint8Array.from([1, 2, 3]) }), /base not held/)
    assert.match(await ask({ type: 'hold', task: 'another', hash: other, from: head, body: Uint8Array.from([1, 2, 3]) }), /another task/)
    assert.equal(peers[1].stats.headsHeldForOthers, heldBefore, 'nothing was kept')
    for (const p of peers) await p.stop()
  })
})
