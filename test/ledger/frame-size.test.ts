/**
 * The mesh's `maxFrameSize` must carry the ledger's largest gossip record (core/ledger/frame-size.ts):
 * `createLedger` refuses a mesh configured below it (core/net accepts down to its own 64 KiB minimum) with a
 * `MeshFrameSizeError` naming both numbers, and the number itself holds the largest record a leader
 * can publish — a block at the epoch's cap, a certificate of n real ProBFT COMMITs (VRF proof and
 * signature each; n commits bound any quorum) — inside gossipsub's own message encoding.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { RPC } from '@libp2p/gossipsub/message'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { MSG_COMMIT } from '../../core/consensus/codec.ts'
import { blockCap } from '../../core/ledger/block-cap.ts'
import { checkMeshFrameSize, createLedger, LEDGER_GOSSIP_FRAME_BYTES, LEDGER_TOPIC, MAX_BLOCK_BYTES, MemoryStore, writeRecord } from '../../core/ledger/index.ts'
import { createMeshNode, MIN_FRAME_SIZE } from '../../core/net/index.ts'
import { cluster } from '../consensus/_fixtures.ts'
import { quorumMath } from './_memnet.ts'

const refused = (maxFrameSize: number) => (err: Error & { maxFrameSize?: number, needed?: number }): boolean => {
  assert.equal(err.name, 'MeshFrameSizeError')
  assert.deepEqual({ maxFrameSize: err.maxFrameSize, needed: err.needed }, { maxFrameSize, needed: LEDGER_GOSSIP_FRAME_BYTES })
  assert.ok(err.message.includes(String(maxFrameSize)) && err.message.includes(String(LEDGER_GOSSIP_FRAME_BYTES)), err.message)
  return true
}

test('a frame size below the largest gossip record is refused with both numbers; from it on, accepted', () => {
  assert.equal(LEDGER_GOSSIP_FRAME_BYTES, MAX_BLOCK_BYTES + 64 * 1024)
  for (const size of [16, 60 * 1024, LEDGER_GOSSIP_FRAME_BYTES - 1]) assert.throws(() => { checkMeshFrameSize(size) }, refused(size))
  for (const size of [LEDGER_GOSSIP_FRAME_BYTES, 1 << 20]) checkMeshFrameSize(size)
})

test('createLedger refuses a mesh at core/net\'s smallest maxFrameSize (64 KiB), and takes one at the ledger\'s size', async () => {
  const privateKey = await generateKeyPair('Ed25519')
  for (const [maxFrameSize, ok] of [[MIN_FRAME_SIZE, false], [LEDGER_GOSSIP_FRAME_BYTES, true]] as const) {
    const mesh = await createMeshNode({ role: 'bootstrap', privateKey, listen: ['/ip4/127.0.0.1/tcp/0/ws'], maxFrameSize })
    try {
      const make = (): unknown => createLedger({ genesisPeerId: mesh.peerId.toString() }, { mesh, privateKey, store: new MemoryStore(), quorumMath })
      if (ok) assert.ok(make() != null)
      else assert.throws(make, refused(maxFrameSize))
    } finally {
      await mesh.stop()
    }
  }
})

test('the largest record a leader publishes fits the number inside gossipsub\'s message, at n = 15, 16, 32 and 64', async () => {
  const from = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toMultihash().bytes
  const sizes: string[] = []
  for (const n of [15, 16, 32, 64]) {
    const c = cluster({ n, f: Math.floor((n - 1) / 3), protocol: 'probft', sampleSize: n - 1, quorum: n, seed: n })
    const slot = 0xffff_fff0 // near the largest slot the engine takes (2^32 - 1): the longest varints
    const block = new Uint8Array(blockCap(n)).fill(0xab)
    const header = c.header(slot % n, slot, 3, block)
    const certificate = Array.from({ length: n }, (_, i) => c.vote(MSG_COMMIT, i, header))
    const record = writeRecord({ height: slot, epoch: 2 ** 20, block, certificate, holder: n - 1, head: new Uint8Array(32) })
    const message = RPC.encode({ subscriptions: [], messages: [{ from, data: record, seqno: new Uint8Array(8), topic: LEDGER_TOPIC, signature: new Uint8Array(64) }] })
    sizes.push(`n = ${n}: record ${record.length}, gossip message ${message.length}`)
    assert.ok(message.length <= LEDGER_GOSSIP_FRAME_BYTES, `n = ${n}: ${message.length} > ${LEDGER_GOSSIP_FRAME_BYTES}`)
  }
  console.log(sizes.join('\n'))
})
