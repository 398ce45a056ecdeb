/**
 * The request/response half of a mesh node: serving calls on a protocol (each peer held to a
 * budget, a failed call a strike), one-shot requests, long-lived streams and waits for a direct link.
 * Split out of mesh-node.ts; `MeshNode.handle`, `unhandle`, `openStream`, `request` and `linkDirect`
 * are the public entries (they check that the node has started, this does not).
 */
import { peerIdFromString } from '@libp2p/peer-id'
import type { Connection, Libp2p, Logger, PeerId, Stream } from '@libp2p/interface'
import type { MeshConfig } from './config.ts'
import type { MeshGuard } from './mesh-guard.ts'
import type { Budget } from './peer-guard.ts'
import type { LinkHealth } from './link-health.ts'
import type { Counter } from '../metrics/index.ts'
import { openStreamTo } from './open-stream.ts'
import { exchange, serve, withTimeout, type RequestHandler, type RequestOptions } from './rpc.ts'
import { awaitDirect, hasUsableLink, type DirectLinkParts } from './direct-link.ts'

/** Request streams one connection may have open at once on one protocol. */
export const MAX_INBOUND_STREAMS = 32

export interface HandleOptions { maxFrameSize?: number, timeoutMs?: number, budget?: Budget }

export interface MeshRequestParts {
  libp2p: Pick<Libp2p, 'handle' | 'unhandle' | 'getConnections' | 'dial'>
  guard: Pick<MeshGuard, 'setBudget' | 'admitRequest' | 'requestFailed'>
  health: LinkHealth
  direct: DirectLinkParts
  /** the node's config as it is now (`setMaxPeers` replaces it) */
  config: () => MeshConfig
  /** `novacron_requests_served_total{protocol}` */
  served: Counter
  /** a call served here failed (the node counts it in `stats.rpcErrors`) */
  onFailed: () => void
  log: Logger
}

export class MeshRequests {
  constructor (private readonly parts: MeshRequestParts) {}

  /** See `MeshNode.handle`. */
  async handle (protocol: string, handler: RequestHandler, opts: HandleOptions = {}): Promise<void> {
    const { guard, config, log } = this.parts
    const max = opts.maxFrameSize ?? config().maxFrameSize
    const timeout = opts.timeoutMs ?? config().requestTimeoutMs
    guard.setBudget(protocol, opts.budget ?? { ratePerSec: config().requestsPerSecond, burst: config().requestBurst })
    await this.parts.libp2p.handle(protocol, async (stream: Stream, conn: Connection) => {
      const peerId = conn.remotePeer.toString()
      if (!guard.admitRequest(protocol, peerId)) {
        stream.abort(new Error('over the request budget'))
        return
      }
      this.parts.served.inc({ protocol })
      const err = await serve(stream, handler, { peerId, protocol }, max, timeout)
      if (err != null) {
        this.parts.onFailed()
        guard.requestFailed(protocol, peerId, err)
        log('request on %s from %s failed: %s: %s', protocol, conn.remotePeer, err.name, err.message)
      }
    // at most MAX_INBOUND_STREAMS calls in flight per connection and protocol (each bounded by the
    // request timeout): the 33rd idle stream a peer opens is refused by libp2p
    }, { runOnLimitedConnection: false, maxInboundStreams: MAX_INBOUND_STREAMS })
  }

  async unhandle (protocol: string): Promise<void> { await this.parts.libp2p.unhandle(protocol) }

  /** See `MeshNode.openStream`. */
  async openStream (peer: PeerId | string, protocol: string, opts: { signal?: AbortSignal } = {}): Promise<Stream> {
    const signal = opts.signal ?? AbortSignal.timeout(this.parts.config().requestTimeoutMs)
    return await this.open(toPeerId(peer), protocol, signal)
  }

  /** See `MeshNode.request`. */
  async request (peer: PeerId | string, protocol: string, payload: Uint8Array, opts: RequestOptions = {}): Promise<Uint8Array> {
    const id = toPeerId(peer)
    const timeout = opts.timeoutMs ?? this.parts.config().requestTimeoutMs
    const max = opts.maxFrameSize ?? this.parts.config().maxFrameSize
    const direct = this.parts.direct
    let stream: Stream | undefined
    return await withTimeout(undefined, protocol, timeout, async () => {
      // the request's deadline and its caller's abort end a direct dial it waits on, too
      const signal = opts.signal != null ? AbortSignal.any([opts.signal, AbortSignal.timeout(timeout)]) : AbortSignal.timeout(timeout)
      if (opts.direct === true && !hasUsableLink(direct, id)) await awaitDirect(direct, id, Math.min(opts.directWaitMs ?? 0, timeout), signal)
      // not `dialProtocol(id)`: libp2p would take any open connection, a dead one included
      stream = await this.open(id, protocol, signal)
      return await withTimeout(stream, protocol, timeout, async () => await exchange(stream as Stream, payload, max))
    }).finally(() => { if (stream != null && stream.status === 'open') stream.abort(new Error('request finished')) })
  }

  /** See `MeshNode.linkDirect`. */
  async linkDirect (peer: string, waitMs: number): Promise<boolean> {
    const id = peerIdFromString(peer)
    const direct = this.parts.direct
    if (hasUsableLink(direct, id)) return true
    // the wait ends at waitMs, the dial does not: a link that forms later serves the next round
    await awaitDirect(direct, id, waitMs, AbortSignal.timeout(Math.max(1, waitMs)), false)
    return hasUsableLink(direct, id)
  }

  private async open (id: PeerId, protocol: string, signal: AbortSignal): Promise<Stream> {
    return await openStreamTo(this.parts.libp2p, this.parts.health, id, protocol, { signal, log: msg => { this.parts.log(msg) } })
  }
}

function toPeerId (peer: PeerId | string): PeerId {
  return typeof peer === 'string' ? peerIdFromString(peer) : peer
}
