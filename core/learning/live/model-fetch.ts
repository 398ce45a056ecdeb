/**
 * Committed weights fetched by hash from one peer. Two ways, both refused — counted as
 * `refusedWeights`, a `WeightsHashMismatchError` — unless the result hashes to what was asked:
 *
 * - `fetchWeights` (`getModel`): the whole model, decompressed when LZ4-framed (bounded by the
 *   model's size), parsed as weights.ts's format. A peer that missed rounds (or holds no earlier
 *   model) takes this way.
 * - `fetchDelta` (`getDelta`, tasks with a quantised downlink): only the round's quantised delta
 *   from the model this peer holds (`base`, the previous head); rebuilt by delta.ts. About b/32 of
 *   the dense bytes.
 *
 * `rebuildFromDelta` is `fetchDelta`'s rebuild and check, also used for a delta carried by a `start`
 * (model-store.ts `acceptDelta`).
 */
import type { Compressor } from '../codec.ts'
import { LiveRoundError, WeightsHashMismatchError } from '../errors.ts'
import { applyDelta } from './delta.ts'
import type { LiveRpc } from './rpc.ts'
import type { LiveStats } from './status.ts'
import { bytesToHex, hexToBytes32, weightsFromBytes, weightsHash } from './weights.ts'

/**
 * A source linked to this peer only through the relay (requests are refused there) is dialled
 * first, for at most this long. Before, such a fetch was refused at once, so a drawn coordinator
 * holding no direct link to the last round's coordinator or participants could not fetch the head
 * until the mesh linked it to one (backing off up to 5 s a try) while the others waited for it:
 * the likeliest cause of the 17.8 s round 1 → 2 gap in bench/live-learning at 8 peers
 * (docs/learning.md, "Round-time tail").
 */
export const FETCH_DIAL_MS = 1000

export async function fetchWeights (rpc: LiveRpc, peer: string, hash: string, o: { size: number, maxModelBytes: number, compressor?: Compressor | undefined, stats: LiveStats }): Promise<Float32Array> {
  const m = await rpc.call(peer, { type: 'getModel', hash: hexToBytes32(hash) }, o.maxModelBytes + 128, FETCH_DIAL_MS)
  if (m.type !== 'model') throw new LiveRoundError(`unexpected ${m.type} answer`)
  if (bytesToHex(m.hash) !== hash) { o.stats.refusedWeights++; throw new WeightsHashMismatchError(`${peer} answered other weights than ${hash.slice(0, 12)}`) }
  return unpackWeights(hash, m.lz4, m.bytes, peer, o)
}

/**
 * Weights sent as weights.ts writes them, LZ4-framed when `lz4` (decompressed to at most
 * `maxModelBytes`), that must hash to `hash`: a `model` answer, or the whole model a coordinator
 * hands over (`hold`, holds.ts). Anything else throws: a `WeightsHashMismatchError` (counted as
 * `refusedWeights`) or a `LiveRoundError` / `RangeError` for bytes that are not `size` weights.
 */
export function unpackWeights (hash: string, lz4: boolean, bytes: Uint8Array, peer: string, o: { size: number, maxModelBytes: number, compressor?: Compressor | undefined, stats: LiveStats }): Float32Array {
  let raw = bytes
  if (lz4) {
    if (o.compressor == null) throw new LiveRoundError('LZ4 weights but no decompressor')
    raw = o.compressor.decompress(bytes, o.maxModelBytes)
  }
  const w = weightsFromBytes(raw, o.size)
  if (weightsHash(w) !== hash) {
    o.stats.refusedWeights++
    throw new WeightsHashMismatchError(`weights from ${peer} do not hash to ${hash.slice(0, 12)}`)
  }
  return w
}

/** The model `hash` rebuilt from `base` (held, named `baseHash`) and the delta `peer` serves; the delta body is returned too (to serve on). */
export async function fetchDelta (rpc: LiveRpc, peer: string, hash: string, base: Float32Array, baseHash: string, o: { maxUpdateBytes: number, compressor?: Compressor | undefined, stats: LiveStats }): Promise<{ weights: Float32Array, body: Uint8Array }> {
  const m = await rpc.call(peer, { type: 'getDelta', hash: hexToBytes32(hash) }, o.maxUpdateBytes + 128, FETCH_DIAL_MS)
  if (m.type !== 'delta') throw new LiveRoundError(`unexpected ${m.type} answer`)
  if (bytesToHex(m.base) !== baseHash) throw new LiveRoundError(`${peer}'s delta to ${hash.slice(0, 12)} starts from another model`)
  if (bytesToHex(m.hash) !== hash) { o.stats.refusedWeights++; throw new WeightsHashMismatchError(`${peer} answered a delta to another model than ${hash.slice(0, 12)}`) }
  return { weights: rebuildFromDelta(base, hash, m.body, peer, o), body: m.body }
}

/**
 * The model `hash` rebuilt from `base` and a delta body that `peer` served or sent (a `delta`
 * answer, or one carried with a `start`: participant.ts): a malformed body is a `LiveRoundError`
 * (delta.ts), a result that does not hash to `hash` a `WeightsHashMismatchError`, counted as
 * `refusedWeights`.
 */
export function rebuildFromDelta (base: Float32Array, hash: string, body: Uint8Array, peer: string, o: { maxUpdateBytes: number, compressor?: Compressor | undefined, stats: LiveStats }): Float32Array {
  const w = applyDelta(base, body, { maxBytes: o.maxUpdateBytes, compressor: o.compressor })
  if (weightsHash(w) !== hash) {
    o.stats.refusedWeights++
    throw new WeightsHashMismatchError(`delta from ${peer} does not rebuild ${hash.slice(0, 12)}`)
  }
  return w
}
