/**
 * The base's delta with the `start` (codec.ts `start` flag, coordinator.ts `startAll`,
 * participant.ts, model-store.ts `acceptDelta`, head-sync.ts HEAD_DEFER_MS): with a quantised
 * downlink the next round's coordinator fetches the round's delta from the last coordinator and
 * hands it to its learners with the `start`, so they no longer all fetch the same delta from that
 * one peer at once on every round's path (docs/learning.md, "The delta with the start"). Over
 * `_mem.ts`'s in-memory mesh and ledger with real tfjs training: who asks whom for each committed
 * model's delta; a `start` whose delta does not rebuild its base is refused (counted) and the base
 * fetched as before; an oversized one is a typed refusal.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { bytesToHex } from '@noble/hashes/utils.js'
import { maxRawBodyLength } from '../../core/learning/codec.ts'
import { readMessage, writeMessage, type LiveLearning } from '../../core/learning/live/index.ts'
import type { RoundEntry } from '../../core/learning/live/entries.ts'
import { committedRounds, liveTask, MemLearners, handOverFails } from './_learners.ts'
import { MemLedger, MemMesh, PEERS, type Handler } from './_mem.ts'
import { waitFor } from '../_support/wait.ts'

const task = liveTask(31, { deadlineMs: 20_000, downBits: 8 })
const LIMITS = { maxUpdateBytes: 1 << 22, maxModelBytes: 1 << 22 }
const ROUNDS = 5
const SIZE = 784 * 16 + 16 + 16 * 10 + 10

let learners: MemLearners
before(async () => { learners = await MemLearners.load(32) })
after(async () => { await learners.stop() })

function peers (mesh: MemMesh, ledger: MemLedger): LiveLearning[] {
  return [0, 1, 2].map(i => learners.add(i, mesh, ledger, { task, rounds: ROUNDS, minLearners: 3, pollMs: 20, roundTimeoutMs: 900_000 }))
}

async function allRounds (ps: LiveLearning[]): Promise<void> {
  await waitFor(() => ps.every(p => p.status().round === ROUNDS && p.status().held), { timeout: 180_000, message: () => ps.map(p => `${p.status().round}${p.status().held ? '' : '?'}`).join(',') })
}

/** Learners handed round r − 1's model with round r's `start` (r ≥ 2): all but its coordinator and the one that aggregated r − 1 (it holds it). */
function handedOver (rs: RoundEntry[]): number {
  return rs.slice(1).reduce((n, r, k) => n + (r.coordinator === rs[k].coordinator ? 2 : 1), 0)
}

describe('the base\'s delta with the start (in-memory mesh and ledger)', { timeout: 300_000 }, () => {
  test('only the next coordinator fetches a round\'s delta from the last one; every other learner gets it with its start', async () => {
    const mesh = new MemMesh()
    // what this test covers is the model held only by its coordinator: no hand-over before the commit (coordinator.ts `handOver`)
    mesh.fails = handOverFails
    const ledger = new MemLedger()
    const ps = peers(mesh, ledger)
    const asked: Array<{ from: string, to: string, hash: string }> = []
    mesh.answered = (from, to, request) => {
      const m = readMessage(request, LIMITS)
      if (m.type === 'getDelta') asked.push({ from, to, hash: bytesToHex(m.hash) })
    }
    for (const p of ps) await p.start()
    await allRounds(ps)
    const rs = committedRounds(ledger)
    assert.deepEqual(rs.map(r => r.participants.length), [3, 3, 3, 3, 3], 'every learner in every round')
    for (const r of rs.slice(0, -1)) {
      const next = rs[r.round]
      const askers = asked.filter(a => a.hash === r.hash)
      // before: every learner but its coordinator asked the last coordinator for it, at once
      assert.deepEqual(askers.map(a => a.from), next.coordinator === r.coordinator ? [] : [next.coordinator], `round ${r.round}'s delta: asked by ${JSON.stringify(askers)}`)
    }
    assert.equal(ps.reduce((n, p) => n + p.stats.deltasWithStart, 0), handedOver(rs))
    for (const p of ps) {
      const id = p.status().peerId
      for (const rec of p.stats.participated.filter(x => x.round >= 2)) {
        assert.equal(rec.baseVia, rs[rec.round - 2].coordinator === id ? 'held' : 'start', `${id.slice(-6)} in round ${rec.round}`)
      }
      for (const c of p.stats.coordinated) assert.equal(c.startDelta, c.round > 1, `round ${c.round}'s starts carried its base's delta`)
    }
    assert.equal(new Set(ps.map(p => p.status().hash)).size, 1, 'one committed hash everywhere')
    for (const p of ps) await p.stop()
  })

  test('a start whose delta does not rebuild its base is refused (counted) and the base fetched; an oversized one is a typed refusal', async () => {
    const mesh = new MemMesh()
    // what this test covers is the model held only by its coordinator: no hand-over before the commit (coordinator.ts `handOver`)
    mesh.fails = handOverFails
    const ledger = new MemLedger()
    const ps = peers(mesh, ledger)
    // every delta a start carries has its last byte changed on the way: its levels change, the rebuilt hash differs
    mesh.tamperRequest = (_from, _to, request) => {
      const m = readMessage(request, LIMITS)
      if (m.type !== 'start' || m.delta == null) return request
      const body = m.delta.body.slice()
      body[body.length - 1] ^= 0xff
      return writeMessage({ ...m, delta: { ...m.delta, body } })
    }
    for (const p of ps) await p.start()
    await allRounds(ps)
    const rs = committedRounds(ledger)
    assert.deepEqual(rs.map(r => r.participants.length), [3, 3, 3, 3, 3], 'every learner still took part, with the base fetched instead')
    assert.equal(ps.reduce((n, p) => n + p.stats.deltasWithStart, 0), 0, 'no tampered delta was taken')
    assert.equal(ps.reduce((n, p) => n + p.stats.refusedWeights, 0), handedOver(rs), 'each refused and counted')
    assert.equal(new Set(ps.map(p => p.status().hash)).size, 1)
    // a start whose delta is over the update body limit, straight to a learner: a refusal naming the limit, counted as malformed
    const target = ps[0]
    const handler = mesh.handlers.get(PEERS[0]) as Handler
    const max = maxRawBodyLength(SIZE) + 64
    const head = target.status().hash
    const a = readMessage(await handler(writeMessage({ type: 'start', task: target.task, round: ROUNDS + 1, base: new Uint8Array(32), deadlineMs: 1000, delta: { from: new Uint8Array(32), body: new Uint8Array(max + 1) } }), { peerId: PEERS[1] }), LIMITS)
    assert.equal(a.type, 'refuse')
    assert.match(a.type === 'refuse' ? a.reason : '', new RegExp(`start delta of ${max + 1} bytes is over the limit of ${max}`))
    assert.equal(target.stats.malformed, 1)
    assert.equal(target.status().hash, head)
    for (const p of ps) await p.stop()
  })
})
