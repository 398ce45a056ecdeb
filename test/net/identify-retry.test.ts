/**
 * A link whose first identify failed is identified again (core/net/identify-retry.ts).
 *
 * libp2p identifies a link once; gossipsub and the relay reservation hear of a peer only through
 * identify. At n = 20–32 under load a late peer's one identify of its bootstrap link timed out and
 * the peer stayed linked to the bootstrap alone, with no gossip and no reservation, for minutes.
 * Here a peer's identify timeout is 1 ms, so libp2p's own try on its bootstrap link always fails
 * (the answer needs a round trip): without the retry it never reserves a relay slot and never
 * hears of the other peer.
 */
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { createMeshNode, type MeshNode, type MeshNodeInit } from '../../core/net/index.ts'
import { releaseWebRTC } from '../../node-runtime/mesh/webrtc-release.ts'
import { waitFor } from '../_support/wait.ts'

const INIT: MeshNodeInit = { maxPeers: 2, discoveryIntervalMs: 1000, topologyIntervalMs: 1000, maintainIntervalMs: 200, dialTimeoutMs: 5000 }
const nodes: MeshNode[] = []

after(async () => {
  await Promise.all(nodes.map(async n => { await n.stop() }))
  releaseWebRTC()
})

test('a peer whose identify of its bootstrap link failed identifies it again: it reserves a relay slot and hears of other peers', async () => {
  const boot = await createMeshNode({ ...INIT, role: 'bootstrap', listen: ['/ip4/127.0.0.1/tcp/0/ws'] })
  nodes.push(boot)
  await boot.start()
  const bootstrap = [boot.getMultiaddrs()[0]]
  const other = await createMeshNode({ ...INIT, bootstrap })
  const late = await createMeshNode({ ...INIT, bootstrap, identifyTimeoutMs: 1 })
  nodes.push(other, late)
  await other.start()
  await late.start()
  const bootLink = (): string => late.libp2p.getConnections(boot.peerId).map(c => `${c.status}${c.limits != null ? ' limited' : ''}`).join(', ') || 'none'
  await waitFor(() => late.getMultiaddrs().some(a => a.includes('/p2p-circuit')) && late.members().includes(other.peerId.toString()), {
    timeout: 30_000,
    message: () => `the late peer to reserve a relay slot and hear of the other peer; addresses ${late.getMultiaddrs().join(' ')}, members ${late.members().length}, bootstrap link ${bootLink()}, identify retries ${late.stats.identifyRetries} (recovered ${late.stats.identifyRecovered})`
  })
  assert.ok(late.stats.identifyRetries >= 1, 'libp2p\'s own identify failed (1 ms) and was tried again')
  assert.ok(late.stats.identifyRecovered >= 1, 'a retry identified the link')
})
