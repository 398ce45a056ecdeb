/**
 * The mesh's link sweeps: closing direct links that are duplicates, dead, or over their budget of
 * closed data channels, and deciding whether a peer our bootstrap no longer lists is gone.
 * Split out of mesh-node.ts (no behaviour change); the node calls `sweep()` on every maintenance
 * tick, `closeRedundant()` when a link's first ping settles and `checkGone()` when a bootstrap's
 * neighbour list drops a peer. Each closure is counted in the node's `stats` and logged with why.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import type { Connection, Logger } from '@libp2p/interface'
import type { MeshConfig } from './config.ts'
import type { LinkHealth } from './link-health.ts'
import type { DataChannelTracker } from './datachannel-tracker.ts'
import type { MeshStats } from './mesh-types.ts'
import { connectionTransport } from './transport.ts'

export interface LinkSweeperParts {
  /** every open connection, or those to one peer */
  getConnections: (peer?: string) => Connection[]
  health: Pick<LinkHealth, 'pick' | 'redundant' | 'dead'>
  channels: Pick<DataChannelTracker, 'inbound'>
  /** one keep-alive ping over `conn`, rejecting when it is not answered within `timeoutMs` */
  ping: (conn: Connection, timeoutMs: number) => Promise<unknown>
  /** the node's config as it is now (`setMaxPeers` replaces it) */
  config: () => MeshConfig
  stats: Pick<MeshStats, 'duplicateLinksClosed' | 'deadLinks' | 'recycledLinks'>
  isStarted: () => boolean
  /** drops `peerId` from the view (as a departure we observed); `true` when the view changed */
  leave: (peerId: string) => boolean
  /** the view changed outside a sweep's caller (after a failed ping): tell listeners */
  viewChanged: () => void
  log: Logger
}

/**
 * How long a direct link may stay unproven before the sweep closes it as dead. Identify proves a
 * live link within a round trip or two; failing that, its first pings do (keepalive.ts `first`: up
 * to three, each within `dialTimeoutMs`, then the keep-alive interval's). The interval counts only up
 * to two dial timeouts: with a long `pingIntervalMs` (up to 10 minutes) a dead link would otherwise
 * hold its peer's slot, and show no round trip, that long (a mesh.test.ts failure at load 23).
 */
export function deadLinkGraceMs (config: Pick<MeshConfig, 'dialTimeoutMs' | 'pingIntervalMs'>): number {
  const { dialTimeoutMs, pingIntervalMs } = config
  return Math.max(2 * dialTimeoutMs, Math.min(pingIntervalMs, 2 * dialTimeoutMs) + dialTimeoutMs)
}

export class LinkSweeper {
  constructor (private readonly parts: LinkSweeperParts) {}

  /** One maintenance pass: duplicates, dead links, links holding too many closed channels. */
  sweep (): void {
    const { getConnections, health, channels, config, stats, log } = this.parts
    const conns = getConnections()
    for (const peer of new Set(conns.filter(c => connectionTransport(c) === 'webrtc').map(c => c.remotePeer.toString()))) this.closeRedundant(peer)
    const { maxHeldChannels } = config()
    const graceMs = deadLinkGraceMs(config())
    for (const c of health.dead(conns, Date.now(), graceMs)) {
      log('closing dead %s link %s to %s: no data over it after %d ms', c.direction, c.id, c.remotePeer, graceMs)
      stats.deadLinks++
      c.abort(new Error(`no data over this WebRTC link after ${graceMs} ms`))
    }
    // node-datachannel keeps every closed channel the remote opened until the link closes: past
    // the budget, a fresh link (the dialer replaces this one) releases them all
    for (const c of conns) {
      const held = channels.inbound(c)?.held ?? 0
      if (held <= maxHeldChannels || c.status !== 'open') continue
      log('closing %s link %s to %s: %d closed data channels held (budget %d)', c.direction, c.id, c.remotePeer, held, maxHeldChannels)
      stats.recycledLinks++
      c.close().catch(err => { c.abort(err instanceof Error ? err : new Error(String(err))) })
    }
  }

  /**
   * Closes direct links to `peerId` that stayed unproven for a first ping's time while another
   * link to it is proven (see link-health.ts).
   */
  closeRedundant (peerId: string): void {
    if (!this.parts.isStarted()) return
    // a first ping times out after dialTimeoutMs; a live link is proven by then
    for (const c of this.parts.health.redundant(this.parts.getConnections(peerId), Date.now(), this.parts.config().dialTimeoutMs)) {
      this.parts.log('closing duplicate %s link %s to %s: another direct link to it is proven', c.direction, c.id, peerId)
      this.parts.stats.duplicateLinksClosed++
      c.abort(new Error('a duplicate of a proven direct link'))
    }
  }

  /**
   * Our bootstrap lost its link to `peerId`. With no link of our own to it, it is gone; over a
   * direct link of ours, one ping decides (a closed tab's WebRTC link stays open until pings fail,
   * measured 8–20 s): no answer closes the link and drops the peer.
   */
  checkGone (peerId: string): void {
    const { getConnections, health, ping, config, isStarted, leave, viewChanged, log } = this.parts
    const conns = getConnections(peerId)
    if (conns.length === 0) {
      if (leave(peerId)) log('%s left: its bootstrap link closed', peerId)
      return
    }
    const conn = health.pick(conns) ?? conns[0]
    // half a dial timeout: a live peer answers a ping in milliseconds, a busy one within a second or two
    ping(conn, Math.max(1500, config().dialTimeoutMs / 2)).catch(err => {
      log('%s lost its bootstrap link and does not answer a ping (%s): dropping it', peerId, err instanceof Error ? err.message : String(err))
      for (const c of conns) c.abort(new Error('peer lost its bootstrap link and stopped answering'))
      if (isStarted() && leave(peerId)) viewChanged()
    })
  }
}

/** `getConnections` for a libp2p node, by peer id string. */
export function connectionsOf (libp2p: { getConnections: (peer?: ReturnType<typeof peerIdFromString>) => Connection[] }): (peer?: string) => Connection[] {
  return peer => peer == null ? libp2p.getConnections() : libp2p.getConnections(peerIdFromString(peer))
}
