/**
 * NovaCron core-wasm: the one TypeScript loader of the AssemblyScript core (LZ4 frames,
 * content-defined chunking, quorum math, the curve half of ECVRF verification). Works unchanged
 * in Node and in the browser bundle.
 *
 *   await initCoreWasm()            // once; everything below is synchronous afterwards
 *   const frame = compressFrame(bytes)
 *   const back = decompressFrame(frame, { maxOutputSize: 1 << 26 })
 *   const { q } = solveQuorum({ n: 100, f: 10, sampleSize: 20, targetFailure: 1e-9 })
 */
export { initCoreWasm, isCoreWasmReady, wasmMemoryBytes } from './_instance.ts'
export { Lz4Error, Lz4ErrorCode, lz4ErrorMessage, DedupError, CoreWasmNotReadyError } from './errors.ts'
export type { Lz4ErrorCodeValue } from './errors.ts'
export {
  compressFrame, decompressFrame, decompressFrameInto, Lz4FrameEncoder, Lz4FrameDecoder, compressStream, decompressStream,
  LZ4_BLOCK_SIZES
} from './lz4.ts'
export type { CompressFrameOptions, DecompressFrameOptions, Lz4EncoderOptions, Lz4BlockSize, BlockSink } from './lz4.ts'
export {
  logBinomialPmf, binomialPmf, logBinomialCdf, binomialCdf, logBinomialSf, binomialSf,
  logHypergeomPmf, hypergeomPmf, logHypergeomCdf, hypergeomCdf, logHypergeomSf, hypergeomSf,
  solveQuorum, evaluateQuorum
} from './math.ts'
export type { QuorumParams, QuorumSolution } from './math.ts'
export { chunkData, createDelta, applyDelta, encodeRecipe, decodeRecipe, encodeDelta, decodeDelta } from './dedup.ts'
export type { ChunkingOptions, Chunk, ChunkRecipe, Delta } from './dedup.ts'
export { xxh32, xxh64, xxh64Hex } from './hash.ts'
export { ecvrfDecode, ecvrfTryCandidate, ecvrfFinish } from './vrf.ts'
