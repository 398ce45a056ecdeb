/**
 * A bootstrap that answers slowly is still reached (the bootstrap keeper's dial, core/net/mesh-node.ts).
 *
 * At n = 20–32 under load the bootstrap took over 6 s to answer a WebSocket upgrade, and a peer
 * abandoned its bootstrap dial after `dialTimeoutMs` (6 s) without a progress event, which the
 * WebSocket opening never gives: late peers re-dialled for minutes without a link. Here a TCP proxy
 * in front of the bootstrap holds its first answer for twice the peer's `dialTimeoutMs`: the dial
 * must wait for it (as long as the bootstrap's inbound upgrade timeout, 4 × dialTimeoutMs).
 */
import assert from 'node:assert/strict'
import net from 'node:net'
import { after, test } from 'node:test'
import { createMeshNode, type MeshNode } from '../../core/net/index.ts'
import { releaseWebRTC } from '../../node-runtime/mesh/webrtc-release.ts'
import { waitFor } from '../_support/wait.ts'

const DIAL_TIMEOUT_MS = 300
const nodes: MeshNode[] = []
const sockets = new Set<net.Socket>()
let proxy: net.Server | undefined

after(async () => {
  await Promise.all(nodes.map(async n => { await n.stop() }))
  for (const s of sockets) s.destroy()
  proxy?.close()
  releaseWebRTC()
})

/** Forwards to `port`, holding the upstream's first bytes on each connection for `holdMs`. */
async function slowProxy (port: number, holdMs: number): Promise<number> {
  proxy = net.createServer(client => {
    const upstream = net.connect(port, '127.0.0.1')
    sockets.add(client); sockets.add(upstream)
    let first = true
    client.on('data', d => upstream.write(d))
    upstream.on('data', d => {
      if (!first) { client.write(d); return }
      first = false
      upstream.pause()
      setTimeout(() => { client.write(d); upstream.resume() }, holdMs)
    })
    for (const [a, b] of [[client, upstream], [upstream, client]]) {
      a.on('close', () => b.destroy())
      a.on('error', () => b.destroy())
    }
  })
  await new Promise<void>(resolve => proxy?.listen(0, '127.0.0.1', resolve))
  return (proxy.address() as net.AddressInfo).port
}

test('a peer reaches a bootstrap whose WebSocket upgrade answers after twice its dial timeout', async () => {
  const boot = await createMeshNode({ role: 'bootstrap', listen: ['/ip4/127.0.0.1/tcp/0/ws'] })
  nodes.push(boot)
  await boot.start()
  const port = Number(/\/tcp\/(\d+)\//.exec(boot.getMultiaddrs()[0])?.[1])
  const proxied = await slowProxy(port, 2 * DIAL_TIMEOUT_MS)
  const peer = await createMeshNode({ bootstrap: [`/ip4/127.0.0.1/tcp/${proxied}/ws/p2p/${boot.peerId.toString()}`], dialTimeoutMs: DIAL_TIMEOUT_MS })
  nodes.push(peer)
  await peer.start()
  await waitFor(() => peer.libp2p.getConnections(boot.peerId).some(c => c.status === 'open') && boot.libp2p.getConnections(peer.peerId).some(c => c.status === 'open'), {
    timeout: 15_000,
    message: () => `a link to the bootstrap through the slow proxy, seen from both ends (peer: ${peer.libp2p.getConnections(boot.peerId).length}, bootstrap: ${boot.libp2p.getConnections(peer.peerId).length})`
  })
  assert.equal(peer.libp2p.getConnections(boot.peerId).filter(c => c.status === 'open').length, 1, 'one link, not one per abandoned try')
})
