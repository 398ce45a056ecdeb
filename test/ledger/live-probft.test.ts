/**
 * ProBFT over real libp2p in one process (live.test.ts runs the PBFT baseline the same way): a
 * bootstrap (the genesis replica) and 3 peers run `createLedger` over real MeshNodes — the replica
 * class the simulator runs — become 4 ProBFT replicas (n = 4, f = 1, VRF-sampled votes with ECVRF
 * proofs checked by every receiver), and 20 entries from different peers commit with identical head
 * hashes; every ledger frame crossed a real link and was counted. Kept to 4 replicas and 20 entries
 * so the per-vote VRF work fits one process on a loaded 2-core machine (7 ProBFT replicas in separate
 * processes: processes.slow.test.ts).
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { createMeshNode, type MeshNode, type MeshNodeInit } from '../../core/net/index.ts'
import { createLedger, MemoryStore, type LedgerService } from '../../core/ledger/index.ts'
import { releaseWebRTC } from '../../node-runtime/mesh/webrtc-release.ts'
import { waitFor } from '../_support/wait.ts'
import { quorumMath, ready } from './_memnet.ts'

const FAST: MeshNodeInit = { discoveryIntervalMs: 1000, topologyIntervalMs: 1000, peerTtlMs: 6000, dialTimeoutMs: 5000, pingIntervalMs: 2000 }
const nodes: MeshNode[] = []
const members: LedgerService[] = []

before(async () => {
  await ready()
  const bootKey = await generateKeyPair('Ed25519')
  const boot = await createMeshNode({ ...FAST, role: 'bootstrap', privateKey: bootKey, listen: ['/ip4/127.0.0.1/tcp/0/ws'] })
  nodes.push(boot)
  await boot.start()
  const genesisPeerId = boot.peerId.toString()
  const init = { genesisPeerId, protocol: 'probft' as const, syncIntervalMs: 1000, leaveOnStop: false }
  members.push(createLedger(init, { mesh: boot, privateKey: bootKey, store: new MemoryStore(), quorumMath }))
  await members[0].start()
  for (let i = 0; i < 3; i++) {
    const privateKey = await generateKeyPair('Ed25519')
    const mesh = await createMeshNode({ ...FAST, privateKey, bootstrap: [boot.getMultiaddrs()[0]] })
    nodes.push(mesh)
    await mesh.start()
    const l = createLedger(init, { mesh, privateKey, store: new MemoryStore(), quorumMath })
    members.push(l)
    await l.start()
  }
})

after(async () => {
  for (const l of members) await l.stop().catch(() => {})
  await Promise.all(nodes.map(async n => { await n.stop() }))
  releaseWebRTC()
})

test('4 ProBFT replicas over real libp2p commit 20 entries with identical heads', { timeout: 300_000 }, async () => {
  await waitFor(() => members.every(m => m.status().replica && m.status().replicas.length === 4), {
    timeout: 240_000, interval: 250, message: () => `4 replicas everywhere (${members.map(m => m.status().replicas.length).join(',')})`
  })
  const s = members[0].status()
  assert.equal(s.protocol, 'probft')
  assert.equal(s.f, 1)
  assert.ok(s.sampleSize > 0 && s.sampleSize <= 3)
  const done = await Promise.all(Array.from({ length: 20 }, async (_, i) => await members[i % 4].submit({ kind: 'note', data: new TextEncoder().encode(JSON.stringify({ probft: i })) }, { timeoutMs: 120_000 })))
  assert.ok(done.every(d => d.applied))
  const top = Math.max(...done.map(d => d.slot))
  const heads = (): Set<string> => new Set(members.map(m => `${m.status().height}:${m.status().head}`))
  await waitFor(() => members.every(m => m.status().height >= top) && heads().size === 1, { timeout: 60_000, interval: 250, message: () => `identical heads (${[...heads()].join(' ')})` })
  for (const m of members) {
    assert.ok(m.status().wire.framesSent > 0, 'frames crossed real links and were counted')
    assert.equal(m.anomalies.conflictingDecision, 0)
  }
})
