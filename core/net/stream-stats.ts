/**
 * Counts of what a node holds open: connections per transport, streams per protocol, and per
 * direct WebRTC connection its libp2p streams beside the data channels its RTCPeerConnection keeps.
 *
 * The counters issue 21 (a Node peer's memory growing ~0.6 MB/min) needed and did not have: a
 * leak of streams or data channels shows here as a number that only grows. Pure functions over
 * libp2p `Connection`s (tests pass plain objects); the metrics registry exports them as
 * `novacron_streams_open{protocol}` and `novacron_connections{transport}`.
 */
import { connectionTransport, type ConnectionLike, type ConnectionTransport } from './transport.ts'
import type { InboundChannels } from './datachannel-tracker.ts'
import type { Connection } from '@libp2p/interface'

/** One direct WebRTC connection: libp2p's streams on it against the data channels under them. */
export interface WebRTCLinkStats {
  peerId: string
  /** Open libp2p streams on the connection (each is one data channel). */
  streams: number
  /**
   * Data channels the remote opened on it: still open, and closed over the connection's life
   * (node-datachannel holds each closed one until the connection closes: datachannel-tracker.ts).
   * Undefined where the peer connection cannot be reached.
   */
  inboundChannels?: InboundChannels
}

export interface StreamStats {
  /** Open connections per transport. */
  connections: Record<ConnectionTransport, number>
  /** Open streams per protocol over every connection; `(negotiating)` for a stream with no protocol yet. */
  streams: Record<string, number>
  /** One entry per open direct WebRTC connection. */
  webrtc: WebRTCLinkStats[]
}

/** The subset of a libp2p `Connection` read here. */
export type StatsConnection = ConnectionLike & Pick<Connection, 'status' | 'remotePeer'> & { streams: ReadonlyArray<{ protocol?: string, status?: string }> }

export const NEGOTIATING = '(negotiating)'

/** Counts over `conns`; `inbound(conn)` gives a WebRTC connection's inbound data channels (undefined when unknown). */
export function streamStats (conns: readonly StatsConnection[], inbound: (conn: StatsConnection) => InboundChannels | undefined = () => undefined): StreamStats {
  const connections: Record<ConnectionTransport, number> = { webrtc: 0, relayed: 0, websocket: 0 }
  const streams: Record<string, number> = {}
  const webrtc: WebRTCLinkStats[] = []
  for (const c of conns) {
    if (c.status !== 'open') continue
    const transport = connectionTransport(c)
    connections[transport]++
    let open = 0
    for (const s of c.streams) {
      if (s.status != null && s.status !== 'open') continue
      open++
      const p = s.protocol == null || s.protocol === '' ? NEGOTIATING : s.protocol
      streams[p] = (streams[p] ?? 0) + 1
    }
    if (transport === 'webrtc') {
      const channels = inbound(c)
      webrtc.push({ peerId: c.remotePeer.toString(), streams: open, ...(channels != null ? { inboundChannels: channels } : {}) })
    }
  }
  return { connections, streams, webrtc }
}
