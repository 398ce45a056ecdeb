/**
 * Closes a direct WebRTC link whose far end went silent: a SIGKILLed process, a frozen or crashed
 * tab, a machine that dropped off the network. Nothing in the stack above does it in a bounded time.
 *
 * What a peer sees of a killed peer's WebRTC link (measured, docs/mesh.md "Dead WebRTC links"):
 * the RTCPeerConnection stays "connected" (no ICE "disconnected"/"failed" event), every stream
 * opened on it hangs until its own timeout, and only when node-datachannel's SCTP association gives
 * up does the connection close, 13.8–14.6 s after the kill on an idle link here (a browser's ICE
 * consent check allows ~30 s). The mesh's usual first sign is faster but not always there: the
 * bootstrap announces that the peer's bootstrap link closed and one ping decides (mesh-node.ts
 * `checkGone`, ~3.3–5.5 s after the kill in bench/_killed-learner-probe.ts) — unless there is no
 * such announcement (the bootstrap itself gone or busy, the peer's bootstrap link already broken,
 * its bootstrap not ours). libp2p's connection monitor only logs failed pings.
 *
 * The rule: when a keep-alive ping over a **proven** direct WebRTC link fails (keepalive.ts: no
 * echo within its timeout, judged after the I/O already queued, so our own blocked event loop does
 * not fail it), the link gets `confirmations` more pings at once, each on a fresh stream within
 * `confirmTimeoutMs`. Only when every one fails is the link aborted (`SilentLinkError`, counted in
 * `stats.silentLinksClosed`); the dialer redials the peer if it is still wanted, and the view is
 * left alone (a closed link is not a departure: a peer that merely lost this link is still listed
 * by its bootstrap). A link is closed only after its far end stayed silent for at least one ping
 * timeout plus every confirmation, so a live but busy peer has that long to answer once.
 *
 * Bound: a dead link closes within `pingIntervalMs + timeoutMs + confirmations × confirmTimeoutMs`
 * of its peer's death (10 + 6 + 3 = 19 s at the defaults, where the native close and the bootstrap
 * rule usually come first; 5.5 s with the test's 1 s / 3 s / 1.5 s). Unproven links are link-health.ts's.
 */
import { connectionTransport } from './transport.ts'
import { SilentLinkError } from './errors.ts'
import type { Connection } from '@libp2p/interface'

/** What the rule uses of the mesh node. */
export interface SilentLinkComponents {
  /** One keep-alive round trip over `conn` within `timeoutMs` (keepalive.ts `KeepAlive.ping`). */
  ping: (conn: Connection, timeoutMs: number) => Promise<number>
  /** Data went both ways over `conn` once (link-health.ts `proven`). */
  proven: (conn: Connection) => boolean
  log: (fmt: string, ...args: unknown[]) => void
  /** Counts a link closed by the rule. */
  onClosed?: (conn: Connection) => void
}

export interface SilentLinkInit {
  /** How long each confirmation ping waits for its echo. @default 3000 */
  confirmTimeoutMs?: number
  /** Pings that must also fail after the failed one before the link closes. @default 1 */
  confirmations?: number
}

export class SilentLinks {
  private readonly confirmTimeoutMs: number
  private readonly confirmations: number
  /** links being confirmed now: one confirmation at a time per link */
  private readonly checking = new WeakSet<Connection>()
  private stopped = false

  constructor (private readonly components: SilentLinkComponents, init: SilentLinkInit = {}) {
    this.confirmTimeoutMs = init.confirmTimeoutMs ?? 3000
    this.confirmations = init.confirmations ?? 1
  }

  start (): void { this.stopped = false }

  stop (): void { this.stopped = true }

  /** A keep-alive ping over `conn` failed: confirm at once, and close the link if it stays silent. */
  pingFailed (conn: Connection): void {
    if (this.stopped || this.checking.has(conn) || conn.status !== 'open' || conn.limits != null) return
    if (connectionTransport(conn) !== 'webrtc' || !this.components.proven(conn)) return
    this.checking.add(conn)
    this.confirm(conn).finally(() => { this.checking.delete(conn) })
  }

  /** Runs the confirmations; resolves when the link answered one or was closed. */
  private async confirm (conn: Connection): Promise<void> {
    // the failed ping is still the link's ping in flight (keepalive.ts shares it) until it settles
    await new Promise(resolve => setTimeout(resolve, 0))
    let last: unknown
    for (let i = 0; i < this.confirmations; i++) {
      try {
        await this.components.ping(conn, this.confirmTimeoutMs)
        return
      } catch (err) { last = err }
      if (this.stopped || conn.status !== 'open') return
    }
    const why = last instanceof Error ? last.message : String(last)
    this.components.log('direct link %s to %s stopped answering (%d pings failed, the last: %s): closing it', conn.id, conn.remotePeer, this.confirmations + 1, why)
    this.components.onClosed?.(conn)
    conn.abort(new SilentLinkError(`no keep-alive echo over this link after ${this.confirmations + 1} pings`))
  }
}
