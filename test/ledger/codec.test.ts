/**
 * The ledger codecs: property round trips (fast-check) for frames, blocks, microblocks, genesis,
 * records, sync messages and entry bodies; a seeded garbage loop of 10,000 inputs per reader
 * (random bytes, truncations and bit flips of valid encodings) that must end in a
 * `LedgerDecodeError` or a valid value — never another exception, never a hang.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import * as prng from 'lib0/prng'
import {
  readBlock, readFrame, readGenesis, readMicroblock, readRecord, readSyncRequest, readSyncResponse, sealGenesis, sealMicroblock,
  writeBlock, writeFrame, writeGenesisBody, writeMicroblockBody, writeRecord, writeSyncRequest, writeSyncResponse, FRAME_CONSENSUS, FRAME_FORWARD, FRAME_FORWARDED, FRAME_MICROBLOCK, FRAME_PROBE, FRAME_PROBE_ACK
} from '../../core/ledger/codec.ts'
import { readConfig, readEvidence, readJoin, readRemove, writeConfig, writeEvidence, writeJoin, writeRemove } from '../../core/ledger/entries.ts'
import { LedgerDecodeError } from '../../core/ledger/errors.ts'

const bytes = (min: number, max: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: min, maxLength: max })
const fixed = (n: number): fc.Arbitrary<Uint8Array> => bytes(n, n)
const entry = fc.record({ kind: fc.string({ minLength: 1, maxLength: 20 }), data: bytes(0, 50) })
const microblock = fc.record({ author: fc.string({ maxLength: 60 }), seq: fc.nat(), entries: fc.array(entry, { maxLength: 6 }), sig: fixed(64) })
  .map(m => sealMicroblock(writeMicroblockBody(m.author, m.seq, m.entries), m.sig))
const record = fc.record({ height: fc.nat(), epoch: fc.nat({ max: 2 ** 31 }), block: bytes(0, 200), certificate: fc.array(bytes(0, 100), { maxLength: 5 }), holder: fc.nat({ max: 100 }), head: fixed(32) }).map(r => ({ ...r }))

describe('ledger codec round trips', () => {
  test('frames', () => {
    fc.assert(fc.property(fc.nat({ max: 2 ** 31 }), bytes(0, 300), (epoch, message) => {
      assert.deepEqual(readFrame(writeFrame({ type: FRAME_CONSENSUS, epoch, message })), { type: FRAME_CONSENSUS, epoch, message })
    }))
    fc.assert(fc.property(microblock, mb => {
      assert.deepEqual(readFrame(writeFrame({ type: FRAME_MICROBLOCK, microblock: mb })), { type: FRAME_MICROBLOCK, microblock: mb })
    }))
    fc.assert(fc.property(fc.constantFrom(FRAME_FORWARD, FRAME_FORWARDED), fc.string({ maxLength: 60 }), microblock, (type, peer, mb) => {
      const frame = writeFrame({ type: FRAME_MICROBLOCK, microblock: mb })
      assert.deepEqual(readFrame(writeFrame({ type, peer, frame })), { type, peer, frame })
    }))
    fc.assert(fc.property(fc.constantFrom(FRAME_PROBE, FRAME_PROBE_ACK), fc.nat({ max: 2 ** 32 - 1 }), fc.constantFrom(FRAME_FORWARD, FRAME_FORWARDED), (type, nonce, outer) => {
      const probe = writeFrame({ type, nonce })
      assert.deepEqual(readFrame(probe), { type, nonce })
      assert.deepEqual(readFrame(writeFrame({ type: outer, peer: 'p', frame: probe })), { type: outer, peer: 'p', frame: probe }, 'a probe may be forwarded')
    }))
    const nested = writeFrame({ type: FRAME_FORWARD, peer: 'p', frame: writeFrame({ type: FRAME_FORWARD, peer: 'q', frame: Uint8Array.of(1) }) })
    assert.throws(() => readFrame(nested), (err: Error) => err.name === 'LedgerDecodeError', 'one hop only')
  })

  test('microblocks and blocks', () => {
    fc.assert(fc.property(fc.nat({ max: 2 ** 31 }), fc.array(microblock, { maxLength: 4 }), (epoch, mbs) => {
      const b = readBlock(writeBlock(epoch, mbs))
      assert.equal(b.epoch, epoch)
      assert.deepEqual(b.microblocks.map(m => m.bytes), mbs)
      for (const m of b.microblocks) assert.deepEqual(readMicroblock(m.bytes), m)
    }))
  })

  test('genesis', () => {
    const member = fc.record({ peerId: fc.string({ maxLength: 60 }), signPublic: fixed(32), vrfPublic: fixed(32) }).map(m => ({ ...m }))
    fc.assert(fc.property(fc.string({ maxLength: 30 }), fc.array(member, { minLength: 1, maxLength: 4 }), fc.constantFrom('probft' as const, 'pbft' as const), fc.integer({ min: 1, max: 1024 }), fixed(64), (meshId, members, protocol, maxReplicas, sig) => {
      const g = readGenesis(sealGenesis(writeGenesisBody(meshId, members, protocol, maxReplicas), sig))
      assert.deepEqual({ meshId: g.meshId, members: g.members, protocol: g.protocol, maxReplicas: g.maxReplicas, sig: g.sig }, { meshId, members, protocol, maxReplicas, sig })
    }))
  })

  test('records and sync messages', () => {
    fc.assert(fc.property(record, r => { assert.deepEqual(readRecord(writeRecord(r)), r) }))
    fc.assert(fc.property(fc.nat(), fc.nat({ max: 1000 }), (from, limit) => { assert.deepEqual(readSyncRequest(writeSyncRequest({ from, limit })), { from, limit }) }))
    fc.assert(fc.property(bytes(0, 100), fc.integer({ min: -1, max: 1e6 }), fc.array(bytes(0, 100), { maxLength: 5 }), (genesis, height, records) => {
      assert.deepEqual(readSyncResponse(writeSyncResponse({ genesis, height, records })), { genesis, height, records })
    }))
  })

  test('entry bodies', () => {
    fc.assert(fc.property(fixed(32), fixed(32), fixed(64), fixed(80), (signPublic, vrfPublic, sig, proof) => {
      assert.deepEqual(readJoin(writeJoin({ signPublic, vrfPublic, sig, proof })), { signPublic, vrfPublic, sig, proof })
    }))
    fc.assert(fc.property(fc.string({ maxLength: 60 }), fc.string({ maxLength: 100 }), (peerId, reason) => { assert.deepEqual(readRemove(writeRemove({ peerId, reason })), { peerId, reason }) }))
    fc.assert(fc.property(fc.nat({ max: 2 ** 31 }), bytes(0, 200), bytes(0, 200), (epoch, first, second) => { assert.deepEqual(readEvidence(writeEvidence({ epoch, first, second })), { epoch, first, second }) }))
    fc.assert(fc.property(fc.string({ maxLength: 30 }), fc.oneof(fc.integer(), fc.string({ maxLength: 20 }), fc.boolean()), (key, value) => { assert.deepEqual(readConfig(writeConfig({ key, value })), { key, value }) }))
  })
})

describe('ledger codec garbage', () => {
  const rng = prng.create(0x1ed6e5)
  const samples: Record<string, Uint8Array> = {
    frame: writeFrame({ type: FRAME_CONSENSUS, epoch: 3, message: Uint8Array.of(1, 2, 3) }),
    microblock: sealMicroblock(writeMicroblockBody('12D3KooWabc', 4, [{ kind: 'note', data: Uint8Array.of(1) }]), new Uint8Array(64)),
    genesis: sealGenesis(writeGenesisBody('m', [{ peerId: 'p', signPublic: new Uint8Array(32), vrfPublic: new Uint8Array(32) }], 'probft', 16), new Uint8Array(64)),
    record: writeRecord({ height: 5, epoch: 1, block: Uint8Array.of(1, 2), certificate: [Uint8Array.of(4)], holder: 0, head: new Uint8Array(32) }),
    syncRequest: writeSyncRequest({ from: 7, limit: 64 }),
    syncResponse: writeSyncResponse({ genesis: Uint8Array.of(1), height: 4, records: [Uint8Array.of(2)] }),
    remove: writeRemove({ peerId: 'x', reason: 'y' }),
    evidence: writeEvidence({ epoch: 1, first: Uint8Array.of(1), second: Uint8Array.of(2) }),
    config: writeConfig({ key: 'mesh.maxPeers', value: 4 }),
    join: writeJoin({ signPublic: new Uint8Array(32), vrfPublic: new Uint8Array(32), sig: new Uint8Array(64), proof: new Uint8Array(80) })
  }
  samples.block = writeBlock(2, [samples.microblock])
  samples.forward = writeFrame({ type: FRAME_FORWARD, peer: '12D3KooWabc', frame: samples.frame })
  const readers: Record<string, (b: Uint8Array) => unknown> = {
    frame: readFrame, microblock: readMicroblock, genesis: readGenesis, record: readRecord, syncRequest: readSyncRequest, syncResponse: readSyncResponse,
    remove: readRemove, evidence: readEvidence, config: readConfig, join: readJoin, block: readBlock, forward: readFrame
  }
  function junk (valid: Uint8Array): Uint8Array {
    const k = prng.int32(rng, 0, 3)
    if (k === 0) return prng.uint8Array(rng, prng.int32(rng, 0, 64))
    if (k === 1) return valid.slice(0, prng.int32(rng, 0, valid.length))
    const b = valid.slice()
    for (let i = 0; i < 1 + prng.int32(rng, 0, 3); i++) if (b.length > 0) b[prng.int32(rng, 0, b.length - 1)] ^= 1 << prng.int32(rng, 0, 7)
    if (k === 3) return Uint8Array.from([...b, ...prng.uint8Array(rng, prng.int32(rng, 1, 8))])
    return b
  }
  for (const [name, read] of Object.entries(readers)) {
    test(`${name}: 10,000 garbage inputs end in LedgerDecodeError or a valid value`, () => {
      let errors = 0
      for (let i = 0; i < 10_000; i++) {
        try { read(junk(samples[name])) } catch (err) {
          assert.ok(err instanceof LedgerDecodeError, `${name}: ${(err as Error).name}: ${(err as Error).message}`)
          errors++
        }
      }
      assert.ok(errors > 1000, `most garbage is refused (${errors})`)
    })
  }
})
