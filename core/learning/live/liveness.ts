/**
 * Which learners are gone from the mesh, as this peer sees it: what a coordinator uses to close a
 * round as soon as no further update can come, and what a learner uses to take over at once from
 * a drawn coordinator that died (next-turn.ts). Pure: the shell feeds it the mesh's open links and
 * its view, at every tick and while a round collects.
 *
 * A peer is **gone** when this peer saw it before (linked or in the view) and now has neither an
 * open link to it nor it in its mesh view. The mesh already does the hard part (core/net,
 * mesh-node.ts `checkGone`): a process or tab that dies drops its bootstrap link at once (TCP or
 * WebSocket close), the bootstrap announces its neighbour list within a quarter of a topology
 * interval, and every peer then removes the dead peer from its view — after one ping over a
 * direct link that it still holds fails (that also closes the link; a dead WebRTC link would
 * otherwise stay "open" until ICE noticed, 8–20 s), at once when it holds none. A peer that leaves
 * gracefully announces it. So "gone" here is a confirmed departure, not a missed ping.
 *
 * Why neither signal alone: a closed link is not a departure (the mesh prunes and redials links,
 * and a learner whose link closed still reaches the coordinator over another), and the view alone
 * lags a peer that is linked and answering. A peer never seen is not gone either: a late starter
 * whose view is still filling would otherwise take over from coordinators it has not heard of yet.
 */

export class PeerLiveness {
  private readonly seen = new Set<string>()
  private linked = new Set<string>()
  private members = new Set<string>()
  /** when a seen peer was first observed without a link / out of the view (cleared when it is back): for diagnostics */
  private readonly unlinkedAt = new Map<string, number>()
  private readonly leftViewAt = new Map<string, number>()

  /** Reads the mesh now: the peers with an open link (any kind) and the peers in the view. */
  observe (links: Iterable<string>, members: Iterable<string>, now = 0): void {
    this.linked = new Set(links)
    this.members = new Set(members)
    for (const p of this.linked) this.seen.add(p)
    for (const p of this.members) this.seen.add(p)
    for (const p of this.seen) {
      if (this.linked.has(p)) this.unlinkedAt.delete(p)
      else if (!this.unlinkedAt.has(p)) this.unlinkedAt.set(p, now)
      if (this.members.has(p)) this.leftViewAt.delete(p)
      else if (!this.leftViewAt.has(p)) this.leftViewAt.set(p, now)
    }
  }

  /** Since when (the `now` of `observe`) a peer has been without a link, and out of the view; absent while it is not. */
  since (peer: string): { unlinkedAt?: number, leftViewAt?: number } {
    const u = this.unlinkedAt.get(peer)
    const v = this.leftViewAt.get(peer)
    return { ...(u != null ? { unlinkedAt: u } : {}), ...(v != null ? { leftViewAt: v } : {}) }
  }

  /** Seen before, and now neither linked nor in the view. */
  gone (peer: string): boolean {
    return this.seen.has(peer) && !this.linked.has(peer) && !this.members.has(peer)
  }
}
