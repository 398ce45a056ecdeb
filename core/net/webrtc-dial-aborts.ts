/**
 * WebRTC dials that the mesh dialer can really abandon.
 *
 * libp2p's dial queue runs one dial per peer: a second `libp2p.dial` to a peer with a dial in
 * flight (a request's `dial(peer)`, an explicit dial by the application, the mesh dialer's own
 * retry) *joins* that dial, and the shared dial is aborted only once every caller's signal has
 * aborted. So when the mesh dialer gave up on a stalled dial, its abort only detached the mesh
 * dialer: the dial itself ran on to libp2p's own timeout (4 × dialTimeoutMs), and the retry the
 * dialer started a few seconds later joined that same hung dial instead of making a fresh one
 * (measured: a pair dialling each other at once linked only after 20–51 s, docs/mesh.md).
 *
 * A hung WebRTC dial is one that will never finish: @libp2p/webrtc's initiator swallows a peer
 * connection that closed during ICE (node-datachannel closes both ends when the DTLS handshake
 * fails) and then waits for its init channel to open until its signal aborts. Giving up on such a
 * dial must end it for every caller, so they get an error now and the next dial is a fresh one.
 *
 * `WebRTCDialAborts.wrap` wraps the WebRTC transport so each of its dials also listens to a signal
 * of ours; `abort(peerId)` ends every WebRTC dial to that peer in flight at the transport, which
 * fails the shared dial for all of its callers.
 */
import type { Transport } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

type DialFn = Transport['dial']

export class WebRTCDialAborts {
  private readonly live = new Map<string, Set<AbortController>>()

  /** Wraps a transport factory (`webRTC(init)`) so that its dials can be ended by `abort`. */
  wrap<C> (factory: (components: C) => Transport): (components: C) => Transport {
    return components => {
      const transport = factory(components)
      const dial: DialFn = async (ma, options) => await this.dial(transport, ma, options)
      return new Proxy(transport, {
        get: (target, prop) => {
          if (prop === 'dial') return dial
          const value: unknown = Reflect.get(target, prop, target)
          return typeof value === 'function' ? value.bind(target) : value
        }
      })
    }
  }

  /** WebRTC dials to `peerId` in flight at the transport now. */
  inFlight (peerId: string): number { return this.live.get(peerId)?.size ?? 0 }

  /** Ends every WebRTC dial to `peerId` in flight now with `reason`; returns how many it ended. */
  abort (peerId: string, reason: Error): number {
    const dials = this.live.get(peerId)
    if (dials == null) return 0
    for (const c of dials) c.abort(reason)
    return dials.size
  }

  private async dial (transport: Transport, ma: Multiaddr, options: Parameters<DialFn>[1]): ReturnType<DialFn> {
    const peer = targetPeer(ma)
    if (peer == null) return await transport.dial(ma, options)
    const ours = new AbortController()
    const dials = this.live.get(peer) ?? new Set()
    dials.add(ours)
    this.live.set(peer, dials)
    try {
      return await transport.dial(ma, { ...options, signal: options.signal == null ? ours.signal : AbortSignal.any([options.signal, ours.signal]) })
    } finally {
      dials.delete(ours)
      if (dials.size === 0 && this.live.get(peer) === dials) this.live.delete(peer)
    }
  }
}

/** The peer a WebRTC address leads to: its last `/p2p/` component (the relay's comes first). */
export function targetPeer (ma: Multiaddr): string | undefined {
  return ma.getComponents().filter(c => c.name === 'p2p').map(c => c.value).pop()
}
