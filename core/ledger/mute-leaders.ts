/**
 * Leaders that answer but do not lead: a replica that let a view it led run out without a
 * proposal reaching us, while we had work, is "mute" for `holdMs`: the views it leads in that time
 * are left at once (LiveReplica's leader skip, as for a replica that stopped answering), instead of
 * each costing a full view timeout (24 ticks at view 0). Liveness probes cannot catch it: such a
 * replica (Byzantine, or honest but cut off from its microblocks) answers every probe.
 *
 * Bounded both ways: a mute leader costs at most one view timeout per `holdMs` (the first view it
 * lets lapse; after the hold it gets a view again, and a second lapse starts a new hold), and an
 * honest leader wrongly held mute (a lost proposal, a slow machine) costs one view of each slot it
 * leads during the hold — never safety: leaving a view is always allowed by the engine's rules.
 * A proposal accepted from it (we sent a PREPARE in its view) clears it at once.
 */

/** How long a leader that let a view lapse is skipped @default */
export const MUTE_HOLD_MS = 30_000

export class MuteLeaders {
  /** peer id → when it last let a view it led lapse */
  private readonly lapsed = new Map<string, number>()
  /** lapses noted, and leaders cleared by a proposal */
  readonly stats = { lapses: 0, cleared: 0 }

  constructor (private readonly now: () => number, private readonly holdMs: number = MUTE_HOLD_MS) {}

  /** `peer` led a view that ended here without a proposal accepted from it. */
  lapse (peer: string): void {
    if (this.holdMs <= 0) return
    this.lapsed.set(peer, this.now())
    this.stats.lapses++
  }

  /** A proposal of `peer`'s was accepted here: it leads again. */
  proposed (peer: string): void {
    if (this.lapsed.delete(peer)) this.stats.cleared++
  }

  /** Is `peer` held mute now (a lapse within the last `holdMs`)? */
  mute (peer: string): boolean {
    const at = this.lapsed.get(peer)
    if (at == null) return false
    if (this.now() - at < this.holdMs) return true
    this.lapsed.delete(peer)
    return false
  }

  /** Forget peers no longer in the replica set. */
  keepOnly (peers: Iterable<string>): void {
    const keep = new Set(peers)
    for (const p of this.lapsed.keys()) if (!keep.has(p)) this.lapsed.delete(p)
  }
}
