/**
 * The tab's mesh peer and its link to the view: creates core/net's `MeshNode` with the browser
 * role, the stored identity and the bootstrap from `/bootstrap.json`, and feeds the view model
 * from it. Connections are re-read as a whole snapshot on every connect/disconnect/close event
 * and once a second (which also refreshes ping round trips from the mesh node's keep-alive).
 */
import { createMeshNode, type MeshNode, type MeshRole, type RefusedPeer, type ViewSnapshot } from '../core/net/index.ts'
import type { BootstrapInfo } from './bootstrap.ts'
import type { MeshViewEvent, PeerRole, TopologyEntry } from './mesh-state.ts'
import type { PrivateKey } from '@libp2p/interface'

export interface BrowserPeerInit {
  bootstrap: BootstrapInfo
  privateKey: PrivateKey
  /** How often connections and ping times are re-read. @default 1000 */
  refreshMs?: number
}

const ROLE: Record<MeshRole, PeerRole> = { bootstrap: 'bootstrap', peer: 'node', browser: 'browser' }

/** Set by the app build (vite.config.ts) to the package version; absent when run from sources. */
declare const __NOVACRON_BUILD__: string | undefined

/** Creates (but does not start) the tab's mesh node. */
export async function createBrowserPeer (init: BrowserPeerInit): Promise<MeshNode> {
  return await createMeshNode({
    role: 'browser',
    build: typeof __NOVACRON_BUILD__ === 'string' ? __NOVACRON_BUILD__ : 'dev',
    privateKey: init.privateKey,
    bootstrap: init.bootstrap.multiaddrs.map(String),
    listen: ['/p2p-circuit', '/webrtc'],
    // a tab is judged by how fast it joins: re-announce itself and look for peers to dial more
    // often than a long-lived Node peer needs to (its first announcement goes out the moment its
    // relay reservation is made either way; each re-announcement costs every peer a signature check)
    discoveryIntervalMs: 2000,
    maintainIntervalMs: 250
  })
}

export function topologyEntries (snap: ViewSnapshot): Map<string, TopologyEntry> {
  return new Map(snap.peers.map(p => [p.peerId, { role: ROLE[p.role], neighbours: p.neighbours.map(n => ({ peerId: n.peerId, transport: n.transport })) }]))
}

/**
 * Connects the node's events to `emit` (the view's update). Returns a function that detaches
 * every listener and timer.
 */
export function bindPeerToView (node: MeshNode, emit: (event: MeshViewEvent) => void, refreshMs = 1000): () => void {
  const self = node.peerId.toString()
  const snapshot = (): void => {
    const links = node.links()
    emit({ type: 'connections', at: Date.now(), connections: links.map(l => ({ peerId: l.peerId, transport: l.transport })) })
    const rtts = new Map<string, number>()
    for (const l of links) {
      if (l.rttMs != null && (l.transport === 'webrtc' || !rtts.has(l.peerId))) rtts.set(l.peerId, l.rttMs)
    }
    for (const [peerId, rttMs] of rtts) emit({ type: 'rtt', peerId, rttMs })
  }
  const onView = (e: CustomEvent<ViewSnapshot>): void => { emit({ type: 'topology', entries: topologyEntries(e.detail) }) }
  const onBroadcast = (e: CustomEvent<{ from: string, text: string }>): void => {
    emit({ type: 'broadcast', entry: { from: e.detail.from, text: e.detail.text, at: Date.now(), own: e.detail.from === self } })
  }
  const onRefused = (e: CustomEvent<RefusedPeer>): void => { emit({ type: 'refused', note: { peerId: e.detail.peerId, message: e.detail.message } }) }
  node.addEventListener('peer:connect', snapshot)
  node.addEventListener('peer:refused', onRefused)
  node.addEventListener('peer:disconnect', snapshot)
  node.libp2p.addEventListener('connection:close', snapshot)
  node.addEventListener('view', onView)
  node.addEventListener('broadcast', onBroadcast)
  const timer = setInterval(snapshot, refreshMs)
  snapshot()
  emit({ type: 'topology', entries: topologyEntries(node.topology()) })
  return () => {
    clearInterval(timer)
    node.removeEventListener('peer:connect', snapshot)
    node.removeEventListener('peer:refused', onRefused)
    node.removeEventListener('peer:disconnect', snapshot)
    node.libp2p.removeEventListener('connection:close', snapshot)
    node.removeEventListener('view', onView)
    node.removeEventListener('broadcast', onBroadcast)
  }
}
