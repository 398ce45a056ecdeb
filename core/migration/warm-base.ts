/**
 * A kept checkpoint copied into an arriving task's instance memory ahead of its snapshot (session
 * 15): the target of a move keeps the task's last checkpoint, so most of the memory that arrives
 * at the handover is already here. Until session 14 its bytes were copied into the session's
 * memory image (chunk-image.ts `fill`: 256 MiB of fresh pages on the main thread, 5–7 s under load,
 * and `final` waited for it); now the worker made ahead for the task (warm-arrivals.ts) copies them
 * straight into the instance it will resume in — pages it faulted in anyway — on its own thread,
 * checking each chunk against the checkpoint's index as it goes. The image then holds only the
 * chunks that arrived, and the resume copies only those over the base (`applyOver`).
 *
 * Integrity: a chunk whose bytes do not match its index name is not copied (the instance keeps
 * whatever was there) and not flagged as held: the target asks the source for it at `final`, as for
 * any chunk it cannot produce.
 */
import { xxh64 } from '../../core-wasm/index.ts'

/** The kept checkpoint a worker made ahead copies in (by its index: chunk-index.ts). */
export interface WarmBase {
  /** its memory (moved to the worker where it can be) */
  memory: Uint8Array
  /** chunk i's xxh64, as the index names it */
  hashes: BigUint64Array
  chunkBytes: number
}

/** What the worker made ahead reports once it copied the base in. */
export interface BaseCopy {
  /** by chunk index: 1 where the instance holds the base's chunk (copied, its name matched) */
  held: Uint8Array
}

/**
 * Copies `base`'s chunks into `memory` (an instance's memory, faulted in or not) at their indices,
 * each only when its xxh64 matches the index; the flags of the chunks copied. Chunks past either
 * memory's end are not held.
 */
export function copyBase (memory: Uint8Array, base: WarmBase): Uint8Array {
  const cb = base.chunkBytes
  const n = Math.min(base.hashes.length, Math.floor(base.memory.length / cb), Math.floor(memory.length / cb))
  const held = new Uint8Array(base.hashes.length)
  for (let i = 0; i < n; i++) {
    const chunk = base.memory.subarray(i * cb, (i + 1) * cb)
    if (xxh64(chunk) !== base.hashes[i]) continue
    memory.set(chunk, i * cb)
    held[i] = 1
  }
  return held
}

/**
 * Writes `snapshot` (a memory of whole `chunkBytes` chunks) over `memory`, except the chunks
 * `baseHeld` flags (the instance holds them already: `copyBase`). A `RangeError` when the flags
 * name more chunks than the snapshot has.
 */
export function applyOver (memory: Uint8Array, snapshot: Uint8Array, baseHeld: Uint8Array, chunkBytes: number): void {
  const n = Math.ceil(snapshot.length / chunkBytes)
  if (baseHeld.length > n) throw new RangeError(`${baseHeld.length} chunk flags for a memory of ${n} chunks`)
  let i = 0
  while (i < n) {
    if (i < baseHeld.length && baseHeld[i] === 1) { i++; continue }
    let j = i + 1 // a run of chunks to copy: one set() for it
    while (j < n && !(j < baseHeld.length && baseHeld[j] === 1)) j++
    memory.set(snapshot.subarray(i * chunkBytes, Math.min(j * chunkBytes, snapshot.length)), i * chunkBytes)
    i = j
  }
}
