/**
 * Links to the learners a coordinator is about to select (service.ts). A round's learners are the
 * joined learners this coordinator holds a direct link to (round-plan.ts): requests are refused on
 * the relay-limited link every peer has to every other through the bootstrap, and updates and
 * models are too big for the relay's limits anyway. In a freshly started mesh the links are still
 * forming when the first rounds run, and a coordinator that selected only what it was linked to ran
 * round after round without some learners (live-hostile.test.ts: rounds 2–4 in under a second each
 * without the one learner it had no link to yet).
 *
 * So before selecting, the coordinator dials every joined learner it lacks a direct link to and
 * that has not left the mesh (liveness.ts, probes.ts), at most `MAX_LINK_DIALS` at once, and waits for
 * them at most `LINK_WAIT_MS` — less when each one is linked, gone or its dial has settled. A learner still not linked
 * is left out of this round and counted (`unreachable`); one whose dial failed is not dialled again
 * for `LINK_RETRY_MS`, so a learner that cannot be reached (no WebRTC address, ICE fails) costs at most
 * one wait per LINK_RETRY_MS, not one per round. Reaching learners over the relayed link instead was not
 * chosen: it would carry every update and model through the bootstrap, the busiest process.
 *
 * Between rounds every joined learner also dials, in the background, the learners it lacks a link
 * to (`prelink`, the same LINK_WAIT_MS each), so whoever the draw picks next usually finds them linked
 * and the pre-select wait costs nothing; one dial per learner at a time, shared by both.
 * Memory is bounded: a failure is forgotten after LINK_RETRY_MS, a dial when it settles.
 */
import type { LearningMesh } from './ports.ts'

/**
 * the longest a coordinator waits for new links before it selects. Short: at 8 peers under load
 * 12–23 (bench/live-learning, docs/learning.md "Round-time tail") 15 of 18 such dials had not
 * linked within 4 s, and the 4 s wait was the largest part of two of five commit gaps; a dial
 * still running after the wait goes on in the mesh, and a later round selects the learner once linked
 */
export const LINK_WAIT_MS = 1000
/** learners dialled before one round, at most */
export const MAX_LINK_DIALS = 8
/** a learner whose dial failed is not dialled again (by this coordinator, before a round) for this long */
export const LINK_RETRY_MS = 30_000

export interface LinkOutcome {
  /** learners dialled (lacking a direct link, not gone, not recently failed) */
  dialled: string[]
  /** dialled learners linked afterwards */
  linked: string[]
  /** dialled learners still without a direct link after the wait: left out of the round */
  unreachable: string[]
}

export class LearnerLinks {
  private readonly failedAt = new Map<string, number>()
  /** background dials in flight (`prelink`): at most one per learner */
  private readonly dialling = new Map<string, Promise<boolean>>()

  /**
   * Learners left unlinked after a wait (here or between rounds), by why (the mesh's `dialState`
   * then, without the step's time): `no-address`, `dialling:<step>`,
   * `failed:<step>`, `idle`, `unknown`. A diagnostic: which part of linking fails under load.
   */
  readonly unlinkedWhy: Record<string, number> = {}

  constructor (private readonly mesh: Pick<LearningMesh, 'peerId' | 'links' | 'link' | 'dialState'>, private readonly now: () => number, private readonly waitMs = LINK_WAIT_MS) {}

  /** Joined learners other than this peer without a direct link, not gone, not within RETRY_MS of a failed dial; at most MAX_LINK_DIALS. */
  missing (learners: readonly string[], gone: (peer: string) => boolean): string[] {
    const now = this.now()
    // a failure older than LINK_RETRY_MS no longer holds a dial back: kept, it would grow with every learner ever dialled
    for (const [p, at] of this.failedAt) if (now - at >= LINK_RETRY_MS) this.failedAt.delete(p)
    return this.unlinked(learners, gone).filter(p => !this.failedAt.has(p)).slice(0, MAX_LINK_DIALS)
  }

  /**
   * Dials `missing(…)` and resolves once each is linked, gone or settled, or after the wait; a dial
   * still running then goes on in the mesh (a later round finds its link). `wait` polls.
   */
  async ensure (learners: readonly string[], gone: (peer: string) => boolean, wait: (cond: () => boolean) => Promise<void>): Promise<LinkOutcome> {
    const dialled = this.missing(learners, gone)
    if (dialled.length === 0) return { dialled, linked: [], unreachable: [] }
    const settled = new Set<string>()
    // one dial per learner: one already running between rounds (`prelink`) is waited on, not repeated
    for (const p of dialled) void this.dial(p).finally(() => { settled.add(p) })
    const until = this.now() + this.waitMs
    await wait(() => {
      if (this.now() >= until) return true
      const direct = this.direct()
      return dialled.every(p => direct.has(p) || settled.has(p) || gone(p))
    })
    const direct = this.direct()
    const linked = dialled.filter(p => direct.has(p))
    const unreachable = dialled.filter(p => !direct.has(p))
    for (const p of unreachable) { this.failedAt.set(p, this.now()); this.countWhy(p) }
    for (const p of linked) this.failedAt.delete(p)
    return { dialled, linked, unreachable }
  }

  /** Joined learners other than this peer, not gone, without a direct link (a round leaves them out). */
  unlinked (learners: readonly string[], gone: (peer: string) => boolean): string[] {
    const direct = this.direct()
    return learners.filter(p => p !== this.mesh.peerId && !direct.has(p) && !gone(p))
  }

  /** Learners whose failed dial still holds them back (each for LINK_RETRY_MS). */
  get failing (): number { return this.failedAt.size }

  /**
   * Dials `missing(…)` in the background and waits for none: a learner between rounds links to the
   * others ahead of a round it may coordinate, so `ensure` finds them linked (in a fresh mesh, the
   * 1–1.5 s dial waits of the first rounds). Only learners with a larger id than this peer's: the
   * pair's smaller id dials, as core/net's duplicate-link rule wants (the coordinator's `ensure`
   * still dials any). A dial not linked within the wait counts as failed, as in `ensure`. Returns
   * the learners dialled now.
   */
  prelink (learners: readonly string[], gone: (peer: string) => boolean): string[] {
    // only toward larger ids: core/net's duplicate-link rule keeps the smaller id's dial of a pair and
    // refuses the other while it runs, so two learners dialling each other between rounds raced and
    // one dial was always refused (`encrypt-outbound-connection` in unlinkedWhy, docs/learning.md)
    const dialled = this.missing(learners, gone).filter(p => !this.dialling.has(p) && this.mesh.peerId < p)
    for (const p of dialled) {
      void this.dial(p).then(ok => { if (ok) this.failedAt.delete(p); else { this.failedAt.set(p, this.now()); this.countWhy(p) } })
    }
    return dialled
  }

  /**
   * Dials each of `peers` (any id, whatever a failure within LINK_RETRY_MS) that has no dial in
   * flight, in the background; returns those dialled now. For round 1's wait for links only
   * (next-turn.ts `startupLinksPending`, bounded by `startupLinkMs`): there a learner whose first dial
   * failed (on loopback ICE fails at once now and then: `failed:webrtc:add-ice-candidate`) was
   * otherwise not dialled again within the wait, which then ran out with it unlinked (both
   * learning11 runs with the wait).
   */
  redial (peers: readonly string[]): string[] {
    const dialled = peers.filter(p => p !== this.mesh.peerId && !this.dialling.has(p))
    for (const p of dialled) {
      void this.dial(p).then(ok => { if (ok) this.failedAt.delete(p); else this.failedAt.set(p, this.now()) })
    }
    return dialled
  }

  /** The dial to `p` in flight, or a new one: whether it linked within the wait. */
  private async dial (p: string): Promise<boolean> {
    let d = this.dialling.get(p)
    if (d == null) {
      d = this.mesh.link(p, this.waitMs).catch(() => false).finally(() => { this.dialling.delete(p) })
      this.dialling.set(p, d)
    }
    return await d
  }

  private countWhy (p: string): void {
    // bounded keys: the mesh's states and libp2p's dial-progress step names (no peer ids, no free text)
    const why = (this.mesh.dialState?.(p) ?? 'unknown').replace(/ at \d+ ms$/, '').slice(0, 64)
    if (why in this.unlinkedWhy || Object.keys(this.unlinkedWhy).length < 32) this.unlinkedWhy[why] = (this.unlinkedWhy[why] ?? 0) + 1
  }

  private direct (): Set<string> {
    return new Set(this.mesh.links().filter(l => !l.limited).map(l => l.peerId))
  }
}
