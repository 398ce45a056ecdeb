/**
 * Watches the data channels the remote side opens on each direct WebRTC connection: counts them,
 * and once one closes, lets go of everything our stack hung on it.
 *
 * Why (issue 21, docs/mesh.md "Long-lived peers"): node-datachannel's `RTCPeerConnection`
 * polyfill (0.33.x) adds every data channel the *remote* opens to a private set and never removes
 * it — only channels created locally are removed when they close — so the set lives as long as the
 * connection. Every libp2p stream on a WebRTC connection is one data channel, and streams are short
 * lived: libp2p's connection monitor opened one per ping (now off: keepalive.ts), the state
 * provider opens one per sync call. A
 * closed channel held in that set still reaches, through the `onmessage`/`onclose`/`onerror`
 * handlers @libp2p/webrtc set on it, the whole libp2p stream behind it: ~14 KB of heap per channel
 * measured, ~18 channels a minute on a peer with two links, and its memory grew without end. On
 * close the tracker clears those handlers, which leaves only the polyfill's own object (~2.6 KB),
 * and asks the platform's `ChannelReleaser` to drop even that (Node's reaches into the polyfill,
 * node-runtime/mesh/datachannel-release.ts); the keep-alive (keepalive.ts) stops opening a
 * channel per ping. Browsers do not keep closed channels; there the clearing is harmless.
 */

/** The part of an `RTCDataChannel` touched here. */
interface ChannelLike {
  readyState: string
  onmessage: unknown
  onclose: unknown
  onerror: unknown
  onopen: unknown
  onbufferedamountlow: unknown
  addEventListener: (type: 'close', fn: () => void, opts?: { once?: boolean }) => void
}

/** The part of an `RTCPeerConnection` touched here. */
interface PeerConnectionLike {
  addEventListener: (type: 'datachannel', fn: (e: { channel: ChannelLike }) => void) => void
  removeEventListener: (type: 'datachannel', fn: (e: { channel: ChannelLike }) => void) => void
}

/** Data channels the remote opened on one connection. */
export interface InboundChannels {
  /** Still open. */
  open: number
  /** Closed, over the connection's life. */
  closed: number
  /** Closed but still held by the WebRTC stack (node-datachannel's polyfill, unless released). */
  held: number
}

/**
 * Removes a closed channel from wherever the platform's WebRTC stack still holds it; true when it
 * did. Node registers one (node-runtime/mesh/datachannel-release.ts); browsers need none.
 */
export type ChannelReleaser = (peerConnection: object, channel: object) => boolean

let releaser: ChannelReleaser | undefined

/** Sets the platform's `ChannelReleaser` for every tracker in this process (undefined: none). */
export function setChannelReleaser (fn: ChannelReleaser | undefined): void { releaser = fn }

/** The WebRTC peer connection under a libp2p connection, when its muxer is @libp2p/webrtc's. */
export function peerConnectionOf (conn: object): PeerConnectionLike | undefined {
  const pc = (conn as { muxer?: { peerConnection?: unknown } }).muxer?.peerConnection
  return pc != null && typeof (pc as PeerConnectionLike).addEventListener === 'function' ? pc as PeerConnectionLike : undefined
}

/** Drops the handlers @libp2p/webrtc set on a closed channel: they are what keeps its stream alive. */
export function releaseChannel (channel: ChannelLike): void {
  channel.onmessage = null
  channel.onclose = null
  channel.onerror = null
  channel.onopen = null
  channel.onbufferedamountlow = null
}

export class DataChannelTracker {
  private readonly counts = new WeakMap<object, InboundChannels>()

  /**
   * Starts watching `conn` (a libp2p connection) if it runs over WebRTC; returns the function that
   * stops watching (also safe to never call: the listener goes with the peer connection).
   */
  watch (conn: object): () => void {
    const pc = peerConnectionOf(conn)
    if (pc == null || this.counts.has(conn)) return () => {}
    const counts: InboundChannels = { open: 0, closed: 0, held: 0 }
    this.counts.set(conn, counts)
    const onChannel = ({ channel }: { channel: ChannelLike }): void => {
      counts.open++
      channel.addEventListener('close', () => {
        counts.open--
        counts.closed++
        // after @libp2p/webrtc's own close handling, which runs from `onclose` (added first)
        releaseChannel(channel)
        let released = false
        try { released = releaser?.(pc, channel) ?? false } catch { released = false }
        if (!released) counts.held++
      }, { once: true })
    }
    pc.addEventListener('datachannel', onChannel)
    return () => { pc.removeEventListener('datachannel', onChannel) }
  }

  /** Counts for `conn`, undefined when it is not watched (not WebRTC). */
  inbound (conn: object): InboundChannels | undefined {
    const c = this.counts.get(conn)
    return c == null ? undefined : { ...c }
  }
}
