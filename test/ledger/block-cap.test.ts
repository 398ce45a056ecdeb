/**
 * Blocks larger than the old 60 KiB (core/ledger/block-cap.ts): the cap by replica count keeps a
 * NEW-VIEW carrying n + 1 cap-sized values inside one forwarded frame; the codec takes a block up
 * to 252 KiB and refuses one byte more; 4 replicas over the in-memory network commit a burst in
 * blocks above 60 KiB with identical heads; a committed `ledger.maxBlockBytes` (here the old
 * 60 KiB) bounds what leaders propose from then on. (A proposal over the epoch's cap is refused
 * as a bad value; below n = 16 that cap is the codec's own bound, tested here.)
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { seal, writeHeaderBody, writeNewViewBody, writeViewChangeBody } from '../../core/consensus/codec.ts'
import { blockCap } from '../../core/ledger/block-cap.ts'
import { FRAME_CONSENSUS, FRAME_FORWARD, MAX_BLOCK_BYTES, MAX_FRAME_BYTES, MAX_MICROBLOCK_BYTES, readBlock, readFrame, writeBlock, writeFrame } from '../../core/ledger/codec.ts'
import type { LedgerNodeInit } from '../../core/ledger/ledger-node.ts'
import { waitFor } from '../_support/wait.ts'
import { MemNet, ready, seededKey, type MemPeer } from './_memnet.ts'

const SIG = new Uint8Array(64).fill(7)
const OLD_CAP = 60 * 1024

test('blockCap: 252 KiB up to n = 15, then falling so a NEW-VIEW with n + 1 values fits a forwarded frame', () => {
  assert.equal(blockCap(1), MAX_BLOCK_BYTES)
  assert.equal(blockCap(7), MAX_BLOCK_BYTES)
  assert.equal(blockCap(15), MAX_BLOCK_BYTES)
  assert.ok(blockCap(16) < MAX_BLOCK_BYTES)
  assert.ok(blockCap(64) < blockCap(32) && blockCap(32) < blockCap(16))
  assert.throws(() => blockCap(0), RangeError)
  // a microblock of the largest size fits a block at every replica count the engine allows
  assert.ok(blockCap(64) >= MAX_MICROBLOCK_BYTES + 64)
  for (const n of [16, 32, 64]) {
    const value = new Uint8Array(blockCap(n)).fill(n)
    const header = seal(writeHeaderBody(0, 9, 1, new Uint8Array(32)), SIG)
    const vcs = Array.from({ length: n }, (_, i) => seal(writeViewChangeBody(i, 9, 1, [], value), SIG))
    const newView = seal(writeNewViewBody(0, header, value, vcs), SIG)
    const inner = writeFrame({ type: FRAME_CONSENSUS, epoch: 3, message: newView })
    const forward = writeFrame({ type: FRAME_FORWARD, peer: '12D3KooW'.padEnd(52, 'x'), frame: inner })
    assert.ok(forward.length <= MAX_FRAME_BYTES, `n = ${n}: ${forward.length} bytes`)
    assert.equal(readFrame(forward).type, FRAME_FORWARD)
  }
})

test('readBlock takes a block of MAX_BLOCK_BYTES and refuses one byte more', () => {
  const block = (payload: number): Uint8Array => writeBlock(1, [new Uint8Array(payload)])
  // a block of one opaque "microblock" only tests the size bound, which is checked first
  let payload = MAX_BLOCK_BYTES
  while (block(payload).length > MAX_BLOCK_BYTES) payload--
  assert.equal(block(payload).length, MAX_BLOCK_BYTES)
  assert.throws(() => readBlock(block(payload + 1)), { name: 'LedgerDecodeError', message: /block too large/ })
})

async function cluster (seed: number, n: number, init: Partial<LedgerNodeInit> = {}): Promise<{ net: MemNet, peers: MemPeer[] }> {
  await ready()
  const net = new MemNet(seed)
  const key = await seededKey(`cap ${seed} genesis`)
  const base: LedgerNodeInit = { genesisPeerId: peerIdFromPrivateKey(key).toString(), syncIntervalMs: 500, ...init }
  const peers = [await net.add(`cap ${seed} g`, base, { key })]
  for (let i = 1; i < n; i++) peers.push(await net.add(`cap ${seed} ${i}`, base))
  await waitFor(() => peers.every(p => p.node.status().replicas.length === n), { timeout: 60_000, message: () => `${n} replicas` })
  return { net, peers }
}

const enc = new TextEncoder()
async function burst (peers: MemPeer[], count: number, tag: string): Promise<number> {
  const done = await Promise.all(Array.from({ length: count }, async (_, i) =>
    await peers[i % peers.length].node.submit({ kind: 'note', data: enc.encode(JSON.stringify({ text: `${tag} ${i} ${'.'.repeat(24)}` })) }, { timeoutMs: 120_000 })))
  return Math.max(...done.map(d => d.slot))
}

async function blockSizes (p: MemPeer, from: number, to: number): Promise<number[]> {
  const sizes: number[] = []
  for (let h = from; h <= to; h++) { const r = await p.store.get(h); assert.ok(r != null, `height ${h}`); sizes.push(r.block.length) }
  return sizes
}

test('a burst commits in blocks above 60 KiB, identically everywhere; ledger.maxBlockBytes bounds later proposals', { timeout: 240_000 }, async () => {
  const { net, peers } = await cluster(21, 4)
  try {
    const h0 = peers[0].node.status().height
    const top = await burst(peers, 6000, 'big')
    await waitFor(() => peers.every(p => p.node.status().height >= top), { timeout: 30_000, message: 'every peer at the top' })
    const sizes = await blockSizes(peers[0], h0 + 1, top)
    assert.ok(Math.max(...sizes) > OLD_CAP, `largest block ${Math.max(...sizes)} bytes (${sizes.join(', ')})`)
    assert.ok(Math.max(...sizes) <= blockCap(4))
    assert.equal(new Set(peers.map(p => p.node.status().head)).size, 1)

    const set = await peers[1].node.submit({ kind: 'config', data: enc.encode(JSON.stringify({ key: 'ledger.maxBlockBytes', value: OLD_CAP })) }, { timeoutMs: 60_000 })
    await waitFor(() => peers.every(p => p.node.config('ledger.maxBlockBytes') === OLD_CAP), { timeout: 30_000, message: 'the setting applied everywhere' })
    const top2 = await burst(peers, 6000, 'small')
    await waitFor(() => peers.every(p => p.node.status().height >= top2), { timeout: 30_000, message: 'every peer at the second top' })
    const after = await blockSizes(peers[2], set.slot + 1, top2)
    assert.ok(after.length >= 4, `${after.length} blocks`)
    assert.ok(Math.max(...after) <= OLD_CAP, `blocks after the setting: ${after.join(', ')}`)
    assert.equal(new Set(peers.map(p => p.node.status().head)).size, 1)
  } finally {
    await net.stopAll()
  }
})
