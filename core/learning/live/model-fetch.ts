/**
 * Committed weights fetched by hash from one peer (`getModel`): the answer is decompressed when
 * LZ4-framed (bounded by the model's size), parsed as weights.ts's format, and refused — counted
 * as `refusedWeights`, a `WeightsHashMismatchError` — unless it hashes to what was asked.
 */
import type { Compressor } from '../codec.ts'
import { LiveRoundError, WeightsHashMismatchError } from '../errors.ts'
import type { LiveRpc } from './rpc.ts'
import type { LiveStats } from './status.ts'
import { bytesToHex, hexToBytes32, weightsFromBytes, weightsHash } from './weights.ts'

export async function fetchWeights (rpc: LiveRpc, peer: string, hash: string, o: { size: number, maxModelBytes: number, compressor?: Compressor | undefined, stats: LiveStats }): Promise<Float32Array> {
  const m = await rpc.call(peer, { type: 'getModel', hash: hexToBytes32(hash) }, o.maxModelBytes + 128)
  if (m.type !== 'model') throw new LiveRoundError(`unexpected ${m.type} answer`)
  let raw = m.bytes
  if (m.lz4) {
    if (o.compressor == null) throw new LiveRoundError('LZ4 weights but no decompressor')
    raw = o.compressor.decompress(m.bytes, o.maxModelBytes)
  }
  const w = weightsFromBytes(raw, o.size)
  if (weightsHash(w) !== hash || bytesToHex(m.hash) !== hash) {
    o.stats.refusedWeights++
    throw new WeightsHashMismatchError(`weights from ${peer} do not hash to ${hash.slice(0, 12)}`)
  }
  return w
}
