/**
 * The project's compression (core-wasm's LZ4 frame codec) adapted to the backup `Compression`
 * shape. Imported lazily so that the board and memory store never pay for instantiating WASM.
 */
import type { Compression } from './backup.ts'

let cached: Promise<Compression> | undefined

export async function stateCompression (): Promise<Compression> {
  cached ??= (async () => {
    const wasm = await import('../../core-wasm/index.ts')
    await wasm.initCoreWasm()
    return {
      compress: (d: Uint8Array) => wasm.compressFrame(d, { contentSize: true }),
      decompress: (f: Uint8Array, o: { maxOutputSize: number }) => wasm.decompressFrame(f, o)
    }
  })()
  return await cached
}
