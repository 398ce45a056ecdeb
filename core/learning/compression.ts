/**
 * The update codec's byte compressor: core-wasm's LZ4 frame (AssemblyScript, isomorphic). Loaded
 * lazily so that the learning engine still runs (uncompressed) in a build without core-wasm, and
 * says why when it does. LZ4 gains little on quantised values (they are near-random bytes) but a
 * lot on sparse index lists and on float32 updates with many exact zeros; the codec keeps the raw
 * body whenever the frame would not be smaller.
 */
import type { Compressor } from './codec.ts'

export interface CompressorChoice { compressor: Compressor | null, name: 'lz4' | 'none', reason?: string }

export async function loadLz4Compressor (): Promise<CompressorChoice> {
  try {
    const wasm = await import('../../core-wasm/index.ts')
    await wasm.initCoreWasm()
    return {
      name: 'lz4',
      compressor: {
        compress: data => wasm.compressFrame(data, { contentSize: true }),
        decompress: (frame, maxOutputSize) => wasm.decompressFrame(frame, { maxOutputSize })
      }
    }
  } catch (err) {
    return { name: 'none', compressor: null, reason: err instanceof Error ? err.message : String(err) }
  }
}
