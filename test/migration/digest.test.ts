/**
 * The snapshot digest (core/migration/digest.ts, PROTOCOL.md `snapshotDigest`): the same bytes
 * whether the chunks' SHA-256s come from a synchronous hash (node:crypto's, a Node peer's) or from
 * WebCrypto (a tab's) — a tab and a Node peer must agree on it — and a digest computed here
 * against the hash list written out by hand with node:crypto (the reference), so a change of the
 * grammar cannot pass unseen. One changed byte anywhere changes it.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { test } from 'node:test'
import * as encoding from 'lib0/encoding'
import { ChunkDigests, snapshotDigest, snapshotDigestOf } from '../../core/migration/digest.ts'
import { decodeSnapshot, encodeSnapshot } from '../../core/migration/snapshot-codec.ts'
import type { TaskSnapshot } from '../../core/migration/snapshot.ts'
import { seededBytes } from '../state/_helpers.ts'

const sha = (b: Uint8Array): Uint8Array => createHash('sha256').update(b).digest()

function snapshot (pages: number, seed: number): TaskSnapshot {
  const memory = seededBytes(seed)(pages * 65536)
  return { memory, globals: [{ kind: 'i32', value: 65536 }], unwind: new Uint8Array([1, 2, 3]), pausedIn: 'fd_write', pausedResult: 0, stdinPos: 0, stdout: new TextEncoder().encode('out\n'), stderr: new Uint8Array(0), clockNs: 5n, calls: 3, pauses: 1 }
}

test('synchronous and WebCrypto chunk digests give the same snapshot digest, equal to the reference hash list', async () => {
  const snap = snapshot(3, 11)
  const bytes = encodeSnapshot(snap)
  const viaWebCrypto = await snapshotDigest(bytes, 8192)
  const viaSync = await snapshotDigest(bytes, 8192, sha)
  assert.equal(viaSync, viaWebCrypto)
  // the reference: "NCSD" • varUint(1) • varUint8Array(meta) • varUint(memoryLength) • (varUint(len) • sha256(chunk))*
  const meta = encodeSnapshot({ ...decodeSnapshot(bytes), memory: new Uint8Array(0) })
  const e = encoding.createEncoder()
  encoding.writeUint8Array(e, new TextEncoder().encode('NCSD'))
  encoding.writeVarUint(e, 1)
  encoding.writeVarUint8Array(e, meta)
  encoding.writeVarUint(e, snap.memory.length)
  for (let off = 0; off < snap.memory.length; off += 8192) { encoding.writeVarUint(e, 8192); encoding.writeUint8Array(e, sha(snap.memory.subarray(off, off + 8192))) }
  assert.equal(viaSync, Buffer.from(sha(encoding.toUint8Array(e))).toString('hex'))
  const changed = { ...snap, memory: snap.memory.slice() }
  changed.memory[100_000] ^= 1
  assert.notEqual(await snapshotDigest(encodeSnapshot(changed), 8192, sha), viaSync)
})

test('a hash list mixing computed and pending chunk digests is awaited in order', async () => {
  const chunks = [new Uint8Array(8192).fill(1), new Uint8Array(8192).fill(2), new Uint8Array(100).fill(3)]
  const syncD = new ChunkDigests(sha)
  const asyncD = new ChunkDigests()
  chunks.forEach((c, i) => { syncD.add(`c${i}`, c); asyncD.add(`c${i}`, c) })
  const list = chunks.map((c, i) => ({ hash: `c${i}`, length: c.length }))
  const meta = new Uint8Array([9])
  assert.equal(await snapshotDigestOf(meta, list, syncD), await snapshotDigestOf(meta, list, asyncD))
  await assert.rejects(snapshotDigestOf(meta, [...list, { hash: 'nope', length: 1 }], syncD), /no digest for chunk nope/)
})
