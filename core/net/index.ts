/**
 * core/net: the NovaCron mesh — one isomorphic peer (`createMeshNode`) for browser tabs and Node,
 * request/response over libp2p streams, gossipsub publish/subscribe, a broadcast topic, topology
 * gossip and connection classification. Public names are re-exported here by name.
 */
export { createMeshNode, MeshNode, TOPOLOGY_TOPIC, BROADCAST_TOPIC } from './mesh-node.ts'
export type { MeshNodeEvents, MeshStatus, MeshStats, PeerLink, PubsubMessage } from './mesh-node.ts'
export { WIRE_VERSION, agentString, readPeerVersion, VersionGate } from './wire-version.ts'
export type { PeerVersion, RefusedPeer } from './wire-version.ts'
export { isPeerHint, MAX_HINT_ADDRS } from './peer-hints.ts'
export type { PeerHint } from './peer-hints.ts'
export { MIN_FRAME_SIZE, validateConfig } from './config.ts'
export type { MeshConfig, MeshNodeInit, MeshRole } from './config.ts'
export { connectionTransport, isDirectWebRTC } from './transport.ts'
export { formatDiagnostics } from './mesh-diagnostics.ts'
export type { MeshDiagnostics, LinkDiagnostic } from './mesh-diagnostics.ts'
export type { ConnectionTransport, ConnectionLike } from './transport.ts'
export { streamStats } from './stream-stats.ts'
export type { StreamStats, WebRTCLinkStats } from './stream-stats.ts'
export { setChannelReleaser } from './datachannel-tracker.ts'
export type { InboundChannels, ChannelReleaser } from './datachannel-tracker.ts'
export { encodeFrame, decodeFrames, FrameDecoder } from './frame-codec.ts'
export type { RequestHandler, RequestContext, RequestOptions } from './rpc.ts'
export type { ViewPeer, ViewSnapshot } from './topology.ts'
export type { Neighbour } from './mesh-codec.ts'
export { DISCOVERY_TOPIC } from './topics.ts'
export { MAX_INBOUND_STREAMS } from './mesh-node.ts'
export { PeerGuard } from './peer-guard.ts'
export type { Budget, PeerGuardInit } from './peer-guard.ts'
export { readPeerAnnouncement } from './discovery-codec.ts'
export type { PeerAnnouncement } from './discovery-codec.ts'
export type { RejectReason, MeshMetrics } from './mesh-metrics.ts'
export type { GossipCheck, GossipVerdict } from './mesh-guard.ts'
export {
  MeshError, ConfigError, FrameTooLargeError, TruncatedFrameError, MalformedMessageError,
  RequestTimeoutError, RemoteError, NotStartedError, DialStalledError, NoUsableLinkError, PingTimeoutError, SilentLinkError
} from './errors.ts'
export type { ConfigIssue } from './errors.ts'
