/**
 * A faster "no update can come from this peer" than the mesh's own (liveness.ts), for the two
 * places a learner waits on one peer: a coordinator collecting a selected learner's update, and a
 * learner deciding whether the drawn coordinator ahead of it is still there (next-turn.ts) — and,
 * since learning16, for every joined learner at every tick (service.ts), so that a coordinator
 * selecting after a kill already knows the killed learners dead. Before, each peer probed only the
 * learners it was waiting on, so a coordinator of a round after the kill that had not waited on a
 * killed learner itself selected it (its link still showed open) and waited for its own probe
 * (bench/live-learning-15-b3: rounds 4–5 closed ~0.4 s late so).
 *
 * Measured (bench/live-learning, 8 peers, 3 SIGKILLed; docs/learning.md "Round-time tail"): the
 * mesh drops a dead peer from the view only after its bootstrap announced the closed bootstrap link
 * (within a quarter of a topology interval, ≤ 1.25 s) AND one ping over a direct link of ours timed
 * out (`MeshNode.checkGone`, 3 s): up to ~4.3 s, longer than a round takes at 8 peers (~2.3 s), so
 * a round that selected a learner killed mid-round cost one and a half rounds.
 *
 * The rule here: a peer its bootstrap no longer lists (its bootstrap link closed: the first sign a
 * process died or a tab closed) gets one probe, a keep-alive ping of `PROBE_TIMEOUT_MS`; no echo
 * makes it **dead** for this learner's waiting — the round closes without it, or the next in the
 * draw takes over — until its bootstrap lists it again or `FORGET_MS` passes. A closed link, or an
 * unlisting alone, is still not enough (a live peer whose bootstrap link broke answers the probe and
 * is waited for). Unlike the mesh's check it changes nothing in the mesh: no link is closed and no
 * peer leaves the view, so a false "dead" (a live peer too slow to answer within the probe) costs
 * at most one update in one round, or a second coordinator for one round (the ledger keeps the
 * first commit; the learners' `start` from the other is refused as busy or superseded).
 */
import type { LearningMesh } from './ports.ts'

/** how long a probe waits for its echo */
export const PROBE_TIMEOUT_MS = 750
/** a peer whose probe answered is probed again, while still unlisted, no sooner than this */
export const PROBE_AGAIN_MS = 1000
/** a dead mark lasts this long (then, if still unlisted, the peer is probed again) */
export const FORGET_MS = 10_000

export class DeathProbes {
  private readonly inflight = new Set<string>()
  private readonly deadAt = new Map<string, number>()
  private readonly lastProbe = new Map<string, number>()
  /** probes sent and probes that failed (for status) */
  sent = 0
  failed = 0

  constructor (private readonly mesh: Pick<LearningMesh, 'unlisted' | 'ping'>, private readonly now: () => number, private readonly timeoutMs = PROBE_TIMEOUT_MS) {}

  /**
   * Probes those of `peers` that their bootstrap no longer lists (one probe in flight per peer, one
   * per PROBE_AGAIN_MS). A dead mark that expired is renewed by a probe, and the peer stays dead
   * while it is in flight: before, it was forgotten first, so for the probe's 750 ms a learner
   * killed more than FORGET_MS ago counted as live and could be selected again.
   */
  check (peers: Iterable<string>): void {
    const unlisted = new Set(this.mesh.unlisted())
    const now = this.now()
    const asked = new Set(peers)
    // an expired mark is kept only for a peer asked about now (it is probed again below)
    for (const [p, at] of this.deadAt) if (!unlisted.has(p) || (now - at >= FORGET_MS && !asked.has(p) && !this.inflight.has(p))) this.deadAt.delete(p)
    // a probe time older than PROBE_AGAIN_MS no longer holds anything back: kept, it would grow with every peer ever probed
    for (const [p, at] of this.lastProbe) if (now - at >= PROBE_AGAIN_MS) this.lastProbe.delete(p)
    for (const p of asked) {
      const at = this.deadAt.get(p)
      if (!unlisted.has(p) || this.inflight.has(p) || (at != null && now - at < FORGET_MS) || now - (this.lastProbe.get(p) ?? -Infinity) < PROBE_AGAIN_MS) continue
      this.lastProbe.set(p, now)
      this.inflight.add(p)
      this.sent++
      this.mesh.ping(p, this.timeoutMs)
        .then(() => { this.deadAt.delete(p) }, () => {
          this.failed++
          if (this.mesh.unlisted().includes(p)) this.deadAt.set(p, this.now())
          else this.deadAt.delete(p)
        })
        .finally(() => { this.inflight.delete(p) })
    }
  }

  /** Peers this holds anything for (a probe in flight, a recent probe, a dead mark): bounded by those probed within FORGET_MS. */
  get tracked (): number { return new Set([...this.inflight, ...this.deadAt.keys(), ...this.lastProbe.keys()]).size }

  /** Unlisted by its bootstrap and silent to a probe since (within FORGET_MS, or while the probe that renews it is in flight). */
  dead (peer: string): boolean {
    const at = this.deadAt.get(peer)
    return at != null && (this.now() - at < FORGET_MS || this.inflight.has(peer))
  }
}
