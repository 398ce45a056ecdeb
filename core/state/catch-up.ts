/**
 * Which peers may have missed this peer's own state gossip, and the handshakes that hand it over.
 *
 * Each local entry gets a number as it is gossiped; a peer has "heard" up to the highest number it
 * was sent directly (a gossip recipient) or that existed when a handshake with it started. A peer
 * that may have missed some gets a handshake:
 * - when it tells us it subscribed to the state topic (gossip before that never reached it);
 * - `delayMs` after a local entry's gossip missed it although it is linked and subscribed
 *   (gossipsub had no stream to it at that moment: a link just opened, or the one its stream ran on
 *   closed), one per peer however many entries missed it meanwhile.
 * Nothing else would send those entries before the next resync.
 */
export interface CatchUpComponents {
  /** Starts (or joins) a handshake with the peer. */
  sync: (peer: string) => void
  /** Peers known to be subscribed to the state topic, where the mesh tells. */
  subscribers: () => readonly string[] | undefined
  /** Peers with a usable (not relay-limited) link now. */
  linked: () => readonly string[]
  isStarted: () => boolean
  /** Counts one handshake started here. */
  counted: () => void
}

export class CatchUp {
  private written = 0
  private readonly heard = new Map<string, number>()
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>()

  constructor (private readonly c: CatchUpComponents, private readonly delayMs: number) {}

  /** Numbers a new local entry about to be gossiped. */
  next (): number { return ++this.written }

  /** A handshake with `peer` starts: it will get everything so far (or resync retries it). */
  handshakeStarting (peer: string): void { this.hear(peer, this.written) }

  /** Entry `written` was sent to `recipients`; linked subscribers it missed are caught up later. */
  gossiped (written: number, recipients: readonly string[]): void {
    for (const peer of recipients) this.hear(peer, written)
    const subscribed = this.c.subscribers()
    if (subscribed == null) return
    const linked = new Set(this.c.linked())
    for (const peer of subscribed) {
      if (!linked.has(peer) || recipients.includes(peer) || this.timers.has(peer)) continue
      this.timers.set(peer, setTimeout(() => {
        this.timers.delete(peer)
        this.subscribed(peer)
      }, this.delayMs))
    }
  }

  /** `peer` subscribed (or a delayed check is due): a handshake if it may have missed any entry. */
  subscribed (peer: string): void {
    if (!this.c.isStarted() || this.written <= (this.heard.get(peer) ?? 0)) return
    this.c.counted()
    this.c.sync(peer)
  }

  /** Peers waiting for a delayed check (tests, diagnostics). */
  get pending (): number { return this.timers.size }

  forget (peer: string): void {
    this.heard.delete(peer)
    clearTimeout(this.timers.get(peer))
    this.timers.delete(peer)
  }

  stop (): void {
    for (const t of this.timers.values()) clearTimeout(t)
    this.timers.clear()
  }

  private hear (peer: string, written: number): void {
    if ((this.heard.get(peer) ?? -1) < written) this.heard.set(peer, written)
  }
}
