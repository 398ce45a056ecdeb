/**
 * How many bytes a block of an epoch may hold. A block is one consensus value, and a NEW-VIEW
 * carries a value with each of its VIEW-CHANGEs (up to n of them) plus its own, in one frame of at
 * most `MAX_FRAME_BYTES`: so the cap falls with n, keeping a view change sendable at every replica
 * count (n = 7: 252 KiB, n = 16: 237 KiB, n = 32: 122 KiB, n = 64: 62 KiB). A leader proposes at
 * most `min(ledger.maxBlockBytes, blockCap(n))`; a replica refuses a proposed (or NEW-VIEW) block
 * over `blockCap(n)` before any other check, as a bad value. Larger blocks are what make a bulk
 * load fast: a decision's fixed cost (~12 VRF checks and 2 proofs per replica at n = 7) is spread
 * over 4× the entries of the old 60 KiB block.
 */
import { MAX_BLOCK_BYTES, MAX_FRAME_BYTES } from './codec.ts'

/** room in a frame for the NEW-VIEW's header, votes, signatures and a FORWARD wrapper */
const FRAME_SLACK = 64 * 1024

/** The most bytes a block of an epoch with `n` replicas may hold. */
export function blockCap (n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`replica count must be a positive integer (got ${n})`)
  return Math.min(MAX_BLOCK_BYTES, Math.floor((MAX_FRAME_BYTES - FRAME_SLACK) / (n + 1)))
}
