/**
 * What a mesh node does on each libp2p and gossipsub event: the event wiring `MeshNode.start()`
 * installs and `stop()` removes. Each handler only hands the event to the part that owns it
 * (the view, the dialer, the keep-alive, the announcer, …); the parts are `MeshNode`'s, passed in.
 */
import type { Connection, IdentifyResult, Libp2p, Libp2pEvents, Logger } from '@libp2p/interface'
import type { GossipSub, Message, SubscriptionChangeData } from '@libp2p/gossipsub'
import type { Counter } from '../metrics/index.ts'
import type { MeshConfig } from './config.ts'
import type { TopologyView } from './topology.ts'
import type { DataChannelTracker } from './datachannel-tracker.ts'
import type { MeshDialer } from './mesh-dialer.ts'
import type { KeepAlive } from './keepalive.ts'
import type { LinkSweeper } from './link-sweeper.ts'
import type { LinkHealth } from './link-health.ts'
import type { Announcer } from './announcer.ts'
import type { BootstrapKeeper } from './bootstrap-keeper.ts'
import type { LinkVouches } from './link-vouch.ts'
import type { GossipRepair } from './gossip-repair.ts'
import type { MeshNodeEvents } from './mesh-types.ts'
import { connectionTransport } from './transport.ts'
import { onMeshMessage, type MeshMessageParts } from './mesh-messages.ts'

/** The mesh node's parts the event handlers reach. */
export interface MeshEventParts {
  libp2p: Libp2p<{ pubsub: GossipSub }>
  config: () => MeshConfig
  view: TopologyView
  channels: DataChannelTracker
  dialer: MeshDialer
  keepAlive: KeepAlive
  sweeper: LinkSweeper
  health: LinkHealth
  announcer: Announcer
  keeper: BootstrapKeeper
  vouches: LinkVouches
  gossipRepair: GossipRepair
  /** `novacron_peer_disconnects_total` */
  disconnects: Counter
  /** what a gossip message on the mesh's topics does (mesh-messages.ts) */
  messages: MeshMessageParts
  /** refuses a peer of another wire version (wire-version.ts) */
  checkVersion: (id: IdentifyResult) => void
  /** runs the dial policy soon (coalesced) */
  scheduleDials: () => void
  /** dispatches one of the node's own events; a throwing listener is logged, not raised */
  dispatch: <K extends keyof MeshNodeEvents>(type: K, detail: MeshNodeEvents[K]['detail']) => void
  emitView: () => void
  log: Logger
}

/** Installs the handlers; returns what removes every one of them. */
export function wireMeshEvents (parts: MeshEventParts): () => void {
  const { libp2p, dialer, announcer } = parts
  const offs: Array<() => void> = []
  const on = <K extends keyof Libp2pEvents>(type: K, fn: (e: Libp2pEvents[K]) => void): void => {
    libp2p.addEventListener(type, fn)
    offs.push(() => { libp2p.removeEventListener(type, fn) })
  }
  on('connection:open', e => { linkOpened(parts, e.detail) })
  on('peer:identify', e => {
    parts.health.markIdentified(e.detail.connection)
    dialer.linkIdentified(e.detail.connection)
    parts.checkVersion(e.detail)
  })
  on('connection:close', e => { parts.gossipRepair.linkClosed(e.detail.remotePeer.toString()) })
  on('peer:disconnect', e => { peerGone(parts, e.detail.toString()) })
  on('peer:discovery', e => {
    if (!dialer.discovered(e.detail.id.toString(), e.detail.multiaddrs.map(String))) return
    // a newcomer: dial now rather than on the next maintenance tick, and tell it about us now
    // rather than on our next discovery interval (it knows nobody yet)
    parts.scheduleDials()
    announcer.discoverySoon()
  })
  // our relay reservation just gave us a WebRTC address: announce it at once (pubsub peer
  // discovery announces only at start, when we have no address yet, and then per interval).
  // 'transport:listening' fires the moment the reservation is made; 'self:peer:update' comes up
  // to 1 s later (libp2p debounces its peer-store update), which a joining tab waited for.
  on('transport:listening', () => { announcer.addressesChanged() })
  on('self:peer:update', () => { announcer.addressesChanged() })

  const onMessage = (e: CustomEvent<Message>): void => { onMeshMessage(parts.messages, e.detail) }
  const onSubscriptions = (e: CustomEvent<SubscriptionChangeData>): void => {
    announcer.subscribersChanged()
    const peerId = e.detail.peerId.toString()
    for (const s of e.detail.subscriptions) if (s.subscribe) parts.dispatch('topic:subscribe', { peerId, topic: s.topic })
  }
  const pubsub = libp2p.services.pubsub
  pubsub.addEventListener('message', onMessage)
  pubsub.addEventListener('subscription-change', onSubscriptions)
  offs.push(() => {
    pubsub.removeEventListener('message', onMessage)
    pubsub.removeEventListener('subscription-change', onSubscriptions)
  })
  return () => { for (const off of offs.splice(0)) off() }
}

function linkOpened (parts: MeshEventParts, conn: Connection): void {
  const peerId = conn.remotePeer.toString()
  const transport = connectionTransport(conn)
  parts.view.touch(peerId, Date.now())
  parts.channels.watch(conn)
  parts.dialer.connectionOpened(conn)
  // one ping at once (tried again if it fails), so the link is proven and shows a round trip
  // without waiting an interval
  if (conn.limits == null) {
    parts.keepAlive.first(conn).catch(err => { parts.log('first pings to %s failed: %s', peerId, err instanceof Error ? err.message : String(err)) })
      .finally(() => { if (transport === 'webrtc') parts.sweeper.closeRedundant(peerId) })
  }
  parts.dispatch('peer:connect', { peerId, transport })
  parts.announcer.topologySoon()
}

function peerGone (parts: MeshEventParts, peerId: string): void {
  parts.disconnects.inc({ reason: 'closed' })
  parts.keeper.peerDisconnected(peerId)
  parts.dispatch('peer:disconnect', { peerId })
  // every peer keeps a link to its bootstrap, so the bootstrap losing its last one means the peer is gone
  if (parts.config().role === 'bootstrap' && parts.view.leave(peerId, Date.now(), true)) parts.emitView()
  // back on a link's word only, and that link is gone while no bootstrap lists it
  if (parts.vouches.linkClosed(peerId, Date.now())) {
    parts.log('%s left: its bootstrap link had closed, and now its last link to us', peerId)
    parts.emitView()
  }
  parts.announcer.topologySoon()
}
