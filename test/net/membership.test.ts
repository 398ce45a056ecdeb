/**
 * Membership: every peer of a mesh learns of every other, and none is left knowing only itself.
 *
 * A bootstrap and 8 headless peers in one process (real libp2p, WebSockets to the bootstrap,
 * gossipsub), with a small target degree (2) so few WebRTC dials run and the test stays light:
 * membership travels over gossip through the bootstrap, not over the direct links. Then a late
 * joiner must learn everyone and be learnt by everyone quickly, which needs the immediate
 * announcements (on our relay address, on a newcomer) rather than the next interval.
 *
 * A 20-peer mesh once never converged because gossipsub's IP-colocation penalty (more than 10
 * peers on one IP) graylisted every peer at the bootstrap; with 8 peers the penalty would not fire,
 * so this file also checks that the bootstrap scores no peer below zero and that the penalty is
 * off. test/net/mesh-scale.slow.test.ts runs the 20-peer case.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { createMeshNode, formatDiagnostics, isDirectWebRTC, type MeshNode, type MeshNodeInit } from '../../core/net/index.ts'
import { releaseWebRTC } from '../../node-runtime/mesh/webrtc-release.ts'
import { waitFor } from '../_support/wait.ts'

const N = 8
const DEGREE = 2
const INIT: MeshNodeInit = { maxPeers: DEGREE, discoveryIntervalMs: 1000, topologyIntervalMs: 1000, peerTtlMs: 8000, dialTimeoutMs: 5000 }
const nodes: MeshNode[] = []
let boot: MeshNode
let peers: MeshNode[] = []

async function peer (): Promise<MeshNode> {
  const n = await createMeshNode({ ...INIT, bootstrap: [boot.getMultiaddrs()[0]] })
  nodes.push(n)
  return n
}

/** The gossipsub implementation behind the public `GossipSub` interface (its score and options). */
interface GossipSubInternals { getScore: (id: string) => number, opts: { scoreParams: { IPColocationFactorWeight: number } } }
const internals = (n: MeshNode): GossipSubInternals => n.libp2p.services.pubsub as unknown as GossipSubInternals

function score (n: MeshNode, of: MeshNode): number {
  return internals(n).getScore(of.peerId.toString())
}

before(async () => {
  boot = await createMeshNode({ ...INIT, role: 'bootstrap', listen: ['/ip4/127.0.0.1/tcp/0/ws'] })
  nodes.push(boot)
  await boot.start()
  peers = await Promise.all(Array.from({ length: N }, peer))
  // all at once, as a fresh mesh starts: the case where announcements race the relay reservations
  await Promise.all(peers.map(async p => { await p.start() }))
})

after(async () => {
  await Promise.all(nodes.map(async n => { await n.stop() }))
  releaseWebRTC()
})

test('every peer learns every other: none is stuck knowing only itself', async () => {
  const all = peers.map(p => p.peerId.toString()).sort()
  try {
    await waitFor(() => peers.every(p => p.members().length === N), { timeout: 60_000, interval: 100, message: `${N} peers to reach full membership` })
  } catch (err) {
    const counts = peers.map(p => p.members().length).join(',')
    throw new Error(`${(err as Error).message}; members per peer: ${counts}`)
  }
  for (const p of peers) assert.deepEqual(p.members(), all)
  assert.deepEqual(boot.members(), all, 'the bootstrap sees every peer (and does not count itself)')
})

test('the bootstrap scores no co-located peer below zero (gossipsub IP colocation penalty is off)', () => {
  for (const p of peers) assert.ok(score(boot, p) >= 0, `bootstrap scores ${p.peerId.toString()} at ${score(boot, p)}`)
  assert.equal(internals(boot).opts.scoreParams.IPColocationFactorWeight, 0)
})

test('every peer reaches its target degree over direct WebRTC links', async () => {
  const direct = (n: MeshNode): number => new Set(n.libp2p.getConnections().filter(c => c.status === 'open' && isDirectWebRTC(c)).map(c => c.remotePeer.toString())).size
  // on a timeout, each peer's links, dials in flight and failed dials say why (only then: a function message)
  const why = (): string => `every peer at degree ${DEGREE}; per peer:\n${peers.map(p => formatDiagnostics(p.diagnostics())).join('\n')}`
  await waitFor(() => peers.every(p => direct(p) >= DEGREE), { timeout: 120_000, interval: 250, message: why })
})

test('a late joiner learns everyone, is learnt by everyone, and links directly', async (t) => {
  const late = await peer()
  const t0 = Date.now()
  await late.start()
  const id = late.peerId.toString()
  await waitFor(() => late.members().length === N + 1 && peers.every(p => p.members().includes(id)), { timeout: 30_000, interval: 100, message: 'the late joiner in every view, and every peer in its view' })
  t.diagnostic(`full membership with the late joiner after ${Date.now() - t0} ms`)
  await waitFor(() => late.libp2p.getConnections().some(c => c.status === 'open' && isDirectWebRTC(c)), { timeout: 120_000, interval: 100, message: 'a direct WebRTC link for the late joiner' })
  t.diagnostic(`first direct link after ${Date.now() - t0} ms (dials: ${late.stats.dialSuccesses} ok, ${late.stats.dialFailures} failed)`)
  assert.ok(late.stats.dialSuccesses + peers.reduce((s, p) => s + p.stats.dialSuccesses, 0) > 0)
})
