/**
 * xxHash32 / xxHash64 of byte arrays via the WASM core (the hashes the LZ4 frame format and the
 * chunk store use). Not cryptographic: identifiers and corruption checks only.
 */
import { view, wasm } from './_instance.ts'
import { assertBytes, assertInteger } from './_validate.ts'

/** Runs `fn` with `data` copied into WASM memory. */
export function withBytes<T> (data: Uint8Array, fn: (ptr: number) => T): T {
  const w = wasm()
  const ptr = w.alloc(Math.max(1, data.length))
  try {
    view(ptr, data.length).set(data)
    return fn(ptr)
  } finally {
    w.free(ptr)
  }
}

export function xxh32 (data: Uint8Array, seed = 0): number {
  assertBytes(data, 'data')
  assertInteger(seed, 'seed', 0, 0xFFFFFFFF)
  return withBytes(data, ptr => wasm().xxh32(ptr, data.length, seed) >>> 0)
}

export function xxh64 (data: Uint8Array, seed = 0n): bigint {
  assertBytes(data, 'data')
  if (typeof seed !== 'bigint') throw new TypeError('seed must be a bigint')
  return withBytes(data, ptr => BigInt.asUintN(64, wasm().xxh64(ptr, data.length, BigInt.asIntN(64, seed))))
}

/** xxHash64 as 16 lower-case hex digits (the chunk id format). */
export function xxh64Hex (data: Uint8Array): string {
  return xxh64(data).toString(16).padStart(16, '0')
}
