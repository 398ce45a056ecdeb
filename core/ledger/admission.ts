/**
 * Who may join the replica set, and when: two rules of the chain (chain.ts `join`, `remove`), pure
 * functions of committed entries, so every peer agrees (wire 7; docs/ledger.md, "Admission").
 *
 * - **Pairs at the start.** An epoch of 2 has q = 2 and tolerates no fault: a first joiner that is
 *   mute (or crashes) stalls a fresh mesh for good, since no removal can commit without it. So while
 *   the replica set has a single member, a `join` does not change it alone: the joiner waits as the
 *   *pending* joiner (its join applies, summary `pending`), and the next join by another peer admits
 *   both at once, 1 → 3 (q = 2, one crash or mute replica tolerated, then removed by vote-lapse or
 *   liveness). A two-peer mesh keeps its second peer a follower: it follows and submits as before.
 *   Not applied when `ledger.maxReplicas` < 3 (nothing else could ever join).
 * - **Cool-off after a removal.** A replica removed by `remove` (silent, or not voting) that joins
 *   again at once can be removed again after the same bounds, over and over: each round costs the
 *   mesh two epoch changes and the slots it leads. The k-th removal of a peer makes its join wait
 *   `coolOffSlots(k)` committed slots after the removal's slot: 0 for the first (a crashed replica
 *   that restarts, a reloaded tab, rejoins at once as before), then 16, 32, … doubling, at most
 *   1,024. The count starts over when the peer had been a replica for at least 1,024 slots when it
 *   was removed. Slots, not time: blocks carry no agreed clock, and a slot count is what every
 *   peer replays alike. An idle ledger does not advance it — a cooling peer waits for work to be
 *   committed (its upkeep does not submit a join the chain would refuse).
 */
import type { ReplicaMember } from './epochs.ts'

export const COOL_OFF_BASE_SLOTS = 16
export const COOL_OFF_MAX_SLOTS = 1024
/** a peer removed after at least this many slots as a replica starts its removal count over */
export const COOL_OFF_RESET_SLOTS = 1024

/** Slots a peer's join waits after its k-th removal (k ≥ 1). */
export function coolOffSlots (k: number): number {
  if (k <= 1) return 0
  return Math.min(COOL_OFF_MAX_SLOTS, COOL_OFF_BASE_SLOTS * 2 ** Math.min(k - 2, 16))
}

export class Admission {
  /** peer → removals counted, and the first slot at which its join is accepted again */
  private readonly removed = new Map<string, { count: number, until: number }>()
  /** the joiner waiting for a second one while the set has a single member */
  pending: ReplicaMember | null = null

  /** `member` was removed by a `remove` committed at `height`. */
  noteRemoved (member: ReplicaMember, height: number): void {
    const prev = this.removed.get(member.peerId)
    const count = prev == null || height - member.since >= COOL_OFF_RESET_SLOTS ? 1 : prev.count + 1
    this.removed.set(member.peerId, { count, until: height + 1 + coolOffSlots(count) })
  }

  /** The first slot at which `peer`'s join is accepted (≤ `slot` when it may join at `slot`). */
  joinAllowedAt (peer: string): number {
    return this.removed.get(peer)?.until ?? 0
  }

  removals (peer: string): number { return this.removed.get(peer)?.count ?? 0 }

  /** Peers whose join would still be refused at slot `slot` (cooling off), soonest first. */
  coolingAt (slot: number): CoolingPeer[] {
    return [...this.removed].filter(([, r]) => r.until > slot).map(([peerId, r]) => ({ peerId, removals: r.count, until: r.until }))
      .sort((a, b) => a.until - b.until || (a.peerId < b.peerId ? -1 : 1))
  }
}

/** A removed peer still cooling off: its join is accepted again from slot `until`. */
export interface CoolingPeer {
  peerId: string
  /** removals counted (the k of `coolOffSlots(k)`) */
  removals: number
  until: number
}
