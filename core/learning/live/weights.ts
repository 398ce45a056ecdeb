/**
 * The numeric format of committed models: a model is its flat float32 parameter vector (model.ts
 * order), serialised little-endian (4 bytes per parameter, no header), and named by the SHA-256 of
 * those bytes (lowercase hex). Every peer that holds the same weights computes the same hash on
 * every platform, so a peer fetching weights by hash checks them before use and refuses the rest.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex } from '@noble/hashes/utils.js'

export function weightsToBytes (w: Float32Array): Uint8Array {
  const out = new Uint8Array(w.length * 4)
  const dv = new DataView(out.buffer)
  for (let i = 0; i < w.length; i++) dv.setFloat32(i * 4, w[i], true)
  return out
}

/** The inverse of `weightsToBytes`; a length that is not `size * 4` is a RangeError. */
export function weightsFromBytes (bytes: Uint8Array, size: number): Float32Array {
  if (bytes.length !== size * 4) throw new RangeError(`weights: expected ${size * 4} bytes, got ${bytes.length}`)
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const out = new Float32Array(size)
  for (let i = 0; i < size; i++) out[i] = dv.getFloat32(i * 4, true)
  return out
}

export function weightsHash (w: Float32Array): string {
  return bytesToHex(sha256(weightsToBytes(w)))
}

export function hexToBytes32 (hex: string): Uint8Array {
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new RangeError('hash must be 64 hex digits')
  const out = new Uint8Array(32)
  for (let i = 0; i < 32; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16)
  return out
}

export { bytesToHex }
