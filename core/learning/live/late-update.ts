/**
 * A selected learner whose update is late gets a direct ping (for one coordinator's rounds,
 * coordinator.ts `collect`), as a drawn coordinator whose `start` is late does (late-start.ts).
 *
 * Why (bench/live-learning, 8 peers, 3 SIGKILLed at round 2; docs/learning.md "A late start
 * pinged"): the kill round's coordinator, having selected learners killed just before it opened,
 * waited for them until their bootstrap unlisted them and a probe failed (probes.ts) or the mesh
 * dropped them (liveness.ts), 0.5–1.3 s after the last live update, and a learner that dies while
 * its bootstrap still lists it (a frozen process, a tab whose WebSocket lingers) was waited for
 * until the round's deadline.
 *
 * The rule: a selected learner that has not sent its update `lateUpdateBoundMs` after the round
 * opened — 2 × the slowest of its last 4 update times at this coordinator (from the round's
 * opening to its update admitted), + 4 × the link's RTT, at least 1 s and at most 10 s; with no
 * past update here, 2 × the median time of the updates already in this round; with neither, the
 * 10 s cap — is pinged over this coordinator's direct link to it (timeout 3 × RTT, 0.75–1.5 s:
 * late-start.ts `pingTimeoutMs`). No echo makes it **silent** for this round: the round stops
 * waiting for it (its update is still admitted if it comes before the round closes: collector.ts
 * `lost`). An echo: it is alive, most likely training under load (training hands the event loop
 * back every 15 ms, participant.ts), and it is waited for up to the deadline (or a straggler cut),
 * not asked again this round. No direct link: not asked (a ping is refused on a relayed link; the
 * mesh and probes.ts decide as before).
 *
 * A false "silent" (a live learner missing the ping's timeout under load) costs that learner's
 * update in this round only, if it comes after the round closed. Bounded: one ping per learner and
 * round, the times of at most `TRACKED_PEERS` learners (4 each), forgotten oldest first.
 */
import { pingTimeoutMs } from './late-start.ts'
import type { LearningMesh } from './ports.ts'
import type { LiveStats } from './status.ts'

/** an update is late, at the least, this long after the round opened */
export const LATE_UPDATE_MIN_MS = 1000
/** ... and at the most (also the bound with no update time known) */
export const LATE_UPDATE_MAX_MS = 10_000
/** late at this many times the reference update time (plus 4 × RTT) */
export const LATE_UPDATE_FACTOR = 2
/** a learner's last this many update times are its reference (their slowest) */
export const UPDATE_TIMES_KEPT = 4
/** learners whose update times are kept (the oldest forgotten first) */
export const TRACKED_PEERS = 256

/** How long after a round opened a learner's update is late, given its reference update time (ms) and the link's RTT. */
export function lateUpdateBoundMs (referenceMs: number | undefined, rttMs: number | undefined): number {
  if (referenceMs == null) return LATE_UPDATE_MAX_MS
  const bound = LATE_UPDATE_FACTOR * Math.max(0, referenceMs) + 4 * Math.max(0, rttMs ?? 0)
  return Math.min(LATE_UPDATE_MAX_MS, Math.max(LATE_UPDATE_MIN_MS, bound))
}

/** What `LateUpdates` reads of a round being collected (coordinator.ts). */
export interface CollectingRound {
  round: number
  /** when the round opened (its `start`s went out), this peer's clock */
  openedAt: number
  /** when each admitted update arrived */
  admitted: ReadonlyMap<string, number>
  /** the selected learners still awaited, this peer excluded */
  awaited: readonly string[]
}

export class LateUpdates {
  /** per learner, its last update times at this coordinator (ms from the round's opening), oldest first */
  private readonly times = new Map<string, number[]>()
  /** the round attempt the pings below are for (`round:openedAt`) */
  private key = ''
  private readonly asked = new Set<string>()
  private readonly silentPeers = new Set<string>()

  constructor (
    private readonly mesh: Pick<LearningMesh, 'links' | 'ping'>,
    private readonly now: () => number,
    /** counts the pings sent and those without an echo (status.ts) */
    private readonly stats: Pick<LiveStats, 'lateUpdatePings' | 'lateUpdatesSilent'>,
    private readonly log: (m: string) => void = () => {}
  ) {}

  /** The reference time of `peer`'s update in `r`: the slowest of its kept times, else the median of the round's admitted ones. */
  referenceMs (peer: string, r: Pick<CollectingRound, 'openedAt' | 'admitted'>): number | undefined {
    const past = this.times.get(peer)
    if (past != null && past.length > 0) return Math.max(...past)
    const now = [...r.admitted.values()].map(at => at - r.openedAt).sort((a, b) => a - b)
    return now.length === 0 ? undefined : now[Math.floor(now.length / 2)]
  }

  /** One look, while `r` collects: pings the awaited learners whose update is late (once each per round). */
  check (r: CollectingRound): void {
    this.at(r)
    const now = this.now()
    const key = this.key
    for (const peer of r.awaited) {
      if (this.asked.has(peer)) continue
      const link = this.mesh.links().find(l => l.peerId === peer && !l.limited)
      if (link == null) continue
      const bound = lateUpdateBoundMs(this.referenceMs(peer, r), link.rttMs)
      const waitedMs = Math.round(now - r.openedAt)
      if (waitedMs < bound) continue
      const timeoutMs = pingTimeoutMs(link.rttMs)
      this.asked.add(peer)
      this.stats.lateUpdatePings++
      this.mesh.ping(peer, timeoutMs)
        .catch(err => {
          if (key !== this.key) return
          this.silentPeers.add(peer)
          this.stats.lateUpdatesSilent++
          this.log(`round ${r.round}: no update from ${peer} ${waitedMs} ms after the start (late past ${bound} ms), and no echo within ${timeoutMs} ms (${err instanceof Error ? err.message : String(err)}): not waiting for it`)
        })
    }
  }

  /** Whether `peer` was found silent to a ping in round attempt `r`. */
  silent (peer: string, r: Pick<CollectingRound, 'round' | 'openedAt'>): boolean {
    return `${r.round}:${r.openedAt}` === this.key && this.silentPeers.has(peer)
  }

  /** The round closed: its admitted update times (this peer's own excluded) become the learners' past ones. */
  closed (r: Pick<CollectingRound, 'openedAt' | 'admitted'>, self: string): void {
    for (const [peer, at] of r.admitted) {
      if (peer === self) continue
      const past = this.times.get(peer) ?? []
      this.times.delete(peer)
      past.push(Math.max(0, at - r.openedAt))
      if (past.length > UPDATE_TIMES_KEPT) past.splice(0, past.length - UPDATE_TIMES_KEPT)
      this.times.set(peer, past)
    }
    while (this.times.size > TRACKED_PEERS) this.times.delete(this.times.keys().next().value as string)
  }

  /** learners whose update times are kept */
  get tracked (): number { return this.times.size }

  private at (r: Pick<CollectingRound, 'round' | 'openedAt'>): void {
    const key = `${r.round}:${r.openedAt}`
    if (key === this.key) return
    this.key = key
    this.asked.clear()
    this.silentPeers.clear()
  }
}
