/**
 * One WebRTC dial with the mesh dialer's limits (split out of mesh-dialer.ts): abandoned when it
 * makes no progress, when it is not done after a hard cap, or when no link opened within the ICE
 * stage's limit after the ICE candidate exchange began.
 */
import { DialStalledError } from './errors.ts'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Connection, Libp2p } from '@libp2p/interface'

/** The step after which a WebRTC dial's ICE candidate exchange runs (@libp2p/webrtc's initiator). */
export const ICE_STEP = 'webrtc:read-ice-candidates'

/**
 * How long a first WebRTC dial may take from the start of its ICE exchange to an open link before
 * it is given up (`progressDial`'s `iceMs`; doubled per consecutive failure to the peer, as the
 * idle limit is). Healthy dials took 10–1100 ms for that at load 8 (the ~1 s ones waited one DTLS
 * retransmission); one whose peer connection died there never finishes, and used to hold its
 * caller for the idle limit and the dial for libp2p's 4 × dialTimeoutMs.
 */
export function iceStageMs (dialTimeoutMs: number): number {
  return Math.max(1500, dialTimeoutMs / 2)
}

/**
 * `libp2p.dial` that is abandoned when it makes no progress (no dial progress event of a new
 * kind) for `idleMs`, or after `capMs` in any case, or (with `iceMs`) when no link opened `iceMs`
 * after the ICE exchange began (`ICE_STEP`; later steps do not extend it) — each a
 * `DialStalledError` (`afterIce` for the last) — or when `signal` aborts. `progress.stage` is
 * kept up to date with the last step and when it happened.
 */
export async function progressDial (libp2p: Pick<Libp2p, 'dial'>, addrs: Multiaddr[], opts: { idleMs: number, capMs: number, iceMs?: number, signal?: AbortSignal, progress?: { stage: string } }): Promise<Connection> {
  const timeout = new AbortController()
  const expire = (why: string, afterIce = false): void => { timeout.abort(new DialStalledError(why, afterIce)) }
  let idle = setTimeout(expire, opts.idleMs, `no progress for ${opts.idleMs} ms`)
  const cap = setTimeout(expire, opts.capMs, `not done after ${opts.capMs} ms`)
  let ice: ReturnType<typeof setTimeout> | undefined
  const started = Date.now()
  const seen = new Set<string>()
  const onProgress = (e: { type: string }): void => {
    // only a step not seen before counts as progress: a hung WebRTC dial keeps receiving the
    // remote's trickled ICE candidates ('webrtc:add-ice-candidate', 'webrtc:end-of-ice-candidates'
    // again and again) while its connection is already closed
    if (seen.has(e.type)) return
    seen.add(e.type)
    if (opts.progress != null) opts.progress.stage = `${e.type} at ${Date.now() - started} ms`
    clearTimeout(idle)
    idle = setTimeout(expire, opts.idleMs, `no progress for ${opts.idleMs} ms after ${e.type}`)
    if (e.type === ICE_STEP && opts.iceMs != null) ice = setTimeout(expire, opts.iceMs, `no link ${opts.iceMs} ms after ICE began`, true)
  }
  try {
    return await libp2p.dial(addrs, { signal: opts.signal == null ? timeout.signal : AbortSignal.any([opts.signal, timeout.signal]), onProgress })
  } catch (err) {
    // our own limit: say so, whatever error the (possibly shared) dial rejected with
    throw timeout.signal.aborted ? timeout.signal.reason : err
  } finally {
    clearTimeout(idle)
    clearTimeout(cap)
    clearTimeout(ice)
  }
}
