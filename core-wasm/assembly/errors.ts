/**
 * Numeric error codes returned (negated) by the WASM core. The TypeScript loader owns the message
 * table (core-wasm/errors.ts) — keep both lists in the same order.
 */
export const E_OK: i32 = 0
export const E_BAD_MAGIC: i32 = 1
export const E_UNSUPPORTED_VERSION: i32 = 2
export const E_RESERVED_BIT: i32 = 3
export const E_BAD_BLOCK_SIZE_ID: i32 = 4
export const E_HEADER_CHECKSUM: i32 = 5
export const E_BLOCK_TOO_LARGE: i32 = 6
export const E_CORRUPT_BLOCK: i32 = 7
export const E_BLOCK_CHECKSUM: i32 = 8
export const E_CONTENT_CHECKSUM: i32 = 9
export const E_CONTENT_SIZE: i32 = 10
export const E_TRUNCATED: i32 = 11
export const E_OUTPUT_LIMIT: i32 = 12
export const E_DICTIONARY: i32 = 13
export const E_LEGACY_FORMAT: i32 = 14
export const E_OUT_OF_MEMORY: i32 = 15 // raised by the loader when the allocator aborts
export const E_BAD_ARGUMENT: i32 = 16
