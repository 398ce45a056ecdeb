/**
 * Keeps gossip flowing to a peer when the link that carried it closes while another stays open.
 *
 * Gossipsub opens ONE outbound stream per peer, on the link whose identify it heard first, and
 * forgets it when that link closes; it opens another only when libp2p's registrar tells it about a
 * link again, which happens on the next identify, i.e. on a new link. A peer that keeps another
 * link (a duplicate left by a simultaneous dial, the bootstrap's WebSocket beside WebRTC, a link
 * `open-stream.ts` aborted as dead) then gets no gossip from us at all — publishes skip it, it never
 * hears our subscription changes — until the pair disconnects completely. Every service that
 * gossips (state, ledger, learning) loses messages to it, silently.
 *
 * When a link closes and, `checkDelayMs` later (gossipsub drops its stream on the stream's own
 * close event), the peer still has a usable link but gossipsub holds no outbound stream to it, the
 * remaining link is identified again: the registrar then tells gossipsub, which opens its stream
 * there. One check per peer at a time; a failed identify is logged, never thrown.
 */
import type { Connection } from '@libp2p/interface'

export interface GossipRepairComponents {
  /** The usable (open, not relay-limited) link to a peer a stream would take, if any. */
  usableLink: (peerId: string) => Connection | undefined
  /** Whether gossipsub knows the peer (speaks gossipsub, not fully disconnected). */
  isGossipPeer: (peerId: string) => boolean
  /** Whether gossipsub holds an outbound stream to the peer. */
  hasOutbound: (peerId: string) => boolean
  /** Runs identify on a link (libp2p then emits `peer:identify`, and the registrar tells gossipsub). */
  identify: (conn: Connection) => Promise<unknown>
  log: (msg: string) => void
  /** Called once per link identified again. */
  onRepair?: (peerId: string) => void
}

export class GossipRepair {
  private readonly pending = new Map<string, ReturnType<typeof setTimeout>>()

  constructor (private readonly c: GossipRepairComponents, private readonly checkDelayMs = 500) {}

  /** A link to `peerId` closed: check once, a little later, that gossip to it still has a stream. */
  linkClosed (peerId: string): void {
    if (this.pending.has(peerId)) return
    this.pending.set(peerId, setTimeout(() => {
      this.pending.delete(peerId)
      void this.check(peerId)
    }, this.checkDelayMs))
  }

  /** Checks scheduled and not run yet. */
  get pendingChecks (): number { return this.pending.size }

  /** Checks `peerId` now; true when its remaining link was identified again. */
  async check (peerId: string): Promise<boolean> {
    if (!this.c.isGossipPeer(peerId) || this.c.hasOutbound(peerId)) return false
    const conn = this.c.usableLink(peerId)
    if (conn == null) return false
    this.c.log(`gossip to ${peerId} lost its stream with a closed link: identifying link ${conn.id} again so gossipsub opens one there`)
    try {
      await this.c.identify(conn)
    } catch (err) {
      this.c.log(`identifying link ${conn.id} to ${peerId} again failed: ${err instanceof Error ? err.message : String(err)}`)
      return false
    }
    this.c.onRepair?.(peerId)
    return true
  }

  stop (): void {
    for (const t of this.pending.values()) clearTimeout(t)
    this.pending.clear()
  }
}
