/**
 * Which direct links carry data, which to drop, and which connection a request should use.
 *
 * A WebRTC connection can come up dead. When two peers dial each other at once, the recipient of
 * one dial can see its signalling stream end early (the other side gave up or won the race) and
 * still finish the upgrade: ICE says connected, but the SCTP association never forms, every data
 * channel stays "connecting" and every stream opened on it hangs until its own timeout. CI caught
 * one: a request timed out after 10 s on such a link while a healthy link to the same peer existed,
 * and nothing else ever closed the dead link (the connection monitor only logs failed pings).
 *
 * A link is *proven* once data went both ways over it: identify completed on it (both sides run
 * identify on every new connection, so a live link is identified within a round trip or two) or
 * the connection monitor measured a ping round trip (`conn.rtt`). Then:
 * - `dead()`: direct WebRTC links still unproven `graceMs` after opening; the node closes them
 *   and its dialer replaces them.
 * - `pick()`: the connection a request uses: proven direct first, then any other usable link.
 * - `redundant()`: direct links to a peer still unproven after their first ping had its time while
 *   another link to it is proven (duplicates); the node closes them.
 * - `pingOnce()`: one ping as soon as a link opens, so it is proven (and its round trip shown)
 *   without waiting up to a whole connection-monitor interval.
 *
 * A second direct link to a peer (both dialled at once) is refused before it opens, in the
 * connection gater (duplicate-links.ts). One that opened anyway is closed only while unproven
 * (`redundant()`), never once proven: gossipsub keeps one stream per peer on whichever link
 * identify reported first and does not move it when that link closes, so closing a proven "extra
 * one" could silence the pair's gossip.
 */
import { connectionTransport, type ConnectionLike } from './transport.ts'
import { withTimeout } from './rpc.ts'
import type { Connection } from '@libp2p/interface'

/** The subset of a libp2p `Connection` read here (tests pass plain objects). */
export type LinkLike = ConnectionLike & Pick<Connection, 'status' | 'timeline' | 'rtt' | 'direction'>

export class LinkHealth {
  private readonly identified = new WeakSet<object>()

  /** Records that identify completed over `conn`. */
  markIdentified (conn: object): void { this.identified.add(conn) }

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

const PING_PROTOCOL = '/ipfs/ping/1.0.0'
const PING_BYTES = 32

/**
 * One ping round trip over `conn` on the protocol libp2p's connection monitor uses, recorded in
 * `conn.rtt` as the monitor does. The monitor's first ping comes up to a whole interval (10 s)
 * after a link opens; this one comes at once, so the page shows a round trip for a new peer
 * straight away and the link is proven (or not) without waiting.
 */
export async function pingOnce (conn: Connection, timeoutMs: number): Promise<number> {
  const stream = await conn.newStream(PING_PROTOCOL, { signal: AbortSignal.timeout(timeoutMs) })
  return await withTimeout(stream, PING_PROTOCOL, timeoutMs, async () => {
    const start = Date.now()
    if (!stream.send(crypto.getRandomValues(new Uint8Array(PING_BYTES)))) await stream.onDrain()
    let echoed = 0
    for await (const chunk of stream) {
      echoed += chunk.byteLength
      if (echoed >= PING_BYTES) break
    }
    if (echoed < PING_BYTES) throw new Error(`ping: stream ended after ${echoed} of ${PING_BYTES} bytes`)
    conn.rtt = Date.now() - start
    await stream.close()
    return conn.rtt
  })
}
