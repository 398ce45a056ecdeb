/**
 * Liveness of the other replicas of an epoch: removal means "stopped answering", not "quiet".
 *
 * ProBFT sends each vote to a VRF sample and an idle ledger sends nothing, so a live replica can be
 * silent towards us for a long time, and a busy one (a loaded machine) answers late. So silence
 * alone never condemns a replica. Once a replica has sent us nothing for half of `silenceMs`, we
 * probe it (a PROBE frame over the link, or forwarded through another replica when we have none);
 * any frame from it — the PROBE-ACK or anything else — clears it. A probe counts as missed when no
 * frame came within its timeout, `clamp(4 × RTT, 1 s, 10 s)` doubled for each miss in a row (capped
 * at 10 s), where RTT is the smoothed round trip of earlier probes — a late answer to an older
 * probe counts too — else the link's ping RTT, else 250 ms: a slow replica gets longer timeouts.
 * After a miss the owner also sends the probe through another replica, so a direct link that died
 * without closing cannot make a live replica look dead. A replica is reported dead only when it has
 * been silent for `silenceMs` AND its last `MISSES` probes in a row went unanswered. The owner then asks to remove it (applied once f + 1 replicas ask).
 */

/** probes in a row that must go unanswered */
export const MISSES = 3
export const MIN_PROBE_TIMEOUT_MS = 1000
export const MAX_PROBE_TIMEOUT_MS = 10_000
const DEFAULT_RTT_MS = 250

export interface LivenessOwner {
  now: () => number
  /** silence (no frame at all) before a replica can be reported, ms */
  silenceMs: () => number
  /** the mesh link's last ping round trip to a peer, when there is one */
  linkRttMs: (peer: string) => number | undefined
  /** sends a PROBE with this nonce to the peer (directly or forwarded); `misses`: probes missed in a
   * row so far (the owner sends a probe after a miss over a second path too: a dead direct link must
   * not make a live replica look dead) */
  probe: (peer: string, nonce: number, misses: number) => void
}

interface PeerState {
  heard: number
  /** the outstanding probe: its nonce and when it left */
  probe?: { nonce: number, at: number }
  /** recent probes (nonce → sent at), so a late answer still measures the round trip */
  sent: Map<number, number>
  misses: number
  /** smoothed probe round trip, ms */
  srtt?: number
}

export class Liveness {
  private readonly peers = new Map<string, PeerState>()
  private nonce = 0
  /** probes sent, acks that matched one, probes missed */
  readonly stats = { probes: 0, acks: 0, missed: 0 }

  constructor (private readonly o: LivenessOwner) {}

  /**
   * A new epoch: track exactly these peers. A peer new to the set is counted as heard now; one that
   * was tracked already keeps its silence, probes and misses: a replica that stopped answering in
   * the last epoch has not started again because the set changed. (Resetting it made a second dead
   * replica, not removed in the same block as the first, wait a whole new silence and 3 probes in
   * the next epoch: removals 13-18 s after a crash instead of ~9 s in test/ledger/replicas.test.ts.)
   */
  track (peers: string[]): void {
    const now = this.o.now()
    for (const p of [...this.peers.keys()]) if (!peers.includes(p)) this.peers.delete(p)
    for (const p of peers) if (!this.peers.has(p)) this.peers.set(p, { heard: now, misses: 0, sent: new Map() })
  }

  /** Any frame from `peer`: it answers. */
  heard (peer: string): void {
    const s = this.peers.get(peer)
    if (s == null) return
    s.heard = this.o.now()
    s.misses = 0
  }

  /** A PROBE-ACK: a round-trip sample when it answers the outstanding probe. */
  ack (peer: string, nonce: number): void {
    const s = this.peers.get(peer)
    if (s == null) return
    const at = s.sent.get(nonce)
    if (at != null) {
      const rtt = Math.max(0, this.o.now() - at)
      s.srtt = s.srtt == null ? rtt : 0.8 * s.srtt + 0.2 * rtt
      s.sent.delete(nonce)
      if (s.probe?.nonce === nonce) s.probe = undefined
      this.stats.acks++
    }
    this.heard(peer)
  }

  /** How long the next probe to `peer` waits for an answer (doubling with each miss in a row). */
  timeoutMs (peer: string): number {
    const s = this.peers.get(peer)
    const rtt = s?.srtt ?? this.o.linkRttMs(peer) ?? DEFAULT_RTT_MS
    const base = Math.min(MAX_PROBE_TIMEOUT_MS, Math.max(MIN_PROBE_TIMEOUT_MS, 4 * rtt))
    return Math.min(MAX_PROBE_TIMEOUT_MS, base * 2 ** Math.min(s?.misses ?? 0, 4))
  }

  /** One pass (the owner's maintenance timer): probes the silent, returns those that stopped answering. */
  check (): string[] {
    const now = this.o.now()
    const silence = this.o.silenceMs()
    const dead: string[] = []
    for (const [peer, s] of this.peers) {
      if (now - s.heard < silence / 2) { s.probe = undefined; s.misses = 0; continue }
      if (s.probe != null && s.heard >= s.probe.at) { s.probe = undefined; s.misses = 0 }
      if (s.probe != null && now - s.probe.at >= this.timeoutMs(peer)) { s.probe = undefined; s.misses++; this.stats.missed++ }
      if (now - s.heard >= silence && s.misses >= MISSES) { dead.push(peer); continue }
      if (s.probe == null) {
        s.probe = { nonce: ++this.nonce, at: now }
        s.sent.set(s.probe.nonce, now)
        if (s.sent.size > 8) s.sent.delete(s.sent.keys().next().value as number)
        this.stats.probes++
        this.o.probe(peer, s.probe.nonce, s.misses)
      }
    }
    return dead
  }

  /**
   * The peer stopped answering as `check` last found it (silent for `silenceMs` and its last MISSES
   * probes unanswered; any frame since clears it). A query only: it probes nothing.
   */
  stoppedAnswering (peer: string): boolean {
    const s = this.peers.get(peer)
    return s != null && s.misses >= MISSES && this.o.now() - s.heard >= this.o.silenceMs()
  }

  /** Silence and missed probes of a peer (for status and tests). */
  state (peer: string): { silentMs: number, misses: number, srtt?: number } | undefined {
    const s = this.peers.get(peer)
    return s == null ? undefined : { silentMs: this.o.now() - s.heard, misses: s.misses, ...(s.srtt != null ? { srtt: s.srtt } : {}) }
  }
}
