/**
 * A drawn coordinator whose `start` is late gets a direct ping (for one learner, next-turn.ts).
 *
 * Measured (bench/live-learning, 8 peers, 3 SIGKILLed at round 2; docs/learning.md "Round-time
 * tail"): when round 3's drawn coordinator was among the killed, the next in the draw took over
 * 1.2–5.2 s after the head — it waited for the dead peer's bootstrap to unlist it (the bootstrap
 * link's close, announced within a quarter of a topology interval) and then for a 750 ms probe
 * (probes.ts) — and that was nearly all of the kill round. A live coordinator's `start` reaches
 * its learners within ~0.1 s of its turn (p95 85–91 ms), 1 s at most when it waits for the base's
 * delta to send with it (coordinator.ts `START_DELTA_WAIT_MS`).
 *
 * The rule: while no `start` of the next round has come here, once the coordinator this learner
 * expects it from has been expected for `lateBoundMs` (1 s + 4 × the link's RTT, at most 2.5 s),
 * it is pinged over this learner's direct link to it (`pingTimeoutMs`: 3 × RTT, 0.75–1.5 s). No
 * echo makes it **silent** for this next round: the next in the draw is expected instead, as for a
 * drawn coordinator that left the mesh (next-turn.ts), and its clock starts then. An echo: it is
 * alive, its round most likely under way without this learner; it is asked again only once
 * `LATE_REPING_MS` passed since (each ping is a chance of a false "silent" under load). Asked once
 * per head, as before learning13, a coordinator slow to start under load that answered and then
 * died before its `start`s went out was waited for until the round timeout when its bootstrap still
 * listed it (a late-start.test.ts failure with two test files at a time). A coordinator that is alive but slow
 * (round 1's link wait, a dial, a slow base fetch) answers and is waited for — training included,
 * which hands the event loop back every `TRAIN_YIELD_MS` (participant.ts): without that, a
 * coordinator training its own update while one `start` was still on its way answered no ping for
 * its whole training, and was taken over though alive (the first bench run, round 2: 5.3 s with
 * two coordinators; docs/learning.md "A late start pinged, training that yields"). No direct
 * link: nothing is asked (a ping is refused on a relayed link; the bootstrap's unlisting and
 * probes.ts decide as before). A false "silent" (a live peer missing the ping's timeout) costs a
 * second coordinator for one round: its learners send their update to both (participant.ts) and
 * the ledger keeps the first commit.
 *
 * **A commit that is late** (learning13): once this learner took a `start` of the next round and
 * trained its update, the coordinator it expects is pinged on the same bound, counted from when the
 * update was ready (the same clock, `expected.since`, when that is later), and again every
 * `LATE_REPING_MS` while it answers. No echo: silent, and the next in the draw takes over the round
 * (its `start` of the same round and base is taken, and the same update sent: participant.ts). Why
 * (bench/live-learning-13-a1, the kill round, 5.5 s): a drawn coordinator killed right after its
 * `start`s went out was waited for until its bootstrap unlisted it and a probe failed (4.6 s after
 * its round began); a `start` had come, so no late-start ping was sent. While the update trains,
 * nothing is asked (this learner is busy, and its coordinator is waiting for it).
 *
 * Bounded: one ping in flight per peer, the next no sooner than `LATE_REPING_MS` after an echo;
 * the silent peers of one next round (at most the draw's size), forgotten when the head moves.
 */
import type { LearningMesh } from './ports.ts'
import type { LiveStats } from './status.ts'

/** a `start` is late once its coordinator has been expected this long, at the least (plus 4 × RTT) */
export const LATE_START_MS = 1000
/** ... and at the most */
export const LATE_START_MAX_MS = 2500
/** the direct ping's timeout, at the least and at the most (else 3 × RTT) */
export const LATE_PING_MS = 750
export const LATE_PING_MAX_MS = 1500
/** a coordinator that answered is pinged again, while its `start` is still missing, no sooner than this after the echo */
export const LATE_REPING_MS = 2500

/** How long a coordinator may be expected before its `start` is late, given the link's RTT. */
export function lateBoundMs (rttMs: number | undefined): number {
  return Math.min(LATE_START_MAX_MS, LATE_START_MS + 4 * Math.max(0, rttMs ?? 0))
}

/** The direct ping's timeout, given the link's RTT. */
export function pingTimeoutMs (rttMs: number | undefined): number {
  return Math.min(LATE_PING_MAX_MS, Math.max(LATE_PING_MS, 3 * Math.max(0, rttMs ?? 0)))
}

export class LateStarts {
  /** the head whose next round this holds (`round:hash`) */
  private key = ''
  private headAt = 0
  private readonly silentPeers = new Set<string>()
  /** pinged for this head: in flight (Infinity), or when the echo came */
  private readonly asked = new Map<string, number>()
  /** the coordinator expected now, and since when */
  private expected: { peer: string, since: number } | undefined

  constructor (
    private readonly mesh: Pick<LearningMesh, 'links' | 'ping'>,
    private readonly now: () => number,
    /** counts the pings sent and those without an echo (status.ts) */
    private readonly stats: Pick<LiveStats, 'lateStartPings' | 'lateStartsSilent'>,
    private readonly log: (m: string) => void = () => {}
  ) {}

  /**
   * One look, at a tick: `expected` is the peer this learner expects the next round's `start` of
   * `head` from (undefined: itself, or none), `started` whether one came, `readyAt` when this
   * learner's update for it was trained (then the round's commit is late from then: below);
   * `headAt` when this learner applied the head.
   */
  check (head: { round: number, hash: string }, headAt: number, expected: string | undefined, started: boolean, readyAt?: number): void {
    this.at(head, headAt)
    if (expected === undefined) { this.expected = undefined; return }
    const now = this.now()
    // the first expected since the head was applied, from then; a later one (those ahead found silent, or a round timeout), from now
    if (this.expected?.peer !== expected) this.expected = { peer: expected, since: this.expected == null ? this.headAt : now }
    // a start came: training, nothing to ask; trained, the commit is late from then on the same bound (a coordinator that died mid-round)
    if ((started && readyAt == null) || now - (this.asked.get(expected) ?? -Infinity) < LATE_REPING_MS) return
    const link = this.mesh.links().find(l => l.peerId === expected && !l.limited)
    if (link == null) return
    const bound = lateBoundMs(link.rttMs)
    const waitedMs = Math.round(now - (started && readyAt != null ? Math.max(readyAt, this.expected.since) : this.expected.since))
    if (waitedMs < bound) return
    const key = this.key
    const timeoutMs = pingTimeoutMs(link.rttMs)
    this.asked.set(expected, Infinity)
    this.stats.lateStartPings++
    this.mesh.ping(expected, timeoutMs)
      .then(() => { if (key === this.key) this.asked.set(expected, this.now()) }, err => {
        if (key !== this.key) return
        this.silentPeers.add(expected)
        this.stats.lateStartsSilent++
        this.log(`round ${head.round + 1}: ${started ? 'no commit' : 'no start'} from ${expected} ${waitedMs} ms after it was expected, and no echo within ${timeoutMs} ms (${err instanceof Error ? err.message : String(err)}): passing over it`)
      })
  }

  /** Whether `peer` was found silent for the next round of `head`. */
  silent (peer: string, head: { round: number, hash: string }): boolean {
    return `${head.round}:${head.hash}` === this.key && this.silentPeers.has(peer)
  }

  private at (head: { round: number, hash: string }, headAt: number): void {
    const key = `${head.round}:${head.hash}`
    if (key === this.key && headAt === this.headAt) return
    this.key = key
    this.headAt = headAt
    this.silentPeers.clear()
    this.asked.clear()
    this.expected = undefined
  }
}
