/**
 * Which peers to dial next: a pure function of what the node knows, so the policy is tested
 * without a network.
 *
 * - Aim for `maxPeers` direct WebRTC links; never start more dials than the missing links, nor
 *   more than `maxParallel` at once (each is a relayed connection, ICE and DTLS: CPU-heavy).
 * - Tie-break so two peers do not dial each other at once: the peer with the smaller id dials
 *   first; the other side dials only after `otherSideDelayMs` without a link. Browser-to-browser
 *   WebRTC dials sometimes hang after ICE (about 1 pair in 15) while the reverse dial succeeds, so
 *   this delay doubles as "retry from the other side". A peer with no direct link yet skips the
 *   wait, so a newcomer's first link does not cost `otherSideDelayMs`.
 * - A failed or timed-out dial to a peer is retried after `retryMs`.
 * - Peers that announce a full degree are tried last, so links spread over the mesh; they still
 *   accept up to `hardCap` links, so no peer is left stranded below its target.
 * - Preferred peers come before all others (the paced replica dials of mesh-dialer.ts pass the
 *   ledger epoch's replicas, so the `maxPeers` links go to them first; off by default).
 */
export interface DialCandidate {
  peerId: string
  /** When this node first learnt of the peer (ms). */
  firstSeen: number
  /** Direct links the peer last announced. */
  degree: number
}

export interface DialPolicyInput {
  self: string
  now: number
  maxPeers: number
  /** Dials allowed in flight at once. */
  maxParallel: number
  candidates: readonly DialCandidate[]
  /** Peers with a direct WebRTC link now. */
  connected: ReadonlySet<string>
  /** Peers with a dial in flight. */
  dialing: ReadonlySet<string>
  /** Time of the last failed dial per peer. */
  lastFailure: ReadonlyMap<string, number>
  otherSideDelayMs: number
  retryMs: number
  /** Peers dialled before all others (the ledger epoch's replicas). @default none */
  preferred?: ReadonlySet<string>
}

export function chooseDials (input: DialPolicyInput): string[] {
  const budget = Math.min(input.maxPeers - input.connected.size, input.maxParallel) - input.dialing.size
  if (budget <= 0) return []
  const eligible = input.candidates.filter(c => {
    if (c.peerId === input.self || input.connected.has(c.peerId) || input.dialing.has(c.peerId)) return false
    const failed = input.lastFailure.get(c.peerId)
    if (failed != null && input.now - failed < input.retryMs) return false
    // the smaller id dials first; the larger waits for it, then takes over — except for a peer
    // with no direct link yet, which dials at once (a new tab should not wait to join)
    if (input.connected.size > 0 && input.self > c.peerId && input.now - c.firstSeen < input.otherSideDelayMs) return false
    return true
  })
  const rank = (c: DialCandidate): number => (input.preferred?.has(c.peerId) === true ? 0 : 2) + (c.degree >= input.maxPeers ? 1 : 0)
  eligible.sort((a, b) => rank(a) - rank(b) || spread(input.self, a.peerId) - spread(input.self, b.peerId))
  return eligible.slice(0, budget).map(c => c.peerId)
}

/** A cheap, stable per-pair order (FNV-1a of both ids) so peers do not all pick the same targets. */
export function spread (a: string, b: string): number {
  let h = 0x811c9dc5
  const s = a + '|' + b
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h
}
