/**
 * How a `LedgerNode`'s frames reach other peers on a partial mesh: directly over a link, else
 * through a replica we have a link to (FORWARD, delivered as FORWARDED); the forwarding side of
 * that; and where a new microblock goes (every replica from a replica; from a follower, one replica
 * — the next slot's leader when reachable — which relays it to the rest, and two untried replicas
 * on each re-send when it is not committed in time). Counts frames sent through others and frames
 * forwarded for others (`stats`, shown as `LedgerNode.routing`).
 */
import { FRAME_FORWARD, FRAME_FORWARDED, FRAME_MICROBLOCK, writeFrame, type Microblock } from './codec.ts'
import type { Chain } from './chain.ts'
import type { EpochInfo } from './epochs.ts'
import type { Clock } from './live-replica.ts'
import type { LedgerTransport } from './transport.ts'

export interface RouterOwner {
  self: string
  genesisPeerId: string
  transport: LedgerTransport
  clock: Clock
  chain: () => Chain | undefined
  /** the epoch of the instance that ended last (its replicas may still send frames) */
  prevEpoch: () => EpochInfo | undefined
  /**
   * A microblock this peer dispatches, when it is a replica of the current epoch: into its own pool
   * before it is sent (true), and `proposeOwn` after; false on a follower.
   */
  poolOwn: (mb: Microblock) => boolean
  proposeOwn: () => void
  count: (reason: string) => void
  reject: (reason: string, from: string) => void
  /**
   * How many replicas a follower's new microblock goes to first; each relays it to the others
   * (`relaysMicroblock`), so every extra one is n − 1 duplicate frames @default 1
   */
  followerFanout?: number
}

/**
 * Whether a replica relays a microblock it received to the other replicas: only when it came
 * straight from a non-replica (a follower's first copy, or a re-send). A copy from a replica — its
 * author's own, or another replica's relay — is never relayed again, so a follower's microblock
 * reaches each replica once (before, a follower sent it to two replicas and both relayed it: every
 * replica got it twice). `origin` is who sent it: for a FORWARDED frame the peer it was forwarded
 * for, not the forwarder.
 */
export function relaysMicroblock (origin: string, chain: Pick<Chain, 'isReplica'>): boolean {
  return !chain.isReplica(origin)
}

export class LedgerRouter {
  /** frames we sent through another replica (no link to the destination), and frames we forwarded */
  readonly stats = { viaOthers: 0, forwarded: 0 }
  private linkSet = new Set<string>()
  private linksAt = -Infinity

  constructor (private readonly o: RouterOwner) {}

  sendToReplicas (frame: Uint8Array, except: Set<string> = new Set()): void {
    for (const r of this.o.chain()?.current.replicas ?? []) if (r.peerId !== this.o.self && !except.has(r.peerId)) this.sendFrame(r.peerId, frame)
  }

  /** Peers we have a usable (not relay-limited) link to, refreshed at most every 500 ms. */
  reachable (): Set<string> {
    const now = this.o.clock.now()
    if (now - this.linksAt > 500) { this.linkSet = new Set(this.o.transport.connectedPeers()); this.linksAt = now }
    return this.linkSet
  }

  /**
   * Sends a frame to a peer: directly when we have a link to it, else through one replica we have a
   * link to (the genesis peer first: every peer keeps a link to its bootstrap) as FORWARD. Replicas
   * normally hold direct links to each other (they protect each other in the mesh); forwarding
   * covers the time before those links form, or a pair whose WebRTC link fails.
   */
  sendFrame (to: string, frame: Uint8Array): void {
    const links = this.reachable()
    if (links.has(to)) { this.o.transport.send(to, frame); return }
    const via = this.relayFor(to, links)
    if (via == null) { this.o.transport.send(to, frame); return }
    this.stats.viaOthers++
    this.o.transport.send(via, writeFrame({ type: FRAME_FORWARD, peer: to, frame }))
  }

  /** Sends a frame to a replica through another replica we have a link to (FORWARD), if there is one. */
  sendVia (to: string, frame: Uint8Array): void {
    const via = this.relayFor(to, this.reachable())
    if (via == null) return
    this.stats.viaOthers++
    this.o.transport.send(via, writeFrame({ type: FRAME_FORWARD, peer: to, frame }))
  }

  private relayFor (to: string, links: Set<string>): string | undefined {
    const replicas = this.o.chain()?.current.replicas.map(r => r.peerId) ?? []
    return [this.o.genesisPeerId, ...replicas].find(p => p !== to && p !== this.o.self && links.has(p) && replicas.includes(p))
  }

  /** A FORWARD: deliver to its destination if it is a replica we reach (consensus frames only from replicas). */
  forward (from: string, to: string, inner: Uint8Array): void {
    const chain = this.o.chain()
    if (chain == null) return
    if (inner[0] !== FRAME_MICROBLOCK && !chain.isReplica(from) && !(this.o.prevEpoch()?.replicas.some(r => r.peerId === from) ?? false)) { this.o.reject('notReplica', from); return }
    if (!chain.isReplica(to) || !this.reachable().has(to)) { this.o.count('unroutable'); return }
    this.stats.forwarded++
    this.o.transport.send(to, writeFrame({ type: FRAME_FORWARDED, peer: from, frame: inner }))
  }

  /** The leaders of the next slot's views 0 and 1 and of the slot after (leader = (slot + view) mod n), other than us. */
  nextLeaders (chain: Chain): string[] {
    const e = chain.current
    const slot = chain.height + 1
    const out = new Set<string>()
    for (let i = 0; i < 3 && e.n > 0; i++) out.add(e.replicas[(slot + i) % e.n].peerId)
    out.delete(this.o.self)
    return [...out]
  }

  /** Where this peer's new (or re-sent) microblock goes; `sentTo` holds the replicas a follower already tried. */
  dispatch (mb: Microblock, sentTo: Set<string>, resend: boolean): void {
    const chain = this.o.chain()
    if (chain == null) return
    const frame = writeFrame({ type: FRAME_MICROBLOCK, microblock: mb.bytes })
    if (this.o.poolOwn(mb)) {
      // the first copy goes to every replica; a re-send (not committed within resendMs) only to the
      // replicas that would propose it next: at n = 16 under load, re-sends to all were 174 of the
      // 274 microblock frames per decision of a burst (bench/results/ledger-frames-n16-probft.json)
      if (resend) for (const p of this.nextLeaders(chain)) this.sendFrame(p, frame)
      else this.sendToReplicas(frame)
      this.o.proposeOwn()
      return
    }
    // a follower: the first copy to one replica (followerFanout), which relays it to the others;
    // a re-send (not committed within resendMs: that replica may be faulty or gone) to 2 replicas
    // not tried yet, which relay it in turn when they did not have it
    const pick = this.followerTargets(chain, sentTo, resend ? 2 : Math.max(1, this.o.followerFanout ?? 1))
    if (pick.length === 0 && resend) { sentTo.clear(); pick.push(...this.followerTargets(chain, sentTo, 2)) }
    for (const p of pick) { sentTo.add(p); this.sendFrame(p, frame) }
  }

  /**
   * Replicas a follower's microblock goes to, `count` of them, none in `sentTo`: the leaders of the
   * next slots first when we have a link to them (the leader can propose it without waiting for a
   * relay), then the others we have a link to, then the rest (reached through a replica).
   */
  followerTargets (chain: Chain, sentTo: Set<string>, count: number): string[] {
    const links = new Set(this.o.transport.connectedPeers())
    const leaders = this.nextLeaders(chain)
    const rank = (p: string): number => links.has(p) ? (leaders.includes(p) ? leaders.indexOf(p) : leaders.length) : leaders.length + 1
    const candidates = chain.current.replicas.map(r => r.peerId).filter(p => p !== this.o.self && !sentTo.has(p))
    return candidates.map((p, i) => ({ p, r: rank(p), i })).sort((a, b) => a.r - b.r || a.i - b.i).slice(0, count).map(x => x.p)
  }
}
