/**
 * Classifies a libp2p connection by how its bytes travel.
 *
 * A direct WebRTC connection that was signalled through a relay still carries
 * `/p2p-circuit/webrtc` in its `remoteAddr`, so the address alone cannot tell a direct connection
 * from a relayed one. What does: a relayed connection has `limits` (set by the relay's
 * reservation), a direct one has none. WebRTC connections also use WebRTC's own data-channel
 * multiplexer rather than yamux (`isDirectWebRTC` checks both).
 */
import type { Connection } from '@libp2p/interface'

export type ConnectionTransport = 'webrtc' | 'relayed' | 'websocket'

/** The subset of a libp2p `Connection` the classifier reads (so tests and views can pass plain objects). */
export type ConnectionLike = Pick<Connection, 'remoteAddr' | 'limits'> & Partial<Pick<Connection, 'multiplexer'>>

export function connectionTransport (conn: ConnectionLike): ConnectionTransport {
  const names = conn.remoteAddr.getComponents().map(c => c.name)
  if (conn.limits != null) return 'relayed'
  if (names.includes('webrtc') || names.includes('webrtc-direct')) return 'webrtc'
  if (names.includes('p2p-circuit')) return 'relayed'
  return 'websocket'
}

/** True for a direct (unlimited) WebRTC connection that uses WebRTC's own stream multiplexer. */
export function isDirectWebRTC (conn: ConnectionLike): boolean {
  return connectionTransport(conn) === 'webrtc' && (conn.multiplexer == null || !conn.multiplexer.includes('yamux'))
}
