/**
 * Keeps a peer at its target number of direct WebRTC links: remembers the WebRTC addresses that
 * peer discovery reports, asks `chooseDials` whom to dial, runs those dials with a short timeout,
 * and closes inbound links beyond a hard cap. A peer's dial timeout doubles with each consecutive
 * failure (up to 4× `dialTimeoutMs`), so dials that are slow on a starved CPU, not hung, can
 * finish. All in-flight dials are aborted on `stop()`.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { chooseDials, type DialCandidate } from './dial-policy.ts'
import { connectionTransport } from './transport.ts'
import type { MeshConfig } from './config.ts'
import type { TopologyView } from './topology.ts'
import type { Connection, Libp2p, Logger } from '@libp2p/interface'

interface Known { addrs: string[], firstSeen: number, lastSeen: number }

/** Links beyond `maxPeers` that a peer still accepts, so late joiners are not stranded. */
export function hardCap (maxPeers: number): number {
  return maxPeers + Math.max(2, Math.ceil(maxPeers / 4))
}

export class MeshDialer {
  private readonly known = new Map<string, Known>()
  private readonly dialing = new Set<string>()
  private readonly lastFailure = new Map<string, number>()
  /** Consecutive failed dials per peer: each doubles that peer's dial timeout (up to 4×). */
  private readonly failures = new Map<string, number>()
  private controller = new AbortController()

  constructor (
    private readonly libp2p: Libp2p,
    private readonly config: MeshConfig,
    private readonly stats: { dialFailures: number, dialSuccesses: number },
    private readonly log: Logger
  ) {}

  start (): void {
    this.controller = new AbortController()
  }

  stop (): void {
    this.controller.abort(new Error('mesh node stopping'))
    this.dialing.clear()
  }

  /** Records a peer's addresses from peer discovery (only WebRTC ones are dialled). */
  discovered (peerId: string, addrs: string[]): void {
    const webrtc = addrs.filter(a => a.includes('/webrtc') && !a.includes('/webrtc-direct'))
    if (webrtc.length === 0 || peerId === this.libp2p.peerId.toString()) return
    const now = Date.now()
    const old = this.known.get(peerId)
    this.known.set(peerId, { addrs: webrtc, firstSeen: old?.firstSeen ?? now, lastSeen: now })
  }

  /** Direct WebRTC peers now. */
  webrtcPeers (): Set<string> {
    return new Set(this.libp2p.getConnections().filter(c => c.status === 'open' && connectionTransport(c) === 'webrtc').map(c => c.remotePeer.toString()))
  }

  /** Closes a new inbound WebRTC link when it takes us past the hard cap. */
  connectionOpened (conn: Connection): void {
    if (connectionTransport(conn) !== 'webrtc' || conn.direction !== 'inbound') return
    if (this.webrtcPeers().size > hardCap(this.config.maxPeers)) {
      this.log('closing inbound link from %s: over the hard cap', conn.remotePeer)
      void conn.close().catch(err => { this.log('close failed: %s', err instanceof Error ? err.message : String(err)) })
    }
  }

  /** One round: forget stale candidates, start the dials the policy picks. */
  maintain (view: TopologyView): void {
    const now = Date.now()
    for (const [id, k] of this.known) {
      if (!view.has(id) && now - k.lastSeen > this.config.peerTtlMs) {
        this.known.delete(id)
        this.failures.delete(id)
        this.lastFailure.delete(id)
      }
    }
    const candidates: DialCandidate[] = [...this.known].map(([peerId, k]) => ({ peerId, firstSeen: k.firstSeen, degree: view.degree(peerId) }))
    const picks = chooseDials({
      self: this.libp2p.peerId.toString(),
      now,
      maxPeers: this.config.maxPeers,
      maxParallel: this.config.maxParallelDials,
      candidates,
      connected: this.webrtcPeers(),
      dialing: this.dialing,
      lastFailure: this.lastFailure,
      otherSideDelayMs: this.config.dialTimeoutMs,
      retryMs: this.config.dialTimeoutMs
    })
    for (const id of picks) void this.dial(id)
  }

  private async dial (peerId: string): Promise<void> {
    const k = this.known.get(peerId)
    if (k == null) return
    this.dialing.add(peerId)
    this.log('dialling %s via %s', peerId, k.addrs.join(', '))
    // a dial that timed out may have been slow rather than hung (a starved CPU): give the next one longer
    const timeout = this.config.dialTimeoutMs * 2 ** Math.min(this.failures.get(peerId) ?? 0, 2)
    const signal = AbortSignal.any([this.controller.signal, AbortSignal.timeout(timeout)])
    try {
      const conn = await this.libp2p.dial(k.addrs.map(a => multiaddr(a)), { signal })
      if (connectionTransport(conn) !== 'webrtc') throw new Error(`dial produced a ${connectionTransport(conn)} connection`)
      this.log('dialled %s: %s', peerId, conn.remoteAddr.toString())
      this.stats.dialSuccesses++
      this.lastFailure.delete(peerId)
      this.failures.delete(peerId)
    } catch (err) {
      if (this.controller.signal.aborted) return
      this.stats.dialFailures++
      this.lastFailure.set(peerId, Date.now())
      this.failures.set(peerId, (this.failures.get(peerId) ?? 0) + 1)
      this.log('webrtc dial to %s failed: %s', peerId, err instanceof Error ? err.message : String(err))
    } finally {
      this.dialing.delete(peerId)
    }
  }
}
