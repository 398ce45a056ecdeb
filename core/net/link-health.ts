/**
 * Which direct links carry data, which to drop, and which connection a request should use.
 *
 * A WebRTC connection can come up dead. When two peers dial each other at once, the recipient of
 * one dial can see its signalling stream end early (the other side gave up or won the race) and
 * still finish the upgrade: ICE says connected, but the SCTP association never forms, every data
 * channel stays "connecting" and every stream opened on it hangs until its own timeout. CI caught
 * one: a request timed out after 10 s on such a link while a healthy link to the same peer existed,
 * and nothing else ever closed the dead link (pings only measure, they never close a link).
 *
 * A link is *proven* once data went both ways over it: identify completed on it (both sides run
 * identify on every new connection, so a live link is identified within a round trip or two) or
 * the keep-alive measured a ping round trip (`conn.rtt`, keepalive.ts). Then:
 * - `dead()`: direct WebRTC links still unproven `graceMs` after opening; the node closes them
 *   and its dialer replaces them.
 * - `pick()`: the connection a request uses: proven direct first, then any other usable link.
 * - `redundant()`: direct links to a peer still unproven after their first ping had its time while
 *   another link to it is proven (duplicates); the node closes them.
 *
 * A second direct link to a peer (both dialled at once) is refused before it opens, in the
 * connection gater (duplicate-links.ts). One that opened anyway is closed only while unproven
 * (`redundant()`), never once proven: gossipsub keeps one stream per peer on whichever link
 * identify reported first and does not move it when that link closes, so closing a proven "extra
 * one" could silence the pair's gossip.
 */
import { connectionTransport, type ConnectionLike } from './transport.ts'
import type { Connection } from '@libp2p/interface'

/** The subset of a libp2p `Connection` read here (tests pass plain objects). */
export type LinkLike = ConnectionLike & Pick<Connection, 'status' | 'timeline' | 'rtt' | 'direction'>

export class LinkHealth {
  private readonly identified = new WeakSet<object>()

  /** Records that identify completed over `conn`. */
  markIdentified (conn: object): void { this.identified.add(conn) }

  /** Identify completed over `conn` (what gossipsub and the relay reservation wait for; identify-retry.ts). */
  identifiedOver (conn: object): boolean { return this.identified.has(conn) }

  /** Data went both ways over `conn` (identify completed, or a ping was answered). */
  proven (conn: LinkLike): boolean {
    return this.identified.has(conn) || conn.rtt != null
  }

  /** Open direct WebRTC links older than `graceMs` that never carried data. */
  dead<C extends LinkLike> (conns: readonly C[], now: number, graceMs: number): C[] {
    return conns.filter(c => c.status === 'open' && connectionTransport(c) === 'webrtc' && now - c.timeline.open > graceMs && !this.proven(c))
  }

  /**
   * Direct links to one peer still unproven `minAgeMs` after opening while another direct link to
   * it is proven: duplicates (see duplicate-links.ts), safe to close because gossipsub only uses a
   * link that identify completed over (which makes it proven). The age spares a live duplicate
   * whose first ping and identify are still under way, so both sides do not close different ones.
   * `conns` are one peer's connections.
   */
  redundant<C extends LinkLike> (conns: readonly C[], now: number, minAgeMs: number): C[] {
    const direct = conns.filter(c => c.status === 'open' && connectionTransport(c) === 'webrtc')
    return direct.some(c => this.proven(c)) ? direct.filter(c => !this.proven(c) && now - c.timeline.open >= minAgeMs) : []
  }

  /**
   * The connection to use for a request to a peer, given its open connections: a proven direct
   * link, else an unproven direct one (it may just be new), else an unlimited non-WebRTC link.
   * Undefined when there is none: the caller dials.
   */
  pick<C extends LinkLike> (conns: readonly C[]): C | undefined {
    const open = conns.filter(c => c.status === 'open' && c.limits == null)
    const score = (c: C): number => {
      const direct = connectionTransport(c) === 'webrtc'
      if (direct && this.proven(c)) return 0
      if (direct) return 1
      return this.proven(c) ? 2 : 3
    }
    return open.sort((a, b) => score(a) - score(b) || (a.rtt ?? Infinity) - (b.rtt ?? Infinity))[0]
  }
}
