/**
 * Errors of the WASM core. The module reports failures as numeric codes (assembly/errors.ts);
 * this file is the one message table for them. `Lz4Error.code` is the stable thing to test on.
 */

/** Numeric codes returned by the WASM core; keep in step with assembly/errors.ts. */
export const Lz4ErrorCode = {
  BAD_MAGIC: 1,
  UNSUPPORTED_VERSION: 2,
  RESERVED_BIT: 3,
  BAD_BLOCK_SIZE_ID: 4,
  HEADER_CHECKSUM: 5,
  BLOCK_TOO_LARGE: 6,
  CORRUPT_BLOCK: 7,
  BLOCK_CHECKSUM: 8,
  CONTENT_CHECKSUM: 9,
  CONTENT_SIZE: 10,
  TRUNCATED: 11,
  OUTPUT_LIMIT: 12,
  DICTIONARY: 13,
  LEGACY_FORMAT: 14,
  OUT_OF_MEMORY: 15,
  BAD_ARGUMENT: 16
} as const

export type Lz4ErrorCodeValue = typeof Lz4ErrorCode[keyof typeof Lz4ErrorCode]

const messages: Record<number, string> = {
  [Lz4ErrorCode.BAD_MAGIC]: 'not an LZ4 frame (unknown magic number)',
  [Lz4ErrorCode.UNSUPPORTED_VERSION]: 'unsupported LZ4 frame version',
  [Lz4ErrorCode.RESERVED_BIT]: 'reserved bit set in the frame descriptor',
  [Lz4ErrorCode.BAD_BLOCK_SIZE_ID]: 'invalid block maximum size in the frame descriptor',
  [Lz4ErrorCode.HEADER_CHECKSUM]: 'frame header checksum mismatch',
  [Lz4ErrorCode.BLOCK_TOO_LARGE]: 'block larger than the declared block maximum size',
  [Lz4ErrorCode.CORRUPT_BLOCK]: 'corrupt compressed block',
  [Lz4ErrorCode.BLOCK_CHECKSUM]: 'block checksum mismatch',
  [Lz4ErrorCode.CONTENT_CHECKSUM]: 'content checksum mismatch',
  [Lz4ErrorCode.CONTENT_SIZE]: 'decoded size differs from the declared content size',
  [Lz4ErrorCode.TRUNCATED]: 'input ended in the middle of a frame (truncated)',
  [Lz4ErrorCode.OUTPUT_LIMIT]: 'decoded data would exceed maxOutputSize',
  [Lz4ErrorCode.DICTIONARY]: 'frame needs a dictionary (not supported)',
  [Lz4ErrorCode.LEGACY_FORMAT]: 'legacy LZ4 format (lz4 -l) is not supported',
  [Lz4ErrorCode.OUT_OF_MEMORY]: 'WebAssembly memory exhausted',
  [Lz4ErrorCode.BAD_ARGUMENT]: 'invalid argument passed to the WASM core'
}

/** A frame could not be decoded (or encoded); `code` is one of Lz4ErrorCode. */
export class Lz4Error extends Error {
  static override name = 'Lz4Error'
  override name = 'Lz4Error'
  constructor (readonly code: number, detail?: string) {
    super(`LZ4 error ${code}: ${messages[code] ?? 'unknown error'}${detail != null ? ` (${detail})` : ''}`)
  }
}

/** Message for a code, for logs and the CLI. */
export function lz4ErrorMessage (code: number): string {
  return messages[code] ?? 'unknown error'
}

/** A chunk recipe or a delta could not be decoded or applied. */
export class DedupError extends Error {
  static override name = 'DedupError'
  override name = 'DedupError'
}

/** A synchronous function was called before `await initCoreWasm()`. */
export class CoreWasmNotReadyError extends Error {
  static override name = 'CoreWasmNotReadyError'
  override name = 'CoreWasmNotReadyError'
  constructor () {
    super('core-wasm is not initialised: await initCoreWasm() once before calling its functions')
  }
}
