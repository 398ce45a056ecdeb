/**
 * An in-process mesh for tests: a bootstrap (WebSockets, the circuit relay) and peers that each aim
 * at `maxPeers` direct WebRTC links, with fast intervals. Pairs without a direct link reach each
 * other only through the relay.
 */
import { createMeshNode, isDirectWebRTC, type MeshNode, type MeshNodeInit } from '../../core/net/index.ts'
import { releaseWebRTC } from '../../node-runtime/mesh/webrtc-release.ts'

export const FAST_MESH: MeshNodeInit = { discoveryIntervalMs: 1000, topologyIntervalMs: 1000, peerTtlMs: 6000, dialTimeoutMs: 5000, pingIntervalMs: 2000 }

export interface RelayMesh {
  boot: MeshNode
  peers: MeshNode[]
  /** Stops every node and lets go of the WebRTC native handles. */
  stop: () => Promise<void>
}

/** Starts the bootstrap, then `count` peers one after another, each with `maxPeers`. */
export async function startRelayMesh (count: number, maxPeers: number): Promise<RelayMesh> {
  const boot = await createMeshNode({ ...FAST_MESH, role: 'bootstrap', listen: ['/ip4/127.0.0.1/tcp/0/ws'] })
  const nodes: MeshNode[] = [boot]
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map(async n => { await n.stop() }))
    releaseWebRTC()
  }
  try {
    await boot.start()
    for (let i = 0; i < count; i++) {
      const n = await createMeshNode({ ...FAST_MESH, maxPeers, bootstrap: [boot.getMultiaddrs()[0]] })
      nodes.push(n)
      await n.start()
    }
  } catch (err) {
    await stop()
    throw err
  }
  return { boot, peers: nodes.slice(1), stop }
}

/** The peers `n` has an open direct WebRTC link to. */
export function directPeers (n: MeshNode): Set<string> {
  return new Set(n.libp2p.getConnections().filter(c => c.status === 'open' && isDirectWebRTC(c)).map(c => c.remotePeer.toString()))
}
