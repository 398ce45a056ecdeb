/**
 * The ledger over real libp2p in one process: a bootstrap (the genesis replica) and 4 peers run
 * `createLedger` over real MeshNodes (WebSockets to the bootstrap, WebRTC between peers). All
 * become replicas (one join entry each, epochs change), 50 entries submitted from different peers
 * commit with identical head hashes everywhere; a follower (join: false) gets the blocks by gossip
 * and sync, verifies them and matches the head; a peer whose ledger streams keep failing (resets)
 * is not counted against, a bad length prefix is; a peer that sends garbage frames on the ledger
 * protocol is counted and cut off.
 *
 * The epochs run the PBFT baseline here (protocol: 'pbft', no VRF proofs): five ledgers and five
 * libp2p nodes share one process on a 2-core machine that other test runs load to 40+, and with
 * ProBFT's per-vote ECVRF work the bootstrap (genesis replica, relay and forwarder at once) starved
 * until links to it timed out. ProBFT through the same shell is covered by replicas.test.ts and
 * byzantine.test.ts; the libp2p path (streams, forwarding, gossip, sync) is protocol-independent.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { createMeshNode, encodeFrame, type MeshNode, type MeshNodeInit } from '../../core/net/index.ts'
import { createLedger, LEDGER_PROTOCOL, MemoryStore, type LedgerInit, type LedgerService } from '../../core/ledger/index.ts'
import { releaseWebRTC } from '../../node-runtime/mesh/webrtc-release.ts'
import { waitFor } from '../_support/wait.ts'
import { quorumMath, ready } from './_memnet.ts'

const FAST: MeshNodeInit = { discoveryIntervalMs: 1000, topologyIntervalMs: 1000, peerTtlMs: 6000, dialTimeoutMs: 5000, pingIntervalMs: 2000 }
const nodes: MeshNode[] = []
const ledgers: LedgerService[] = []
let bootAddr: string
let genesisPeerId: string

async function peer (init: MeshNodeInit, ledger: Partial<LedgerInit> = {}): Promise<{ mesh: MeshNode, ledger: LedgerService }> {
  const privateKey: PrivateKey = await generateKeyPair('Ed25519')
  const mesh = await createMeshNode({ ...FAST, ...init, privateKey })
  nodes.push(mesh)
  await mesh.start()
  const l = createLedger({ genesisPeerId, protocol: 'pbft', syncIntervalMs: 1000, maxRejectsPerMinute: 20, leaveOnStop: false, ...ledger }, { mesh, privateKey, store: new MemoryStore(), quorumMath })
  ledgers.push(l)
  await l.start()
  return { mesh, ledger: l }
}

let boot: { mesh: MeshNode, ledger: LedgerService }
const members: Array<{ mesh: MeshNode, ledger: LedgerService }> = []

before(async () => {
  await ready()
  const bootKey = await generateKeyPair('Ed25519')
  const bootMesh = await createMeshNode({ ...FAST, role: 'bootstrap', privateKey: bootKey, listen: ['/ip4/127.0.0.1/tcp/0/ws'] })
  nodes.push(bootMesh)
  await bootMesh.start()
  bootAddr = bootMesh.getMultiaddrs()[0]
  genesisPeerId = bootMesh.peerId.toString()
  const l = createLedger({ genesisPeerId, protocol: 'pbft', syncIntervalMs: 1000, maxRejectsPerMinute: 20, leaveOnStop: false }, { mesh: bootMesh, privateKey: bootKey, store: new MemoryStore(), quorumMath })
  ledgers.push(l)
  await l.start()
  boot = { mesh: bootMesh, ledger: l }
  members.push(boot)
  for (let i = 0; i < 4; i++) members.push(await peer({ bootstrap: [bootAddr] }))
})

after(async () => {
  for (const l of ledgers) await l.stop().catch(() => {})
  await Promise.all(nodes.map(async n => { await n.stop() }))
  releaseWebRTC()
})

const heads = (): Set<string> => new Set(members.map(m => m.ledger.status().head))

test('bootstrap + 4 peers become replicas; 50 entries commit with identical heads', { timeout: 420_000 }, async () => {
  await waitFor(() => members.every(m => m.ledger.status().replica && m.ledger.status().replicas.length === 5), {
    timeout: 300_000, interval: 250, message: () => `5 replicas everywhere (${members.map(m => m.ledger.status().replicas.length).join(',')})`
  })
  const s = boot.ledger.status()
  assert.equal(s.f, 1)
  assert.equal(s.protocol, 'pbft')
  assert.ok(s.epoch >= 1)
  const done = await Promise.all(Array.from({ length: 50 }, async (_, i) => await members[i % 5].ledger.submit({ kind: 'note', data: new TextEncoder().encode(JSON.stringify({ live: i })) }, { timeoutMs: 120_000 })))
  assert.ok(done.every(d => d.applied))
  const top = Math.max(...done.map(d => d.slot))
  await waitFor(() => members.every(m => m.ledger.status().height >= top) && heads().size === 1, { timeout: 60_000, interval: 250, message: () => `identical heads (${[...heads()].join(' ')})` })
  const w = boot.ledger.status().wire
  assert.ok(w.framesSent > 0 && w.bytesReceived > 0, 'frames crossed real links and were counted')
  for (const m of members) assert.equal(m.ledger.anomalies.conflictingDecision, 0)
})

test('a follower verifies the chain and matches the head', { timeout: 240_000 }, async () => {
  const f = await peer({ bootstrap: [bootAddr] }, { join: false })
  await waitFor(() => f.ledger.status().head === boot.ledger.status().head && f.ledger.status().height === boot.ledger.status().height, { timeout: 180_000, interval: 250, message: 'the follower to catch up' })
  assert.equal(f.ledger.status().replica, false)
  const v = await f.ledger.verify()
  assert.equal(v.head, boot.ledger.status().head)
  // an entry from the follower commits too (it goes to one replica, which relays it)
  const c = await f.ledger.submit({ kind: 'note', data: new TextEncoder().encode('"from a follower"') }, { timeoutMs: 60_000 })
  assert.equal(c.author, f.mesh.peerId.toString())
  await waitFor(() => f.ledger.status().height >= c.slot, { timeout: 30_000, message: 'the follower to see its own entry' })
})

test('a stream that fails (reset by its peer) is not held against the peer; a bad length prefix is', { timeout: 300_000 }, async () => {
  const other = await createMeshNode({ ...FAST, bootstrap: [bootAddr] })
  nodes.push(other)
  await other.start()
  await waitFor(() => other.links().some(l => l.peerId === genesisPeerId), { timeout: 120_000, interval: 250, message: 'a link to the bootstrap' })
  const rejected = (): Record<string, number> => boot.ledger.status().rejected
  const before = { ...rejected() }
  // a peer whose streams keep failing (a tab reloading, a link dying) sends nothing wrong: 25 resets,
  // more than maxRejectsPerMinute (20), must neither count as malformed nor cut it off
  for (let i = 0; i < 25; i++) {
    const s = await other.openStream(genesisPeerId, LEDGER_PROTOCOL)
    s.send(Uint8Array.of(5)) // the first byte of a 5-byte frame's prefix... and then the stream dies
    s.abort(new Error('reset by the test'))
  }
  // a frame on a fresh stream is read, so the 25 resets have been seen by then
  const last = await other.openStream(genesisPeerId, LEDGER_PROTOCOL)
  last.send(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f)) // a 4 GiB length prefix: the sender's fault
  await waitFor(() => (rejected().malformed ?? 0) > (before.malformed ?? 0), { timeout: 60_000, message: () => `the bad prefix counted (${JSON.stringify(rejected())})` })
  assert.equal(rejected().malformed ?? 0, (before.malformed ?? 0) + 1, 'only the bad prefix counts as malformed, not the 25 resets')
  assert.equal(rejected().disconnected ?? 0, before.disconnected ?? 0, 'nobody cut off')
  assert.ok(boot.mesh.links().some(l => l.peerId === other.peerId.toString()), 'the peer keeps its link')
})

test('a garbage frame sender is counted and cut off', { timeout: 300_000 }, async () => {
  const bad = await createMeshNode({ ...FAST, bootstrap: [bootAddr] })
  nodes.push(bad)
  await bad.start()
  await waitFor(() => bad.links().some(l => l.peerId === genesisPeerId), { timeout: 120_000, interval: 250, message: 'a link to the bootstrap' })
  const before = boot.ledger.status().rejected.malformed ?? 0
  const stream = await bad.openStream(genesisPeerId, LEDGER_PROTOCOL)
  for (let i = 0; i < 40 && stream.status === 'open'; i++) stream.send(encodeFrame(Uint8Array.of(9, i, 255, 1), 1024))
  await waitFor(() => (boot.ledger.status().rejected.disconnected ?? 0) >= 1, { message: () => `a disconnect (${JSON.stringify(boot.ledger.status().rejected)})`, timeout: 60_000 })
  // with a message: a failing assert.ok without one has Node parse the source to build it, minutes of CPU under tsx
  assert.ok((boot.ledger.status().rejected.malformed ?? 0) - before > 20, `malformed counted: ${JSON.stringify(boot.ledger.status().rejected)}, before ${before}`)
  await waitFor(() => !boot.mesh.links().some(l => l.peerId === bad.peerId.toString()) || stream.status !== 'open', { timeout: 30_000, message: 'the garbage sender to be cut off' })
})
