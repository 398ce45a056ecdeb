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
  /**
   * the chunks the owner already found matching their names (`checkBase`, on its thread, before
   * moving the memory): the worker copies those without hashing them again @default hashed here
   */
  held?: Uint8Array
}

/**
 * The flags of `memory`'s chunks whose xxh64 matches `hashes` (1 = intact), hashed a slice at a time
 * between turns of the event loop (4 MiB): what the target checks of its kept checkpoint on its
 * main thread, where the memory was just read (warm pages, ~0.1–0.3 s for 256 MiB), so that `final`
 * needs only these flags and never waits for the worker's copy into fresh instance memory.
 */
export async function checkBase (memory: Uint8Array, hashes: BigUint64Array, chunkBytes: number): Promise<Uint8Array> {
  const held = new Uint8Array(hashes.length)
  const n = Math.min(hashes.length, Math.floor(memory.length / chunkBytes))
  const every = Math.max(1, Math.floor((4 << 20) / chunkBytes))
  for (let i = 0; i < n; i++) {
    if (xxh64(memory.subarray(i * chunkBytes, (i + 1) * chunkBytes)) === hashes[i]) held[i] = 1
    if ((i + 1) % every === 0) await new Promise(resolve => setTimeout(resolve, 0))
  }
  return held
}

/** What the worker made ahead reports once it copied the base in. */
export interface BaseCopy {
  /** by chunk index: 1 where the instance holds the base's chunk (copied, its name matched) */
  held: Uint8Array
}

/**
 * Copies `base`'s chunks into `memory` (an instance's memory, faulted in or not) at their indices,
 * each only when its xxh64 matches the index (or, given `base.held`, only those it flags); the flags
 * of the chunks copied. Chunks past either memory's end are not held.
 */
export function copyBase (memory: Uint8Array, base: WarmBase): Uint8Array {
  const cb = base.chunkBytes
  const n = Math.min(base.hashes.length, Math.floor(base.memory.length / cb), Math.floor(memory.length / cb))
  const held = new Uint8Array(base.hashes.length)
  const checked = base.held != null && base.held.length === base.hashes.length ? base.held : undefined
  for (let i = 0; i < n; i++) {
    const chunk = base.memory.subarray(i * cb, (i + 1) * cb)
    if (checked != null ? checked[i] !== 1 : xxh64(chunk) !== base.hashes[i]) continue
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
