/**
 * A peer that vanishes without a goodbye (a closed tab, a killed process) leaves every view as soon
 * as its bootstrap loses its link, not a TTL later; a peer that only lost its bootstrap link comes
 * back. The TTL here is a minute, so only the bootstrap-link rule (core/net/topology.ts) can pass
 * the first test within its deadline.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { createMeshNode, type MeshNode, type MeshNodeInit } from '../../core/net/index.ts'
import { releaseWebRTC } from '../../node-runtime/mesh/webrtc-release.ts'
import { waitFor } from '../_support/wait.ts'

const N = 4
const INIT: MeshNodeInit = { maxPeers: 1, discoveryIntervalMs: 1000, topologyIntervalMs: 1000, peerTtlMs: 60_000, dialTimeoutMs: 5000 }
const nodes: MeshNode[] = []
let boot: MeshNode
let peers: MeshNode[] = []

before(async () => {
  boot = await createMeshNode({ ...INIT, role: 'bootstrap', listen: ['/ip4/127.0.0.1/tcp/0/ws'] })
  nodes.push(boot)
  await boot.start()
  peers = await Promise.all(Array.from({ length: N }, async () => await createMeshNode({ ...INIT, bootstrap: [boot.getMultiaddrs()[0]] })))
  nodes.push(...peers)
  await Promise.all(peers.map(async p => { await p.start() }))
  await waitFor(() => peers.every(p => p.members().length === N) && boot.members().length === N, { timeout: 60_000, message: () => `full membership; members known now: bootstrap ${boot.members().length}, peers ${peers.map(p => p.members().length).join(' ')} of ${N}` })
})

after(async () => {
  await Promise.all(nodes.map(async n => { await n.stop() }))
  releaseWebRTC()
})

/** Whether `n`'s copy of the bootstrap's last announcement lists `id` (for the failure message). */
function listedByBoot (n: MeshNode, id: string): boolean {
  return n.topology().peers.find(p => p.peerId === boot.peerId.toString())?.neighbours.some(x => x.peerId === id) ?? false
}

test('a peer gone without a goodbye leaves every view once its bootstrap link closes', async () => {
  const gone = peers[N - 1]
  const id = gone.peerId.toString()
  // libp2p stops under the mesh node: no leave message is published, as when a tab is closed
  await gone.libp2p.stop()
  const rest = [boot, ...peers.slice(0, N - 1)]
  await waitFor(() => rest.every(n => !n.members().includes(id)), {
    timeout: 20_000,
    message: () => `the vanished peer to leave every view (still in ${rest.filter(n => n.members().includes(id)).map(n => `${n === boot ? 'bootstrap' : `peer ${peers.indexOf(n)}`} with ${n.libp2p.getConnections(gone.peerId).map(c => `${c.status} ${c.remoteAddr.toString().includes('webrtc') ? 'webrtc' : 'other'}`).join(', ') || 'no connection'}, ${listedByBoot(n, id) ? 'its copy of the bootstrap\'s list still names it' : 'the bootstrap\'s list no longer names it'}, last heard ${Date.now() - (n.topology().peers.find(p => p.peerId === id)?.lastSeen ?? 0)} ms ago`).join('; ')})`
  })
  assert.ok(rest.every(n => n.topology().peers.every(p => p.peerId !== id)), 'not drawn in any topology')
  await gone.stop()
})

test('a peer that only lost its bootstrap link is dropped by the bootstrap and comes back', async () => {
  const p = peers[0]
  const id = p.peerId.toString()
  let dropped = false
  const onView = (): void => { if (!boot.members().includes(id)) dropped = true }
  boot.addEventListener('view', onView)
  try {
    await p.libp2p.hangUp(boot.peerId)
    await waitFor(() => dropped, { timeout: 10_000, message: 'the bootstrap to drop the peer' })
    const alive = [boot, ...peers.slice(0, N - 1)]
    await waitFor(() => alive.every(n => n === p || n.members().includes(id)), { timeout: 20_000, message: 'the peer back in every view' })
    await waitFor(() => p.libp2p.getConnections(boot.peerId).length > 0, { timeout: 20_000, message: 'the bootstrap link re-dialled' })
  } finally {
    boot.removeEventListener('view', onView)
  }
})
