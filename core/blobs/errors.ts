/**
 * Typed errors of the blob layer (core/blobs). One base class, `BlobError`; every subclass sets a
 * static and an instance `name` so callers branch on `err.name`.
 */

export class BlobError extends Error {
  static override name = 'BlobError'
  override name = 'BlobError'
}

/** A blob (to store, or as a peer's manifest declares it) is over the size cap: refused up front. */
export class BlobTooLargeError extends BlobError {
  static override name = 'BlobTooLargeError'
  override name = 'BlobTooLargeError'
}

/** No provider had the blob (or a chunk of it). */
export class BlobNotFoundError extends BlobError {
  static override name = 'BlobNotFoundError'
  override name = 'BlobNotFoundError'
}

/** Received bytes do not match their hash (a chunk's xxHash64 or the blob's SHA-256) after every retry. */
export class BlobCorruptError extends BlobError {
  static override name = 'BlobCorruptError'
  override name = 'BlobCorruptError'
}

/** A blob-protocol message is malformed (bad type, truncated, inconsistent sizes, over a limit). */
export class MalformedBlobMessageError extends BlobError {
  static override name = 'MalformedBlobMessageError'
  override name = 'MalformedBlobMessageError'
}

/** The local chunk store is full and what it could evict is pinned (a live job needs it). */
export class BlobStoreFullError extends BlobError {
  static override name = 'BlobStoreFullError'
  override name = 'BlobStoreFullError'
}

/** One blob is larger than the whole store's cap: it could never be stored, whatever was evicted. */
export class BlobOverStoreCapError extends BlobStoreFullError {
  static override name = 'BlobOverStoreCapError'
  override name = 'BlobOverStoreCapError'
}

/** A blob id is not 64 lowercase hex characters (a SHA-256). */
export class InvalidBlobIdError extends BlobError {
  static override name = 'InvalidBlobIdError'
  override name = 'InvalidBlobIdError'
}
