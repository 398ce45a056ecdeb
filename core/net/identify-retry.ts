/**
 * Identify again on links where it failed.
 *
 * libp2p runs identify once, when a connection opens, within its timeout, and never again on that
 * connection; a failure is swallowed. Yet everything a newcomer needs from a link waits on it: the
 * registrar tells gossipsub and the circuit relay's reservation store about a peer only when
 * identify reports its protocols (`peer:identify`). At n = 20–32 on 2 cores (load 35–40) the
 * bootstrap answered nothing for 6–10 s at a time (its WebSocket upgrade took longer than that),
 * so a late peer's one identify of its bootstrap link timed out, and the link stayed open but
 * useless: no gossip (so no peer discovery, no dial), no relay reservation (so nobody could dial
 * it), only our own request protocols — a peer linked to nothing else, for minutes
 * (docs/ledger.md, "Late peers without links").
 *
 * Here, on every maintenance tick, an open unlimited link still not identified once its first
 * identify has had its time (`timeoutMs` after it opened) is identified again, one try in flight
 * per link, each try's timeout double the last (from 2 × `timeoutMs`, at most `maxTimeoutMs`), the
 * next try no sooner than that timeout after a failure: bounded work, never silent. Relay-limited
 * links are left alone (they carry only WebRTC signalling and close soon).
 */
import type { Connection } from '@libp2p/interface'

/** What the retry uses of libp2p and the node. */
export interface IdentifyRetryComponents {
  getConnections: () => Connection[]
  /** Runs identify over `conn` (libp2p's identify service); success dispatches `peer:identify`. */
  identify: (conn: Connection, signal: AbortSignal) => Promise<unknown>
  /** Whether identify completed over `conn` (the node records `peer:identify`). */
  identified: (conn: Connection) => boolean
  log: (fmt: string, ...args: unknown[]) => void
  /** Counted here: tries started, and tries that identified a link libp2p's own try had left unidentified. */
  stats: { identifyRetries: number, identifyRecovered: number }
}

export interface IdentifyRetryInit {
  /** The timeout of libp2p's own identify on a new connection. @default 5000 */
  timeoutMs?: number
  /** The longest a retry waits for an answer. @default 8 × timeoutMs */
  maxTimeoutMs?: number
}

interface Tries { count: number, notBefore: number, inflight: boolean }

export class IdentifyRetry {
  private readonly timeoutMs: number
  private readonly maxTimeoutMs: number
  private readonly tries = new WeakMap<Connection, Tries>()

  constructor (private readonly c: IdentifyRetryComponents, init: IdentifyRetryInit = {}) {
    this.timeoutMs = init.timeoutMs ?? 5000
    this.maxTimeoutMs = init.maxTimeoutMs ?? 8 * this.timeoutMs
  }

  /** Starts a try on every link that needs one now (call on each maintenance tick). */
  check (now = Date.now()): void {
    for (const conn of this.c.getConnections()) {
      if (conn.status !== 'open' || conn.limits != null || this.c.identified(conn)) continue
      if (now - conn.timeline.open < this.timeoutMs) continue // libp2p's own try is still running
      const t = this.tries.get(conn) ?? { count: 0, notBefore: 0, inflight: false }
      this.tries.set(conn, t)
      if (t.inflight || now < t.notBefore) continue
      this.start(conn, t)
    }
  }

  private start (conn: Connection, t: Tries): void {
    t.count++
    t.inflight = true
    this.c.stats.identifyRetries++
    const timeout = Math.min(this.maxTimeoutMs, this.timeoutMs * 2 ** t.count)
    this.c.log('identify on link %s to %s again (try %d, %d ms)', conn.id, conn.remotePeer, t.count, timeout)
    this.c.identify(conn, AbortSignal.timeout(timeout)).then(() => {
      this.c.stats.identifyRecovered++
    }, err => {
      t.notBefore = Date.now() + timeout
      this.c.log('identify on link %s to %s failed again: %s', conn.id, conn.remotePeer, err instanceof Error ? err.message : String(err))
    }).finally(() => { t.inflight = false })
  }
}
