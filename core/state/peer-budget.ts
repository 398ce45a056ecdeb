/**
 * Per-peer budgets of the state protocol and topic: messages and bytes per window, and an offence
 * score (rate-limit hits, malformed messages, forged or unsigned entries) that closes the connection
 * past a threshold. Pure: the caller passes the time and acts on the answers.
 */
export interface PeerBudgetLimits {
  /** @default 10000 */
  windowMs: number
  /** Messages (requests + gossip) per peer per window. @default 400 */
  maxMessages: number
  /** Bytes per peer per window. @default 32 MiB */
  maxBytes: number
  /** Offence points per window past which the peer is disconnected. @default 50 */
  maxOffences: number
}

export const DEFAULT_PEER_BUDGET: PeerBudgetLimits = { windowMs: 10_000, maxMessages: 400, maxBytes: 32 * 1024 * 1024, maxOffences: 50 }

interface Usage { start: number, messages: number, bytes: number, offences: number }

export class PeerBudgets {
  private readonly usage = new Map<string, Usage>()
  constructor (readonly limits: PeerBudgetLimits = DEFAULT_PEER_BUDGET) {}

  private of (peer: string, now: number): Usage {
    let u = this.usage.get(peer)
    if (u == null || now - u.start >= this.limits.windowMs) {
      u = { start: now, messages: 0, bytes: 0, offences: 0 }
      this.usage.set(peer, u)
    }
    return u
  }

  /** Counts one message of `bytes`; false when it is over the peer's budget (drop it). */
  charge (peer: string, bytes: number, now: number): boolean {
    const u = this.of(peer, now)
    u.messages++; u.bytes += bytes
    return u.messages <= this.limits.maxMessages && u.bytes <= this.limits.maxBytes
  }

  /** Adds offence points; true exactly when this crosses the threshold (disconnect the peer). */
  offend (peer: string, points: number, now: number): boolean {
    const u = this.of(peer, now)
    const before = u.offences
    u.offences += points
    return before <= this.limits.maxOffences && u.offences > this.limits.maxOffences
  }

  forget (peer: string): void { this.usage.delete(peer) }
}
