/**
 * When a peer tells the mesh about itself: its neighbour list on the topology topic, and its
 * WebRTC addresses on the peer-discovery topic. Both are rate-limited and coalesced, because while
 * a mesh forms connections change several times a second per peer and every message is
 * signature-checked by every other peer.
 *
 * - Topology: soon after a change others would see (150 ms later, or a quarter topology interval
 *   after the previous announcement, whichever is later), plus a keep-alive every interval that is
 *   skipped when a change was announced within half an interval. Relayed links are not announced
 *   and do not count as a change: they are the short-lived signalling links of WebRTC dials, and
 *   each dial opened and closed one, so every dial cost every peer two signed messages to verify
 *   (20% of a saturated 20-peer process went to ed25519 verification of gossip).
 * - Discovery: at once when our own WebRTC address changed (a relay reservation appeared), and
 *   again as soon as someone can hear it if nobody could; otherwise at most once per half
 *   discovery interval or `MAX_DISCOVERY_GAP_MS`, whichever is shorter (a burst of newcomers
 *   costs each peer a few messages, not one per newcomer; 2.5 s measured best of 1, 2.5 and 5 s
 *   for 20 peers starting at once). pubsub peer discovery itself announces only at start,
 *   before we have an address, and then once per interval.
 */
import { encodeMessage, MSG_TOPOLOGY, type Neighbour } from './mesh-codec.ts'
import type { MeshConfig } from './config.ts'
import type { Logger } from '@libp2p/interface'

/** Longest wait between two discovery announcements triggered by newcomers (a newcomer learns our address within it). */
export const MAX_DISCOVERY_GAP_MS = 2500

export interface AnnouncerInit {
  config: Pick<MeshConfig, 'role' | 'topologyIntervalMs' | 'discoveryIntervalMs'>
  topic: string
  publish: (topic: string, data: Uint8Array) => Promise<unknown>
  neighbours: () => Neighbour[]
  /** Our current multiaddrs (the WebRTC ones are what discovery announces). */
  multiaddrs: () => string[]
  /** Sends one peer-discovery announcement; absent when discovery is off. */
  discover?: () => void
  /** Peers known to subscribe to the discovery topic (who an announcement would reach now). */
  discoveryReach?: () => number
  isStarted: () => boolean
  log: Logger
}

export class Announcer {
  private topologyTimer?: ReturnType<typeof setTimeout>
  private discoveryTimer?: ReturnType<typeof setTimeout>
  private lastTopology = 0
  private lastDiscovery = 0
  private seq = 0
  /** Our WebRTC addresses at the last discovery announcement. */
  private announcedAddrs = ''
  /** The neighbour list (ids and transports) of the last topology announcement; undefined before the first. */
  private announcedNeighbours: string | undefined
  /** Subscribers of the discovery topic known at the last discovery announcement. */
  private lastReach = -1

  constructor (private readonly init: AnnouncerInit) {}

  /** Cancels pending announcements and forgets when the last ones went out. */
  reset (): void {
    clearTimeout(this.topologyTimer)
    clearTimeout(this.discoveryTimer)
    this.topologyTimer = undefined
    this.discoveryTimer = undefined
    this.lastTopology = 0
    this.lastDiscovery = 0
    this.announcedAddrs = ''
    this.announcedNeighbours = undefined
    this.lastReach = -1
  }

  /** Announces our neighbour list soon if it changed (coalesced, see the module comment). */
  topologySoon (): void {
    if (this.topologyTimer != null || !this.init.isStarted()) return
    if (neighbourKey(this.announceable()) === this.announcedNeighbours) return
    const wait = Math.max(150, this.lastTopology + this.init.config.topologyIntervalMs / 4 - Date.now())
    this.topologyTimer = setTimeout(() => { this.topologyTimer = undefined; void this.topologyNow() }, wait)
  }

  /** The periodic keep-alive announcement, skipped when a change was announced within half an interval. */
  topologyIfQuiet (): void {
    if (Date.now() - this.lastTopology >= this.init.config.topologyIntervalMs / 2) void this.topologyNow()
  }

  private async topologyNow (): Promise<void> {
    if (!this.init.isStarted()) return
    this.lastTopology = Date.now()
    this.seq = Math.max(this.seq + 1, Date.now())
    const neighbours = this.announceable()
    this.announcedNeighbours = neighbourKey(neighbours)
    try {
      await this.init.publish(this.init.topic, encodeMessage({ type: MSG_TOPOLOGY, role: this.init.config.role, seq: this.seq, neighbours }))
    } catch (err) {
      this.init.log('topology publish failed: %s', err instanceof Error ? err.message : String(err))
    }
  }

  /** Our own addresses changed: announce them at once when the WebRTC ones differ from the last announced. */
  addressesChanged (): void {
    const addrs = this.webrtcAddrKey()
    if (addrs !== '' && addrs !== this.announcedAddrs) this.discoverySoon(0)
  }

  /**
   * A peer's topic subscriptions became known. If our addresses went out when no peer was known to
   * subscribe to the discovery topic (a newcomer announces the moment its relay reservation is
   * made, which can be before gossipsub has heard the bootstrap's subscriptions), that announcement
   * reached nobody: send it again now rather than a whole discovery interval later.
   */
  subscribersChanged (): void {
    if (this.lastReach !== 0 || this.announcedAddrs === '' || (this.init.discoveryReach?.() ?? 0) === 0) return
    this.lastReach = -1
    this.discoverySoon(0)
  }

  /** Re-announces our addresses on the discovery topic: after `delayMs`, or rate-limited when omitted. */
  discoverySoon (delayMs?: number): void {
    if (this.discoveryTimer != null || !this.init.isStarted() || this.init.discover == null) return
    const gap = Math.min(this.init.config.discoveryIntervalMs / 2, MAX_DISCOVERY_GAP_MS)
    const wait = delayMs ?? Math.max(50, this.lastDiscovery + gap - Date.now())
    this.discoveryTimer = setTimeout(() => {
      this.discoveryTimer = undefined
      if (!this.init.isStarted()) return
      this.lastDiscovery = Date.now()
      this.announcedAddrs = this.webrtcAddrKey()
      this.lastReach = this.init.discoveryReach?.() ?? -1
      try {
        this.init.discover?.()
      } catch (err) {
        this.init.log('discovery announce failed: %s', err instanceof Error ? err.message : String(err))
      }
    }, wait)
  }

  private announceable (): Neighbour[] {
    return this.init.neighbours().filter(n => n.transport !== 'relayed')
  }

  /** Our WebRTC (relayed signalling) addresses as one comparable string: what discovery announces. */
  private webrtcAddrKey (): string {
    return this.init.multiaddrs().filter(a => a.includes('/webrtc')).sort().join(' ')
  }
}

/** What others see of a neighbour list: ids and transports (round trips change with every ping). */
function neighbourKey (neighbours: readonly Neighbour[]): string {
  return neighbours.map(n => `${n.peerId}:${n.transport}`).sort().join(' ')
}
