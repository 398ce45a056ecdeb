/**
 * core/blobs: one content-addressed chunk store and transfer protocol (`/novacron/blobs/1.0.0`)
 * for job modules, inputs and outputs: FastCDC chunks with xxHash64 ids, SHA-256 blob ids, LZ4
 * frames on the wire, verified on receipt, sizes capped. Public names re-exported by name.
 */
export { createBlobService } from './service.ts'
export type { BlobService, BlobServiceInit, BlobComponents, BlobSizeOptions, FetchStats } from './service.ts'
export { MemoryBlobStore, IndexedBlobStore } from './store.ts'
export type { BlobStore, BlobStoreInit, MemoryBlobStoreInit, EvictionStats, CollisionStats } from './store.ts'
export { EvictionIndex, PINNED } from './eviction.ts'
export type { BlobRetention, EvictionPlan } from './eviction.ts'
export { blobId, chunkBlob, assemble, assertBlobId, CHUNKING, MAX_CHUNK_BYTES } from './manifest.ts'
export type { BlobManifest, ChunkRef } from './manifest.ts'
export { BLOBS_PROTOCOL, MAX_CHUNKS_PER_REQUEST, encodeRequest, decodeRequest, encodeResponse, decodeResponse } from './codec.ts'
export type { BlobRequest, BlobResponse } from './codec.ts'
export {
  BlobError, BlobTooLargeError, BlobNotFoundError, BlobCorruptError, MalformedBlobMessageError, BlobStoreFullError, BlobOverStoreCapError, InvalidBlobIdError
} from './errors.ts'
