/**
 * A committed round's model rebuilt from the previous one and the round's quantised delta
 * (aggregate-round.ts step 4): model(r) = model(r−1) + dequantised(delta(r)), each sum rounded to
 * float32 once, in index order — the same arithmetic the coordinator used, so the result hashes to
 * the committed `hash` on every peer. The body is the engine's update encoding (codec.ts), decoded
 * with the model's size and the body limit, so a hostile body is an `UpdateDecodeError` (wrapped
 * in a `LiveRoundError`) and bounded work, never a crash.
 */
import { decodeUpdate, type Compressor } from '../codec.ts'
import { LiveRoundError } from '../errors.ts'

export function applyDelta (base: Float32Array, body: Uint8Array, o: { maxBytes: number, compressor?: Compressor | undefined }): Float32Array {
  let values: Float32Array
  try {
    values = decodeUpdate(body, { expectedSize: base.length, maxBytes: o.maxBytes, ...(o.compressor != null ? { compressor: o.compressor } : {}) }).values
  } catch (err) {
    throw new LiveRoundError(`model delta: ${err instanceof Error ? err.message : String(err)}`)
  }
  const out = new Float32Array(base.length)
  for (let i = 0; i < out.length; i++) out[i] = base[i] + values[i]
  return out
}
