/**
 * Who vouches for a quarantined peer (topology.ts): one of our bootstraps lists it again, or we
 * hold an open link to it. A link's word is weaker than a bootstrap's — the link may be the dying
 * one of a peer that was just killed — so a peer let back on a link's word alone is remembered,
 * and when that link closes while no bootstrap lists it, the peer is dropped again.
 *
 * Why: CI once kept a killed peer for its whole TTL. Its last announcement arrived late (gossip),
 * just after the bootstrap's list had dropped it, while our link to it was still dying; the link
 * vouched for it, and nothing checked again once the link closed.
 */
import type { TopologyView } from './topology.ts'

export class LinkVouches {
  /** quarantined peers re-admitted only because we held a link to them; at most one per linked peer */
  private readonly byLink = new Set<string>()

  constructor (
    private readonly view: Pick<TopologyView, 'isDeparted' | 'listedBy' | 'leave'>,
    private readonly bootstraps: ReadonlySet<string>,
    /** whether we hold an open connection (any transport) to the peer */
    private readonly linked: (peerId: string) => boolean
  ) {}

  /** Whether someone vouches for `peerId`'s announcement (only asked while it is departed). */
  vouch (peerId: string): boolean {
    if (!this.view.isDeparted(peerId)) return false
    if (this.view.listedBy(this.bootstraps, peerId)) return true
    const linked = this.linked(peerId)
    if (linked) this.byLink.add(peerId)
    return linked
  }

  /**
   * Our last link to `peerId` closed: a peer that is back on that link's word alone, and that no
   * bootstrap lists, leaves the view again (quarantined). True when it was dropped.
   */
  linkClosed (peerId: string, now: number): boolean {
    return this.byLink.delete(peerId) && !this.view.listedBy(this.bootstraps, peerId) && this.view.leave(peerId, now, true)
  }

  /** how many peers are in the view on a link's word alone (bounded by our links) */
  get size (): number { return this.byLink.size }
}
