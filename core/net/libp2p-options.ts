/**
 * Builds the `createLibp2p` options for a mesh node from its validated config.
 *
 * Every peer (Node or browser tab) runs the same stack: WebSockets (to reach the bootstrap),
 * circuit relay v2 (a reservation on the bootstrap, used only to signal WebRTC), WebRTC (the direct
 * peer-to-peer links), noise + yamux on the non-WebRTC links, identify, ping, gossipsub and
 * pubsub peer discovery. The bootstrap additionally runs the relay server.
 *
 * Limits raised on purpose: every peer on one host shares the address 127.0.0.1, so libp2p's
 * per-host inbound rate limit (5/s), pending-upgrade limit (10) and the relay's reservation limit
 * (15) would refuse a mesh of 20 local peers.
 */
import { circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { gossipsub } from '@libp2p/gossipsub'
import { createTopicScoreParams } from '@libp2p/gossipsub/score'
import { HUB_GOSSIP } from './hub-gossip.ts'
import { LEAN_GOSSIP } from './lean-gossip.ts'
import { identify } from '@libp2p/identify'
import { noise } from '@libp2p/noise'
import { ping } from '@libp2p/ping'
import { pubsubPeerDiscovery, type PubSubPeerDiscovery } from '@libp2p/pubsub-peer-discovery'
import { webRTC } from '@libp2p/webrtc'
import { webSockets } from '@libp2p/websockets'
import { yamux } from '@libp2p/yamux'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { fastMsgId } from './fast-msg-id.ts'
import type { DuplicateLinkGuard } from './duplicate-links.ts'
import type { WebRTCDialAborts } from './webrtc-dial-aborts.ts'
import { agentString, type VersionGate } from './wire-version.ts'
import { BROADCAST_TOPIC, DISCOVERY_TOPIC, TOPOLOGY_TOPIC } from './topics.ts'
import type { MeshConfig } from './config.ts'
import type { ConnectionGater, Transport } from '@libp2p/interface'
import type { Libp2pOptions } from 'libp2p'

export { DISCOVERY_TOPIC }

/**
 * Score parameters of the mesh's own topics: only invalid deliveries count (P4, a validator's
 * Reject: squared count × -10, decaying by 10 % a second), so three rejected messages put a peer
 * below gossipsub's graylist threshold (-80) and its gossip is ignored until the count decays.
 * The delivery-rate terms (P1–P3b) stay off: these topics are quiet by design, and a quiet honest
 * peer must not look like a lazy one. A topic subscribed with a budget or a check (MeshNode.subscribe)
 * gets the same parameters when it is subscribed.
 */
export function guardedTopicScore (): ReturnType<typeof createTopicScoreParams> {
  return createTopicScoreParams({
    topicWeight: 1,
    timeInMeshWeight: 0,
    firstMessageDeliveriesWeight: 0,
    meshMessageDeliveriesWeight: 0,
    meshFailurePenaltyWeight: 0,
    invalidMessageDeliveriesWeight: -10,
    invalidMessageDeliveriesDecay: 0.9
  })
}

function topicScores (): Record<string, ReturnType<typeof createTopicScoreParams>> {
  return Object.fromEntries([TOPOLOGY_TOPIC, BROADCAST_TOPIC, DISCOVERY_TOPIC].map(t => [t, guardedTopicScore()]))
}

/**
 * Allows every dial except insecure WebSockets to hosts that are not one of our bootstraps. The
 * browser default gater refuses `ws://` and private addresses outright, which would cut a tab off
 * from a mesh served from 127.0.0.1. With a `guard`, a second direct WebRTC link to a peer is
 * refused while it is upgraded, before it becomes a connection (see duplicate-links.ts). With
 * `versions`, a peer refused for its wire version is neither dialled nor let in during its
 * back-off (see wire-version.ts).
 */
export function meshConnectionGater (bootstrap: readonly string[], guard?: DuplicateLinkGuard, versions?: VersionGate): ConnectionGater {
  const hosts = new Set(bootstrap.map(a => hostOf(multiaddr(a))).filter((h): h is string => h != null))
  return {
    ...(guard != null ? guard.gaterMethods() : {}),
    ...(versions != null ? versions.gaterMethods() : {}),
    denyDialMultiaddr: (ma: Multiaddr) => {
      const names = ma.getComponents().map(c => c.name)
      if (names.includes('p2p-circuit') || names.includes('webrtc')) return false
      if (names.includes('ws')) {
        const host = hostOf(ma)
        return host == null || !hosts.has(host)
      }
      return false
    }
  }
}

function wrapWebRTC<C> (factory: (components: C) => Transport, aborts?: WebRTCDialAborts): (components: C) => Transport {
  return aborts == null ? factory : aborts.wrap(factory)
}

function hostOf (ma: Multiaddr): string | undefined {
  const c = ma.getComponents().find(c => c.name === 'ip4' || c.name === 'ip6' || c.name === 'dns' || c.name === 'dns4' || c.name === 'dns6')
  const port = ma.getComponents().find(c => c.name === 'tcp')
  return c?.value == null ? undefined : `${c.value}:${port?.value ?? ''}`
}

/** Hooks into the libp2p node being built (the mesh node reaches its discovery instance through them). */
export interface Libp2pHooks {
  /** Receives the pubsub peer discovery instance once libp2p creates it. */
  onDiscovery?: (discovery: PubSubPeerDiscovery) => void
  /** Refuses duplicate direct links in the connection gater; the node binds it once it exists. */
  linkGuard?: DuplicateLinkGuard
  /** Keeps peers of another wire version out while their back-off runs (wire-version.ts). */
  versionGate?: VersionGate
  /** Lets the mesh dialer end a WebRTC dial for every caller joined to it (webrtc-dial-aborts.ts). */
  dialAborts?: WebRTCDialAborts
}

export function libp2pOptions (config: MeshConfig, hooks: Libp2pHooks = {}): Libp2pOptions<Record<string, unknown>> {
  const discovery = pubsubPeerDiscovery({ interval: config.discoveryIntervalMs, topics: [DISCOVERY_TOPIC] })
  const services: Record<string, (components: any) => unknown> = {
    identify: identify({ timeout: config.identifyTimeoutMs }),
    ping: ping(),
    pubsub: gossipsub({
      allowPublishToZeroTopicPeers: true,
      emitSelf: false,
      // duplicates are dropped before their signature is checked (see fast-msg-id.ts)
      fastMsgIdFn: fastMsgId,
      // messages are small (addresses, neighbour lists, broadcast text); keep bursts bounded
      maxInboundDataLength: config.maxFrameSize,
      // gossipsub penalises more than 10 peers on one IP (P6, IP colocation: -5 per surplus peer,
      // squared). Every peer of a local mesh is 127.0.0.1, tabs behind one NAT share an address,
      // and relayed links all carry the relay's IP: with 20 local peers the bootstrap scored every
      // peer at -500, below the graylist threshold, ignored their subscriptions and emptied its
      // mesh, so late joiners never heard any gossip (full membership was never reached)
      scoreParams: { IPColocationFactorWeight: 0, topics: topicScores() },
      ...(config.hubGossip ? HUB_GOSSIP : config.leanGossip ? LEAN_GOSSIP : {})
    })
  }
  if (config.relayServer) {
    services.relay = circuitRelayServer({
      reservations: { maxReservations: config.maxReservations, applyDefaultLimit: true },
      maxInboundHopStreams: 4 * config.maxReservations,
      maxOutboundHopStreams: 4 * config.maxReservations,
      maxOutboundStopStreams: 4 * config.maxReservations
    })
  }
  return {
    start: false,
    ...(config.privateKey != null ? { privateKey: config.privateKey } : {}),
    addresses: { listen: [...config.listen] },
    transports: [
      webSockets(),
      wrapWebRTC(webRTC({
        rtcConfiguration: { iceServers: config.iceServers.length > 0 ? [{ urls: [...config.iceServers] }] : [] },
        dataChannel: { openTimeout: config.dialTimeoutMs }
      }), hooks.dialAborts),
      circuitRelayTransport({ reservationCompletionTimeout: 10_000 })
    ],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: meshConnectionGater(config.bootstrap, hooks.linkGuard, hooks.versionGate),
    // the version handshake (wire-version.ts): identify carries it to every peer
    nodeInfo: { userAgent: agentString(config.build, config.role === 'browser' ? 'browser' : 'node') },
    connectionManager: {
      // the bootstrap holds one connection per peer; a peer its direct links, the bootstrap, dials in
      // flight and the relayed signalling links its dials leave behind (they close with the relay's
      // limits): with a small maxPeers, 4 × maxPeers + 8 made the pruner close links of a late joiner
      maxConnections: config.relayServer ? 4 * config.maxReservations : 4 * config.maxPeers + 32,
      inboundConnectionThreshold: 10_000,
      maxIncomingPendingConnections: config.relayServer ? 1024 : 64,
      maxParallelDials: 32,
      // the mesh dialer bounds each WebRTC dial itself (growing per peer on failure, up to 4×)
      dialTimeout: 4 * config.dialTimeoutMs,
      addressDialTimeout: 4 * config.dialTimeoutMs,
      inboundUpgradeTimeout: Math.max(10_000, 4 * config.dialTimeoutMs)
    },
    // off: it opens a stream per ping, and on WebRTC every stream is a data channel that
    // node-datachannel keeps until the connection closes (issue 21); the mesh node pings over one
    // long-lived stream per connection instead (keepalive.ts)
    connectionMonitor: { enabled: false },
    // the instance is kept so the mesh node can announce at once when it matters (our relay
    // address appeared, a newcomer showed up) instead of waiting up to a whole interval
    peerDiscovery: [(components: Parameters<typeof discovery>[0]) => {
      const d = discovery(components)
      hooks.onDiscovery?.(d as PubSubPeerDiscovery)
      return d
    }],
    services
  } as Libp2pOptions<Record<string, unknown>>
}
