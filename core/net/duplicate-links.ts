/**
 * One direct WebRTC link per pair of peers: the rule that refuses a duplicate before it becomes a
 * libp2p `Connection`, and the small guard the connection gater asks.
 *
 * Two peers that learn of each other at the same moment dial each other at once, and each dial
 * can finish: two links to one peer cost twice the memory, show twice in the view, and the
 * recipient of one dial can finish its upgrade on a link whose SCTP association never forms (see
 * link-health.ts), which then carries nothing. Closing "the extra one" after it opened is worse
 * than never having it: gossipsub keeps one outbound stream per peer on whichever link identify
 * reported first and never re-creates it on another, so the pair's gossip could go silent.
 *
 * So the gater refuses it while it is being upgraded (`deny*UpgradedConnection` runs after the
 * muxer is set up but before `connection:open`, identify or gossipsub see the link), with a rule
 * both sides reach on their own: **the smaller peer id's dial wins**.
 * - A peer with a *proven* open direct link to the other (data went both ways over it) that still
 *   answers a ping refuses any new one, either direction (one that no longer answers is closed).
 * - The smaller id refuses an inbound link from the larger while its own dial to it is in flight
 *   or its own outbound link is open: its dial is the one that stays.
 * - The larger id refuses its own outbound link once the smaller's inbound one is open: the
 *   smaller side refuses it anyway, and this way it does not open here even briefly.
 *
 * A race the gater cannot see: the larger id's own dial can finish on its side before the smaller's
 * inbound link arrives, and the smaller then refuses it; that link carries nothing and is never
 * proven, and the node closes it once another direct link to the peer is proven
 * (`LinkHealth.redundant`). Gossipsub is never on such a link: it takes a link only once identify
 * completed over it, which makes the link proven.
 *
 * The cost: when the smaller id's dial hangs (about 1 browser pair in 15 hangs after ICE, see
 * dial-policy.ts), the larger's "retry from the other side" is refused until that dial is given up
 * (one dial timeout without progress), after which either side's next dial is accepted.
 */
import type { Connection, ConnectionGater, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { connectionTransport } from './transport.ts'

/** What the rule needs to know about one open direct link to the peer in question. */
export interface DirectLinkFacts {
  direction: 'inbound' | 'outbound'
  /** Data went both ways over it (identify completed or a ping was answered). */
  proven: boolean
}

export interface DuplicateLinkInput {
  self: string
  remote: string
  /** Direction of the link being upgraded, as seen from `self`. */
  direction: 'inbound' | 'outbound'
  /** `self` has its own WebRTC dial to `remote` in flight (ignored for an outbound upgrade: that dial is this one). */
  dialing: boolean
  /** The open direct WebRTC links `self` already has to `remote`. */
  links: readonly DirectLinkFacts[]
}

/** Why a new direct link is refused: a proven link exists, or the smaller id's dial wins. */
export interface DuplicateVerdict {
  kind: 'proven' | 'smaller-wins'
  reason: string
}

/** Why a new direct link would be a duplicate, or undefined when it may open. Pure. */
export function duplicateLinkReason (input: DuplicateLinkInput): DuplicateVerdict | undefined {
  if (input.links.some(l => l.proven)) return { kind: 'proven', reason: 'a proven direct link to this peer is already open' }
  const smaller = input.self < input.remote
  if (input.direction === 'inbound' && smaller) {
    if (input.dialing) return { kind: 'smaller-wins', reason: 'our own dial to this peer is in flight and the smaller id\'s dial wins' }
    if (input.links.some(l => l.direction === 'outbound')) return { kind: 'smaller-wins', reason: 'our own dial to this peer already opened a link and the smaller id\'s dial wins' }
  }
  if (input.direction === 'outbound' && !smaller && input.links.some(l => l.direction === 'inbound')) {
    return { kind: 'smaller-wins', reason: 'this peer\'s dial already opened a link and the smaller id\'s dial wins' }
  }
  return undefined
}

/** What the guard reads from the live node; bound once the node exists (the gater is built first). */
export interface DuplicateLinkSource {
  self: string
  /** True while we have our own WebRTC dial to `peerId` in flight. */
  dialing: (peerId: string) => boolean
  /** Our connections to `peerId` (any transport, any status). */
  connections: (peerId: string) => readonly Connection[]
  proven: (conn: Connection) => boolean
  /**
   * Resolves true when `conn` still answers (a ping). A proven link can be stale: a tab that
   * reloaded with the same identity dials in again while its old link still looks open here (a
   * WebRTC link notices a vanished peer only after 8–20 s), so a proven link refuses a new one
   * only if it still answers; one that does not is closed and the new one accepted.
   */
  answers?: (conn: Connection) => Promise<boolean>
  /** Called with each refusal (the node logs and counts it). */
  refused?: (peerId: string, direction: 'inbound' | 'outbound', reason: string) => void
}

export class DuplicateLinkGuard {
  private source?: DuplicateLinkSource

  bind (source: DuplicateLinkSource): void { this.source = source }

  /** True when the link being upgraded to `peer` over `addr` is a duplicate direct WebRTC link. */
  async refuse (peer: PeerId, addr: Multiaddr, direction: 'inbound' | 'outbound'): Promise<boolean> {
    const s = this.source
    if (s == null || !isWebRTCAddr(addr)) return false
    const remote = peer.toString()
    const open = (): Connection[] => s.connections(remote).filter(c => c.status === 'open' && connectionTransport(c) === 'webrtc')
    const judge = (): DuplicateVerdict | undefined => duplicateLinkReason({
      self: s.self,
      remote,
      direction,
      dialing: direction === 'inbound' && s.dialing(remote),
      links: open().map(c => ({ direction: c.direction, proven: s.proven(c) }))
    })
    let verdict = judge()
    if (verdict?.kind === 'proven' && s.answers != null) {
      const proven = open().filter(c => s.proven(c))
      const alive = await Promise.all(proven.map(async c => await s.answers?.(c) ?? true))
      if (!alive.some(Boolean)) verdict = judge()
    }
    if (verdict == null) return false
    s.refused?.(remote, direction, verdict.reason)
    return true
  }

  /** The gater methods that consult this guard. */
  gaterMethods (): Pick<ConnectionGater, 'denyInboundUpgradedConnection' | 'denyOutboundUpgradedConnection'> {
    return {
      denyInboundUpgradedConnection: async (peer, maConn) => await this.refuse(peer, maConn.remoteAddr, 'inbound'),
      denyOutboundUpgradedConnection: async (peer, maConn) => await this.refuse(peer, maConn.remoteAddr, 'outbound')
    }
  }
}

/** A direct WebRTC link's address (`…/p2p-circuit/webrtc/p2p/…` dialled, `/webrtc/p2p/…` accepted). */
function isWebRTCAddr (addr: Multiaddr): boolean {
  return addr.getComponents().some(c => c.name === 'webrtc')
}
