/**
 * Entry point of the NovaCron core WebAssembly module: the exports the TypeScript loader
 * (core-wasm/index.ts) binds. Memory is managed with the TLSF allocator of AssemblyScript's
 * `minimal` runtime through `alloc`/`free`; no managed objects cross the boundary — only
 * numbers and pointers into linear memory.
 */
export { xxh32, xxh64 } from './xxhash'
export { compressBound } from './lz4block'
export { encCreate, encFree, encInputPtr, encOutputPtr, encBlockMax, encHeader, encBlock, encEnd } from './lz4encode'
export {
  decCreate, decFree, decInputPtr, decInputSpace, decCommit, decOutputPtr, decOutputLen,
  decProduced, decContentSize, decStep, decEnd, decFramesDone
} from './lz4frame'
export { cdcChunks, cdcConsumed } from './cdc'
export {
  logBinomialPmf, logBinomialCdf, logBinomialSf, logHypergeomPmf, logHypergeomCdf, logHypergeomSf
} from './stats'
export { evalQuorum, solveQuorum } from './quorum'
export { vrfIo, vrfDecode, vrfTryH, vrfFinish } from './ecvrf'

export function alloc (size: usize): usize {
  return heap.alloc(size)
}

export function free (ptr: usize): void {
  heap.free(ptr)
}
