/**
 * Node only: lets go of the closed data channels node-datachannel's `RTCPeerConnection` polyfill
 * never removes (issue 21, core/net/datachannel-tracker.ts).
 *
 * The polyfill (0.33.x) keeps every data channel the remote opens in a private set
 * (`#dataChannels`, compiled to a module-private WeakMap keyed by the peer connection) and removes
 * only the channels it created itself when they close. Nothing public reaches that set, but its
 * `getStats()` reads the set's size synchronously, inside its Promise executor. So, once per peer
 * connection, WeakMap.prototype.get is wrapped for the duration of one `getStats()` call (no other
 * JavaScript runs meanwhile) and the one Set it returns for that peer connection is kept. The
 * capture is checked before use: it must be a Set holding the channel being released; otherwise
 * nothing is removed and the channel stays held as before (with its handlers stripped, and the
 * per-link `maxHeldChannels` budget still bounding it). Upstream fix: the polyfill's
 * `onDataChannel` should delete the channel on 'close', as `createDataChannel` does
 * (reproduction in docs/mesh.md, "Long-lived peers").
 */
import type { ChannelReleaser } from '../../core/net/index.ts'

/** Per peer connection: its captured set, or null once a capture came back empty while connected. */
const sets = new WeakMap<object, Set<unknown> | null>()

function capture (pc: object): Set<unknown> | null | undefined {
  const getStats = (pc as { getStats?: () => Promise<unknown> }).getStats
  if (typeof getStats !== 'function') return null
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const original = WeakMap.prototype.get
  const found: Array<Set<unknown>> = []
  WeakMap.prototype.get = function (this: WeakMap<object, unknown>, key: object) {
    const value = original.call(this, key)
    if (key === pc && value instanceof Set) found.push(value)
    return value
  }
  let promise: Promise<unknown> | undefined
  try {
    promise = getStats.call(pc)
  } catch {
    return null
  } finally {
    WeakMap.prototype.get = original
  }
  promise?.catch(() => {})
  // the polyfill returns early (before reading the set) while no candidate pair is selected: try later
  return found.length === 1 ? found[0] : undefined
}

/** Removes a closed, remote-opened `channel` from its peer connection's polyfill set. */
export const releaseHeldChannel: ChannelReleaser = (pc, channel) => {
  let set = sets.get(pc)
  if (set === undefined) {
    const got = capture(pc)
    if (got !== undefined) sets.set(pc, got)
    set = got ?? null
  }
  return set?.delete(channel) ?? false
}
