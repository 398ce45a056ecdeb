/**
 * The mesh's metrics (see docs/metrics.md): what a node counts about the peers it talks to, in a
 * `MetricsRegistry` the Node exporter serves as Prometheus text and the page's Health panel reads.
 *
 * Counters are bumped where the event happens (the gossip and request guards); gauges that mirror
 * libp2p's state (connections, streams, scores) are filled at read time from the live node, so
 * they cost nothing between scrapes and cannot drift.
 */
import type { Counter, MetricsRegistry } from '../metrics/index.ts'
import { connectionTransport } from './transport.ts'
import type { Libp2p } from '@libp2p/interface'
import type { GossipSub } from '@libp2p/gossipsub'

/** Why a message from a peer was dropped (`reason` label of `novacron_rejected_messages_total`). */
export type RejectReason = 'malformed' | 'unsigned' | 'forged' | 'rate' | 'oversize' | 'truncated' | 'timeout' | 'error'

export interface MeshMetrics {
  /** `novacron_rejected_messages_total{protocol, reason}` */
  rejected: Counter
  /** `novacron_peer_disconnects_total{reason}`: `closed` (any lost peer) or `misbehaving` (we closed it). */
  disconnects: Counter
  /** `novacron_requests_served_total{protocol}` */
  requests: Counter
}

export function registerMeshMetrics (registry: MetricsRegistry, libp2p: Libp2p<{ pubsub: GossipSub }>): MeshMetrics {
  const open = (): ReturnType<typeof libp2p.getConnections> => libp2p.getConnections().filter(c => c.status === 'open')
  registry.registerGauge({
    name: 'novacron_connections',
    help: 'Open connections by transport (webrtc: direct link, relayed: signalling via the relay, websocket: to or from a bootstrap)',
    labelNames: ['transport'],
    collect: g => {
      for (const t of ['webrtc', 'relayed', 'websocket']) g.set({ transport: t }, 0)
      for (const c of open()) g.inc({ transport: connectionTransport(c) })
    }
  })
  registry.registerGauge({
    name: 'novacron_streams_open',
    help: 'Open streams over all connections by protocol (on WebRTC links each stream is one data channel)',
    labelNames: ['protocol'],
    collect: g => {
      for (const c of open()) for (const s of c.streams) g.inc({ protocol: s.protocol ?? '(negotiating)' })
    }
  })
  registry.registerGauge({
    name: 'novacron_connection_streams_max',
    help: 'Most streams open on any one connection, by transport (on webrtc: data channels of one peer connection)',
    labelNames: ['transport'],
    collect: g => {
      for (const c of open()) {
        const t = { transport: connectionTransport(c) }
        if (c.streams.length > g.get(t)) g.set(t, c.streams.length)
      }
    }
  })
  registry.registerGauge({
    name: 'novacron_data_channels_open',
    help: 'Open WebRTC data channels (streams on direct WebRTC connections)',
    collect: g => {
      g.set({}, 0)
      for (const c of open()) if (connectionTransport(c) === 'webrtc') g.inc({}, c.streams.length)
    }
  })
  registry.registerGauge({
    name: 'novacron_peer_score',
    help: "Gossipsub's score of each peer it knows (below -80 its messages are ignored)",
    labelNames: ['peer'],
    maxSeries: 1024,
    collect: g => {
      const pubsub = libp2p.services.pubsub
      // the implementation has getScore; the GossipSub interface type does not declare it
      const score = (pubsub as unknown as { getScore?: (peer: string) => number }).getScore
      if (score == null) return
      for (const p of pubsub.getPeers()) g.set({ peer: p.toString() }, score.call(pubsub, p.toString()))
    }
  })
  return {
    rejected: registry.registerCounter({ name: 'novacron_rejected_messages_total', help: 'Messages from peers dropped, by protocol id or topic and reason', labelNames: ['protocol', 'reason'] }),
    disconnects: registry.registerCounter({ name: 'novacron_peer_disconnects_total', help: 'Peers lost, by reason: closed (any cause) or misbehaving (we closed them past the strike limit)', labelNames: ['reason'] }),
    requests: registry.registerCounter({ name: 'novacron_requests_served_total', help: 'Request/response calls served, by protocol id', labelNames: ['protocol'] })
  }
}
