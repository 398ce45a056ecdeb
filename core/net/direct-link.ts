/**
 * Waiting for a direct (not relay-limited) link to one peer: what `MeshNode.request(..., { direct:
 * true })` and `MeshNode.linkDirect` need. The dialer decides whether a dial may start
 * (`MeshDialer.dialNow`: one dial per peer shared by its callers, no new one within
 * `dialTimeoutMs` of a failed one); this loop asks it again until a link is open, the wait ends,
 * or the caller's signal aborts.
 */
import type { Connection, Libp2p, Logger, PeerId } from '@libp2p/interface'
import type { MeshDialer } from './mesh-dialer.ts'

export interface DirectLinkParts {
  libp2p: Pick<Libp2p, 'getConnections'>
  dialer: Pick<MeshDialer, 'dialNow'>
  /** the healthiest usable link among `conns`, if any (LinkHealth.pick) */
  pick: (conns: Connection[]) => Connection | undefined
  log: Logger
}

/** True when `peer` has a usable link now. */
export function hasUsableLink (parts: DirectLinkParts, peer: PeerId): boolean {
  return parts.pick(parts.libp2p.getConnections(peer)) != null
}

/**
 * A direct link to `peer`, tried again until one is open or `waitMs` has passed (a failed dial is
 * retried no sooner than the dialer allows); the caller goes on either way. `cancelDial`: when
 * `signal` aborts, the dial in flight is given up too (a request's deadline); otherwise it goes on
 * in the background (a link that forms later serves the caller's next use).
 */
export async function awaitDirect (parts: DirectLinkParts, peer: PeerId, waitMs: number, signal: AbortSignal, cancelDial = true): Promise<void> {
  const deadline = Date.now() + waitMs
  for (;;) {
    await dialDirect(parts, peer.toString(), cancelDial ? signal : undefined)
    if (hasUsableLink(parts, peer) || signal.aborted || Date.now() >= deadline) return
    await new Promise<void>(resolve => {
      const done = (): void => { clearTimeout(timer); signal.removeEventListener('abort', done); resolve() }
      const timer = setTimeout(done, Math.min(500, Math.max(0, deadline - Date.now())))
      signal.addEventListener('abort', done)
    })
  }
}

/** One try at a direct link to `peer`, given up (and the dial cancelled, if only requests wait on it) when `signal` aborts. */
async function dialDirect (parts: DirectLinkParts, peer: string, signal?: AbortSignal): Promise<void> {
  try {
    if (!await parts.dialer.dialNow(peer, signal) && signal?.aborted !== true) parts.log('no direct link to %s for a request (its WebRTC addresses unknown, or the dial failed)', peer)
  } catch (err) {
    parts.log('direct dial to %s for a request failed: %s', peer, err instanceof Error ? err.message : String(err))
  }
}
