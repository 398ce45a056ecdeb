/**
 * Replicas that answer but do not vote: removal means "stopped taking part", too.
 *
 * Liveness (liveness.ts) removes a replica that stopped answering. A replica that answers every
 * probe and sync pull but sends no consensus message (Byzantine, or a build whose engine is wedged)
 * is never silent, so it stayed a replica for good, counting towards f for as long as it ran
 * (docs/ledger.md, "Replicas that stop voting"). Here every replica notes, per other replica of its
 * epoch, when it last heard an engine message *signed as that replica's own* (a PROPOSE, PREPARE,
 * COMMIT, VIEW-CHANGE or NEW-VIEW whose signer index is the sender's — late votes the shell drops
 * unchecked count too, so a slow replica's late votes keep it in) and how many decisions this
 * replica's own instance made since. A replica whose votes were absent from the last `decisions`
 * decisions taken here (others' votes made those quorums) AND for `ms` of time is reported; the
 * owner asks to remove it, once per epoch, and f + 1 replicas must ask (as for the silent).
 *
 * Both bounds must hold, which is what keeps an honest but slow replica (a loaded tab) in: a burst
 * of fast decisions without it is not enough (the time bound), and a long idle spell is not either
 * (no decisions: nothing counted). ProBFT sends each vote to a VRF sample, so one honest replica's
 * votes miss us in some decisions; with a sample of s of n − 1 peers and two vote phases, all of
 * them miss us in `decisions` = 16 decisions in a row with probability ≤ (1 − s/(n − 1))^32
 * (n = 16, s = 10: ~10⁻¹⁵). Decisions made by syncing (gossip, pulls) are not counted: this
 * replica saw none of those votes. State carries over epoch changes for replicas that stay (a
 * mute replica does not start voting because the set changed), as liveness does.
 *
 * The signer is not verified here (that is the engine's work, and late votes skip it): a frame comes
 * over the sender's own authenticated link, or forwarded by a replica that names its origin. A
 * Byzantine replica can keep itself in by sending badly signed votes (each a counted rejection
 * towards `maxRejectsPerMinute` when the engine checks it), and a Byzantine forwarder can shield a
 * mute one; both stay within the f the epoch tolerates.
 */
import * as decoding from 'lib0/decoding'
import { MSG_COMMIT, MSG_NEW_VIEW, MSG_PREPARE, MSG_PROPOSE, MSG_VIEW_CHANGE } from '../consensus/codec.ts'

/** decisions taken here without a vote from a replica before it is reported @default */
export const VOTE_LAPSE_DECISIONS = 16
/** and time without a vote from it, ms @default */
export const VOTE_LAPSE_MS = 30_000

export interface VoteLapseOwner {
  now: () => number
  /** decisions without its vote before a replica is reported */
  decisions: () => number
  /** ms without its vote before a replica is reported */
  ms: () => number
}

interface PeerVotes { votedAt: number, missed: number }

/**
 * The index an engine message is signed as (its sender, or a PROPOSE's header leader), from its
 * first bytes only; undefined for anything else (a DECISION, a DECISION-REQUEST, bytes that do not
 * decode). Cheap: no signature, no full decode.
 */
export function signerOf (message: Uint8Array): number | undefined {
  try {
    const d = decoding.createDecoder(message)
    const type = decoding.readVarUint(d)
    if (type === MSG_PREPARE || type === MSG_COMMIT || type === MSG_VIEW_CHANGE || type === MSG_NEW_VIEW) return decoding.readVarUint(d)
    if (type !== MSG_PROPOSE) return undefined
    const h = decoding.createDecoder(decoding.readVarUint8Array(d))
    return decoding.readVarUint(h) === 1 ? decoding.readVarUint(h) : undefined
  } catch {
    return undefined
  }
}

export class VoteLapses {
  private readonly peers = new Map<string, PeerVotes>()
  /** engine messages counted as votes, decisions counted */
  readonly stats = { votes: 0, decisions: 0 }

  constructor (private readonly o: VoteLapseOwner) {}

  /** A new epoch: track exactly these peers; one that stays keeps its count (liveness.ts `track`). */
  track (peers: readonly string[]): void {
    const now = this.o.now()
    for (const p of [...this.peers.keys()]) if (!peers.includes(p)) this.peers.delete(p)
    for (const p of peers) if (!this.peers.has(p)) this.peers.set(p, { votedAt: now, missed: 0 })
  }

  /** An engine message from `peer` (for a forwarded one: its origin), `replicas` its instance's set. */
  heard (peer: string, replicas: ReadonlyArray<{ peerId: string }>, message: Uint8Array): void {
    const s = this.peers.get(peer)
    if (s == null) return
    const i = signerOf(message)
    if (i == null || replicas[i]?.peerId !== peer) return
    s.votedAt = this.o.now()
    s.missed = 0
    this.stats.votes++
  }

  /** This replica's own instance decided a slot. */
  decided (): void {
    this.stats.decisions++
    for (const s of this.peers.values()) s.missed++
  }

  /** The replicas whose votes lapsed: absent from the last `decisions` decisions and for `ms`. */
  lapsed (): string[] {
    const now = this.o.now()
    const k = this.o.decisions()
    const ms = this.o.ms()
    const out: string[] = []
    for (const [peer, s] of this.peers) if (s.missed >= k && now - s.votedAt >= ms) out.push(peer)
    return out
  }

  /** Decisions and ms since a peer's last vote (for the removal's reason, status and tests). */
  state (peer: string): { missed: number, sinceMs: number } | undefined {
    const s = this.peers.get(peer)
    return s == null ? undefined : { missed: s.missed, sinceMs: this.o.now() - s.votedAt }
  }
}
