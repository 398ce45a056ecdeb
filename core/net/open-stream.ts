/**
 * Opening a stream to a peer over the best link it has, surviving links that died under us.
 *
 * libp2p reports a WebRTC connection `open` for a while after its peer connection is gone (the
 * remote closed it, or the duplicate-link guard did): `newStream` on it throws ("createDataChannel()
 * called on destroyed peer connection", a closed muxer). Such a link can carry nothing, so it is
 * aborted (libp2p forgets it) and the next best link is tried, then a fresh dial. The link a dial
 * hands back can be just as dead (a duplicate that the peer's simultaneous dial made the guard close:
 * seen in CI as a failed request just after two peers linked); it gets the same treatment, up to
 * `MAX_LINKS` links in all. A refusal that is the peer's answer (unsupported protocol) or the
 * caller's deadline ends the attempt at once.
 */
import type { Connection, Libp2p, PeerId, Stream } from '@libp2p/interface'
import type { LinkHealth } from './link-health.ts'

/** Errors that say nothing about the link: they are the caller's or the peer's answer. */
const FINAL = new Set(['AbortError', 'TimeoutError', 'UnsupportedProtocolError', 'TooManyOutboundProtocolStreamsError'])

export interface OpenStreamOptions {
  signal: AbortSignal
  log?: (msg: string) => void
}

/** Links tried (open ones, then dialled ones) before the last one's error is the caller's. */
export const MAX_LINKS = 4

export async function openStreamTo (libp2p: Pick<Libp2p, 'getConnections' | 'dial'>, health: LinkHealth, peer: PeerId, protocol: string, opts: OpenStreamOptions): Promise<Stream> {
  const dead = new Set<Connection>()
  for (;;) {
    // open links without limits only; none left: dial (libp2p hands back a link it holds, or a new one)
    const conn = health.pick(libp2p.getConnections(peer).filter(c => !dead.has(c))) ?? await libp2p.dial(peer, { signal: opts.signal })
    try {
      return await conn.newStream(protocol, { signal: opts.signal })
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err))
      if (opts.signal.aborted || FINAL.has(e.name) || dead.has(conn) || dead.size + 1 >= MAX_LINKS) throw e
      dead.add(conn)
      opts.log?.(`link ${conn.id} to ${peer.toString()} cannot open streams (${e.message}): closing it and trying another`)
      conn.abort(e)
    }
  }
}
