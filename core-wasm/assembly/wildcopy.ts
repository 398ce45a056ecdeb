/** The one over-copying helper shared by the LZ4 compressor and decompressor. */

/**
 * Copies `n` bytes (n > 0) in 16-byte strides; may read and write up to 15 bytes past either end,
 * so callers keep that much slack after their buffers (see SLACK in lz4block.ts).
 */
// @ts-ignore: decorator
@inline export function wildCopy16 (dst: usize, src: usize, n: usize): void {
  const end = dst + n
  do {
    v128.store(dst, v128.load(src))
    dst += 16; src += 16
  } while (dst < end)
}
