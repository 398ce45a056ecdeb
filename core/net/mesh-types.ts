/**
 * What a mesh node shows the outside: its status, its links as the page and tests see them, its
 * events and counters, and the pure functions that turn libp2p connections into those views.
 */
import type { RefusedPeer, VersionGate } from './wire-version.ts'
import type { DuplicateLinkGuard } from './duplicate-links.ts'
import type { WebRTCDialAborts } from './webrtc-dial-aborts.ts'
import type { MetricsRegistry } from '../metrics/index.ts'
import type { PubSubPeerDiscovery } from '@libp2p/pubsub-peer-discovery'
import { connectionTransport, type ConnectionTransport } from './transport.ts'
import type { Neighbour } from './mesh-codec.ts'
import type { ViewSnapshot } from './topology.ts'
import type { Connection } from '@libp2p/interface'

export type MeshStatus = 'stopped' | 'starting' | 'started' | 'stopping'

/** One live connection as the page and tests see it. */
export interface PeerLink {
  peerId: string
  transport: ConnectionTransport
  /** Remote multiaddr (a direct WebRTC link still reads `/p2p-circuit/webrtc`). */
  remoteAddr: string
  /** True when the relay imposes limits (a relayed, signalling-only connection). */
  limited: boolean
  multiplexer?: string
  direction: 'inbound' | 'outbound'
  /** Last keep-alive ping round trip (keepalive.ts), ms. */
  rttMs?: number
}

export interface PubsubMessage { from: string, topic: string, data: Uint8Array }

export interface MeshNodeEvents {
  'peer:connect': CustomEvent<{ peerId: string, transport: ConnectionTransport }>
  /** A peer announced another wire version: its links were closed and it is kept out for a back-off (wire-version.ts). */
  'peer:refused': CustomEvent<RefusedPeer>
  'peer:disconnect': CustomEvent<{ peerId: string }>
  /** A peer told us it subscribed to `topic` (gossip we published before this did not reach it). */
  'topic:subscribe': CustomEvent<{ peerId: string, topic: string }>
  broadcast: CustomEvent<{ from: string, text: string }>
  /** The topology view changed (a peer joined, left, or changed neighbours). */
  view: CustomEvent<ViewSnapshot>
  status: CustomEvent<MeshStatus>
}

/** Counters of things that went wrong, per kind (bad peer messages are counted, never thrown). */
export interface MeshStats {
  badMessages: number
  rpcErrors: number
  dialFailures: number
  dialSuccesses: number
  /** Direct links closed because no data ever crossed them (see link-health.ts). */
  deadLinks: number
  /** Direct links closed as they opened: their peer connection had already closed (a failed DTLS handshake, mesh-dialer.ts). */
  stillbornLinks: number
  /** Second direct links to a peer refused while being upgraded (see duplicate-links.ts). */
  duplicateLinksRefused: number
  /** Unproven direct links closed because another link to the same peer is proven (see link-health.ts). */
  duplicateLinksClosed: number
  /** Inbound direct links closed at once because they took us over the hard cap (mesh-dialer.ts). */
  overCapClosed: number
  /** Our dials cancelled because the peer's own dial opened the link first and the smaller id's wins (mesh-dialer.ts). */
  lostDialsCancelled: number
  /** Direct links closed because they held `maxHeldChannels` closed data channels (datachannel-tracker.ts). */
  recycledLinks: number
  /** Keep-alive round trips completed (keepalive.ts). */
  pings: number
  /** Keep-alive pings that failed (no echo in time, stream closed): the next ping opens a fresh stream. */
  pingFailures: number
  /** Proven direct links closed because their far end stopped answering pings (silent-links.ts). */
  silentLinksClosed: number
  /** Links identified again because gossipsub lost its stream to the peer with another link (gossip-repair.ts). */
  gossipStreamsRepaired: number
  /** Identify tries on links where libp2p's own one failed, and those that succeeded (identify-retry.ts). */
  identifyRetries: number
  identifyRecovered: number
  /** Links closed because the peer announced another wire version (wire-version.ts). */
  versionRefused: number
}

/** Open connections as `PeerLink`s, one per connection. */
export function linksOf (conns: readonly Connection[]): PeerLink[] {
  return conns.filter(c => c.status === 'open').map(c => ({
    peerId: c.remotePeer.toString(),
    transport: connectionTransport(c),
    remoteAddr: c.remoteAddr.toString(),
    limited: c.limits != null,
    ...(c.multiplexer != null ? { multiplexer: c.multiplexer } : {}),
    direction: c.direction,
    ...(c.rtt != null ? { rttMs: c.rtt } : {})
  }))
}

/** One neighbour per peer, with the best transport among its links: webrtc, then websocket, then relayed. */
export function bestPerPeer (links: readonly PeerLink[]): Neighbour[] {
  const order: ConnectionTransport[] = ['webrtc', 'websocket', 'relayed']
  const best = new Map<string, Neighbour>()
  for (const l of links) {
    const old = best.get(l.peerId)
    if (old == null || order.indexOf(l.transport) < order.indexOf(old.transport)) best.set(l.peerId, { peerId: l.peerId, transport: l.transport, ...(l.rttMs != null ? { rttMs: l.rttMs } : {}) })
  }
  return [...best.values()]
}

/** The parts `createMeshNode` builds beside libp2p and hands to the node. */
export interface MeshNodeParts {
  discovery?: PubSubPeerDiscovery
  /** Refuses duplicate direct links in the connection gater (duplicate-links.ts). */
  linkGuard?: DuplicateLinkGuard
  /** The version handshake, also in the connection gater (wire-version.ts). */
  versionGate?: VersionGate
  /** Ends a WebRTC dial the dialer gave up on for every caller joined to it (webrtc-dial-aborts.ts). */
  dialAborts?: WebRTCDialAborts
  metrics?: MetricsRegistry
}
