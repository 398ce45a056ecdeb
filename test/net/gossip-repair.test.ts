/**
 * Gossip keeps flowing to a peer when the link that carried gossipsub's stream closes while another
 * link to it stays open (core/net/gossip-repair.ts). Live: a peer with two WebSocket links to its
 * bootstrap loses the first (where gossipsub opened its stream); its messages must still reach the
 * bootstrap. Then the component's rules with stand-ins.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import type { Connection } from '@libp2p/interface'
import { createMeshNode, type MeshNode } from '../../core/net/index.ts'
import { GossipRepair } from '../../core/net/gossip-repair.ts'
import { releaseWebRTC } from '../../node-runtime/mesh/webrtc-release.ts'
import { waitFor } from '../_support/wait.ts'

const TOPIC = 'novacron/test/gossip-repair'
let boot: MeshNode
let peer: MeshNode

before(async () => {
  boot = await createMeshNode({ role: 'bootstrap', listen: ['/ip4/127.0.0.1/tcp/0/ws'] })
  await boot.start()
  peer = await createMeshNode({ bootstrap: [boot.getMultiaddrs()[0]], maxPeers: 1 })
  await peer.start()
})

after(async () => {
  await peer?.stop()
  await boot?.stop()
  releaseWebRTC()
})

/** Publishes fresh messages from the peer until the bootstrap delivers one of them. */
async function reachesBoot (received: string[], what: string): Promise<void> {
  const sent: string[] = []
  await waitFor(async () => {
    const m = `${what} ${sent.length}`
    sent.push(m)
    await peer.publish(TOPIC, new TextEncoder().encode(m)).catch(() => {})
    return received.some(r => sent.includes(r))
  }, { timeout: 20_000, interval: 250, message: () => `${what}: the bootstrap to receive the peer's gossip (links ${peer.links().map(l => l.transport).join(',')}, repaired ${peer.stats.gossipStreamsRepaired})` })
}

test('a peer whose gossip link closes while another link stays keeps gossiping over the other', async () => {
  const received: string[] = []
  boot.subscribe(TOPIC, m => { received.push(new TextDecoder().decode(m.data)) })
  peer.subscribe(TOPIC, () => {})
  const bootId = boot.peerId.toString()
  await waitFor(() => peer.libp2p.services.pubsub.getSubscribers(TOPIC).some(p => p.toString() === bootId), { timeout: 30_000, message: 'the peer to know the bootstrap subscribed' })
  await reachesBoot(received, 'before')
  // a second link to the same peer (libp2p would reuse the first without `force`), identified: a
  // link still being identified when the first closes would give gossipsub its stream by itself
  const identified = new Set<string>()
  const onIdentify = (e: CustomEvent<{ connection: Connection }>): void => { identified.add(e.detail.connection.id) }
  peer.libp2p.addEventListener('peer:identify', onIdentify)
  const second = await peer.libp2p.dial(multiaddr(boot.getMultiaddrs()[0]), { force: true })
  await waitFor(() => identified.has(second.id), { timeout: 10_000, message: 'the second link identified' })
  peer.libp2p.removeEventListener('peer:identify', onIdentify)
  const open = (): Connection[] => peer.libp2p.getConnections(boot.peerId).filter(c => c.status === 'open')
  assert.equal(open().length, 2)
  // the link carrying gossipsub's outbound stream closes; the other stays
  const carries = (c: Connection): boolean => c.streams.some(s => s.direction === 'outbound' && s.protocol?.startsWith('/meshsub/') === true)
  const carrier = open().find(carries)
  assert.ok(carrier != null, 'one link carries the gossip stream')
  const other = open().find(c => c !== carrier) as Connection
  const repairedBefore = peer.stats.gossipStreamsRepaired
  await carrier.close()
  await reachesBoot(received, 'after')
  assert.equal(peer.stats.gossipStreamsRepaired, repairedBefore + 1, 'the remaining link was identified again once')
  assert.ok(other.status === 'open' && carries(other), 'the gossip stream now runs on the remaining link')
})

interface Stand { calls: Connection[], repaired: string[], repair: GossipRepair }

function stand (over: { outbound?: boolean, gossipPeer?: boolean, link?: boolean, fail?: boolean } = {}): Stand {
  const calls: Connection[] = []
  const repaired: string[] = []
  const link = { id: 'link-2' } as unknown as Connection
  const repair = new GossipRepair({
    usableLink: () => over.link === false ? undefined : link,
    isGossipPeer: () => over.gossipPeer ?? true,
    hasOutbound: () => over.outbound ?? false,
    identify: async conn => { calls.push(conn); if (over.fail === true) throw new Error('stream reset') },
    log: () => {},
    onRepair: id => { repaired.push(id) }
  }, 10)
  return { calls, repaired, repair }
}

test('the remaining link is identified again only when gossipsub lost its stream to a peer it knows', async () => {
  const lost = stand()
  assert.equal(await lost.repair.check('p'), true)
  assert.deepEqual(lost.repaired, ['p'])
  assert.equal(lost.calls.length, 1)
  for (const over of [{ outbound: true }, { gossipPeer: false }, { link: false }]) {
    const s = stand(over)
    assert.equal(await s.repair.check('p'), false, JSON.stringify(over))
    assert.equal(s.calls.length, 0, JSON.stringify(over))
  }
  const failing = stand({ fail: true })
  assert.equal(await failing.repair.check('p'), false)
  assert.deepEqual(failing.repaired, [])
})

test('several links of one peer closing at once cost one check; stop() cancels it', async () => {
  const s = stand()
  for (let i = 0; i < 5; i++) s.repair.linkClosed('p')
  s.repair.linkClosed('q')
  await waitFor(() => s.repaired.length === 2, { timeout: 5000, message: 'both peers checked' })
  assert.deepEqual(s.repaired.sort(), ['p', 'q'])
  assert.equal(s.calls.length, 2)
  const stopped = stand()
  stopped.repair.linkClosed('p')
  assert.equal(stopped.repair.pendingChecks, 1)
  stopped.repair.stop()
  assert.equal(stopped.repair.pendingChecks, 0)
})
