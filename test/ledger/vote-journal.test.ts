/**
 * core/ledger/vote-journal.ts: what a replica signed is stored before it is sent, so a replica
 * restarted from its store never sends a conflicting vote for a (slot, view, phase) it voted in;
 * messages leave in order; a vote whose record could not be stored is not sent; records of committed
 * slots are pruned; the journal decoder survives garbage (LedgerDecodeError or a valid value).
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { MSG_COMMIT, MSG_PREPARE, seal, writeHeaderBody, writePropose, writeVoteBody } from '../../core/consensus/codec.ts'
import { createConsensusCrypto, deriveReplicaKeys } from '../../core/consensus/crypto.ts'
import { MemoryStore } from '../../core/ledger/memory-store.ts'
import { readJournal, VoteJournal, writeJournal } from '../../core/ledger/vote-journal.ts'

const crypto = createConsensusCrypto()
const keys = [0, 1].map(i => deriveReplicaKeys(new Uint8Array(32).fill(i + 1)))
const sign = (who: number, body: Uint8Array): Uint8Array => seal(body, crypto.sign(keys[who].signSecret, body))
const header = (slot: number, view: number, digestByte: number): Uint8Array => sign(0, writeHeaderBody(0, slot, view, new Uint8Array(32).fill(digestByte)))
const vote = (type: typeof MSG_PREPARE | typeof MSG_COMMIT, sender: number, h: Uint8Array): Uint8Array => sign(sender, writeVoteBody(type, sender, h, new Uint8Array(0)))
const flush = async (j: VoteJournal): Promise<void> => { await j.settled(); await new Promise(resolve => setImmediate(resolve)) }

describe('vote journal', () => {
  test('a restarted replica does not send a vote conflicting with one it signed before the restart', async () => {
    const store = new MemoryStore()
    const sent: string[] = []
    const before = new VoteJournal(store, () => 4)
    before.gate(1, vote(MSG_PREPARE, 1, header(5, 0, 0xaa)), () => sent.push('prepare A'))
    before.gate(1, vote(MSG_COMMIT, 1, header(5, 0, 0xaa)), () => sent.push('commit A'))
    assert.equal(sent.length, 0, 'nothing leaves before the journal is stored')
    await flush(before)
    assert.deepEqual(sent, ['prepare A', 'commit A'])
    assert.ok(before.stats.writes >= 1)
    // "restart": a fresh journal over the same store
    const after = new VoteJournal(store, () => 4)
    assert.equal(await after.load(), 2)
    after.gate(1, vote(MSG_PREPARE, 1, header(5, 0, 0xbb)), () => sent.push('prepare B'))
    after.gate(1, vote(MSG_PREPARE, 1, header(5, 0, 0xaa)), () => sent.push('prepare A again'))
    after.gate(1, vote(MSG_PREPARE, 1, header(5, 1, 0xbb)), () => sent.push('prepare B view 1'))
    await flush(after)
    assert.deepEqual(sent, ['prepare A', 'commit A', 'prepare A again', 'prepare B view 1'], 'the conflicting vote is dropped, the same one re-sent, another view is free')
    assert.equal(after.stats.conflicts, 1)
  })

  test('a leader does not propose two headers for one (slot, view); others\' messages pass untouched, in order', async () => {
    const j = new VoteJournal(new MemoryStore(), () => -1)
    const sent: string[] = []
    j.gate(0, writePropose(header(1, 0, 1), Uint8Array.of(1)), () => sent.push('propose 1'))
    j.gate(0, vote(MSG_PREPARE, 1, header(1, 0, 9)), () => sent.push('not ours')) // sender 1, we are 0
    j.gate(0, writePropose(header(1, 0, 2), Uint8Array.of(2)), () => sent.push('propose 2'))
    await flush(j)
    assert.deepEqual(sent, ['propose 1', 'not ours'])
  })

  test('a vote whose record could not be stored is not sent; records of committed slots are pruned', async () => {
    let fail = true
    const stored: Uint8Array[] = []
    const store = { getVotes: async () => undefined, putVotes: async (b: Uint8Array) => { if (fail) throw new Error('disk full'); stored.push(b) } }
    let height = 0
    const j = new VoteJournal(store, () => height)
    const sent: string[] = []
    j.gate(1, vote(MSG_PREPARE, 1, header(1, 0, 1)), () => sent.push('a'))
    await flush(j)
    assert.equal(sent.length, 0)
    assert.equal(j.stats.writeErrors, 1)
    fail = false
    height = 1
    j.gate(1, vote(MSG_PREPARE, 1, header(2, 0, 1)), () => sent.push('b'))
    await flush(j)
    assert.deepEqual(sent, ['b'])
    assert.deepEqual(readJournal(stored.at(-1) as Uint8Array).map(r => r.slot), [2], 'slot 1 is committed: pruned')
  })

  test('journal codec: round trip, and garbage ends in LedgerDecodeError or a valid value', () => {
    const rec = fc.record({ slot: fc.nat(), view: fc.nat({ max: 1000 }), phase: fc.constantFrom(2, 3, 4), header: fc.uint8Array({ minLength: 32, maxLength: 32 }) })
    fc.assert(fc.property(fc.array(rec, { maxLength: 20 }), rs => { assert.deepEqual(readJournal(writeJournal(rs)), rs.map(r => ({ ...r }))) }))
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), bytes => {
      try { readJournal(bytes) } catch (err) { assert.equal((err as Error).name, 'LedgerDecodeError') }
    }), { numRuns: 10_000, seed: 15 })
  })
})
