#!/bin/sh
# Regenerates the reference LZ4 frames in this folder with the Debian `lz4` tool (v1.9.4 made the
# committed ones). Each <input>.bin is compressed with every flag set below into
# <input>.<variant>.lz4; test/wasm/lz4-reference-vectors.test.ts decodes each and compares with the
# .bin. Run from this folder: sh make-vectors.sh
set -eu
for f in text zeros random empty json; do
  lz4 -q -f -c            "$f.bin" > "$f.default.lz4"
  lz4 -q -f -c -9         "$f.bin" > "$f.l9.lz4"
  lz4 -q -f -c --content-size "$f.bin" > "$f.content-size.lz4"
  lz4 -q -f -c -BX        "$f.bin" > "$f.block-checksum.lz4"
  lz4 -q -f -c -BD -B4    "$f.bin" > "$f.linked-64k.lz4"
  lz4 -q -f -c --no-frame-crc "$f.bin" > "$f.no-frame-crc.lz4"
  lz4 -q -f -c -12 -BD -BX --content-size -B4 "$f.bin" > "$f.l12-all.lz4"
done
# Block-linked frames across several 64 KiB blocks (matches reach into the previous block).
lz4 -q -f -c -BD -B4 long.bin > long.linked-64k.lz4
lz4 -q -f -c -9 -BD -B4 -BX long.bin > long.l9-linked-64k-block-checksum.lz4
# Two frames back to back with a skippable frame (magic 0x184D2A5A, 5 bytes) between them:
# decodes to text.bin followed by zeros.bin.
{ cat text.default.lz4; printf '\132\052\115\030\005\000\000\000skip!'; cat zeros.default.lz4; } > concat-skippable.lz4
