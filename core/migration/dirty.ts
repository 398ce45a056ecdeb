/**
 * Dirty tracking of a running task's linear memory, inside its worker (worker-run.ts).
 *
 * The tracker keeps the xxHash64 of every fixed, aligned chunk of memory as last sent. A pre-copy
 * round or the pause hashes memory in place (core-wasm's xxh64: ~0.1 s for 256 MiB here, no
 * allocation) and posts only the chunks whose hash changed, with their indices and hashes — so a
 * round costs one hashing pass plus the changed bytes, not a 256 MiB copy posted and hashed again
 * on the owner's thread, and the pause posts the last delta instead of the whole memory. The hashes
 * are the chunks' names in the migration protocol (precopy.ts): the owner does not hash them again.
 *
 * An xxh64 collision between a chunk's old and new bytes would leave that chunk stale on the
 * target; only the task itself chooses its memory, so only it could aim for one, and only to its
 * own harm (THREAT_MODEL.md). A new `epoch` (a new migration) starts over: every chunk is sent.
 */
import { xxh64 } from '../../core-wasm/index.ts'
import type { MemoryDelta, PausedReply } from '../jobs/worker-protocol.ts'
import { decodeSnapshot, encodeSnapshotWith } from './snapshot-codec.ts'

/**
 * Fixed chunk size of live migration (precopy.ts, worker-run.ts, the offer's `chunkBytes`): one
 * 4 KiB page, the unit a task dirties. With 8 KiB chunks (up to session 15) one page written at
 * random dirtied a whole chunk, its unchanged neighbour page sent along: a task writing 5 % of its
 * pages a second dirtied ~10 % of 8 KiB chunks a second, and every delta was about twice what it
 * changed (docs/migration.md, "4 KiB chunks"). @default
 */
export const DEFAULT_CHUNK_BYTES = 4096
/** the chunk sizes an offer may announce (protocol-codec.ts): whole pages, at most 64 KiB */
export const MIN_CHUNK_BYTES = 4096
export const MAX_CHUNK_BYTES = 65536

export class DirtyTracker {
  private hashes = new BigUint64Array(0)
  /** chunks whose hash in `hashes` is what the owner holds */
  private known = 0
  private epoch: number | undefined
  /** where partial deltas are written, reused (`reuse`) */
  private scratch: Uint8Array | undefined
  /** a buffer made ready for the next delta that lists every chunk (`prepare`), and when */
  private prepared: { bytes: Uint8Array, at: number } | undefined
  /** the chunks' hashes at the last checkpoint (`remember`), under the owner's tag for it */
  private base: { tag: number, hashes: BigUint64Array } | undefined

  /**
   * `reuse`: a delta that does not list every chunk is written into one shared buffer kept from
   * delta to delta (grown when too small), whose pages are then already faulted in — a fresh
   * 124 MB delta cost ~1 s of page faults here, inside the pause. Its bytes are then valid only
   * until the next delta: the owner must be done with them before it asks for another (a
   * migration's source is: it sends a round before it asks for the next, and keeps what it needs
   * in its mirror). A delta listing every chunk always gets a buffer of its own (the source keeps
   * the first as its mirror). @default false
   */
  constructor (readonly chunkBytes = DEFAULT_CHUNK_BYTES, private readonly reuse = false) {
    if (!Number.isInteger(chunkBytes) || chunkBytes < 64 || chunkBytes > 1 << 20) throw new RangeError('chunkBytes must be an integer from 64 to 1 MiB')
  }

  /** Lets the reused and prepared buffers go (the migration is over and the task runs on here). */
  dropScratch (): void { this.scratch = undefined; this.prepared = undefined }

  /**
   * Makes the buffer of a delta listing every chunk of a `memoryBytes` memory ready now, its pages
   * faulted in, so that delta (a stop-and-copy's pause, or pre-copy's first round) copies into
   * warm pages: a fresh 256 MiB buffer cost ~0.9 s of page faults here, inside the pause. Used by
   * the next full delta of exactly that size (its buffer is transferred: it must be the whole
   * buffer); let go after `maxAgeMs` unused (`expire`).
   */
  prepare (memoryBytes: number, now = performance.now()): Uint8Array {
    const bytes = new Uint8Array(memoryBytes)
    for (let i = 0; i < bytes.length; i += 4096) bytes[i] = 0 // a write faults the page in
    this.prepared = { bytes, at: now }
    return bytes
  }

  /** Lets a prepared buffer older than `maxAgeMs` go (its migration never paused). */
  expire (now = performance.now(), maxAgeMs = 60_000): void {
    if (this.prepared != null && now - this.prepared.at > maxAgeMs) this.prepared = undefined
  }

  /**
   * Remembers the hashes of `memory`'s chunks as of a checkpoint the owner tags `tag` (> 0): a
   * later epoch started from that tag (`delta`'s `base`) lists only the chunks changed since, so a
   * move to a target that keeps that checkpoint sends no full delta (one xxh64 pass, no copy).
   */
  remember (memory: Uint8Array, tag: number): void {
    if (!(tag > 0)) return
    const n = Math.ceil(memory.length / this.chunkBytes)
    const hashes = this.base?.hashes.length === n ? this.base.hashes : new BigUint64Array(n)
    for (let i = 0; i < n; i++) hashes[i] = xxh64(memory.subarray(i * this.chunkBytes, Math.min((i + 1) * this.chunkBytes, memory.length)))
    this.base = { tag, hashes }
  }

  /** whether a prepared buffer is held */
  get hasPrepared (): boolean { return this.prepared != null }

  private out (bytes: number, full: boolean): Uint8Array {
    if (full) {
      const p = this.prepared
      this.prepared = undefined
      return p != null && p.bytes.length === bytes ? p.bytes : new Uint8Array(bytes)
    }
    if (!this.reuse || typeof SharedArrayBuffer === 'undefined') return new Uint8Array(bytes)
    if (this.scratch == null || this.scratch.length < bytes) this.scratch = new Uint8Array(new SharedArrayBuffer(bytes))
    return this.scratch.subarray(0, bytes)
  }

  /**
   * The chunks of `memory` (a view of the live memory) that changed since the last delta of the
   * same `epoch` — under a new epoch every chunk, or, when `base` is the tag of the checkpoint
   * remembered here (`remember`), the chunks changed since that checkpoint — copied out; from now
   * on they count as sent.
   */
  delta (memory: Uint8Array, epoch: number, base = 0): MemoryDelta {
    const cb = this.chunkBytes
    const n = Math.ceil(memory.length / cb)
    const fresh = epoch !== this.epoch
    const seeded = fresh && base > 0 && this.base?.tag === base
    const full = fresh && !seeded
    this.epoch = epoch
    if (full) this.known = 0
    if (seeded && this.base != null) {
      const from = this.base.hashes
      if (this.hashes.length < from.length) this.hashes = new BigUint64Array(from.length)
      this.hashes.set(from)
      this.known = Math.min(from.length, n)
    }
    if (this.hashes.length < n) {
      const grown = new BigUint64Array(n)
      grown.set(this.hashes)
      this.hashes = grown
    }
    const dirty: number[] = []
    let bytes = 0
    for (let i = 0; i < n; i++) {
      const off = i * cb
      const len = Math.min(cb, memory.length - off)
      const h = xxh64(memory.subarray(off, off + len))
      if (i < this.known && h === this.hashes[i]) continue
      this.hashes[i] = h
      dirty.push(i)
      bytes += len
    }
    this.known = n
    const out = this.out(bytes, full)
    const indices = Uint32Array.from(dirty)
    const hashes = new BigUint64Array(dirty.length)
    let pos = 0
    for (const [k, i] of dirty.entries()) {
      const off = i * cb
      const chunk = memory.subarray(off, Math.min(off + cb, memory.length))
      out.set(chunk, pos)
      pos += chunk.length
      hashes[k] = this.hashes[i]
    }
    return { memoryBytes: memory.length, chunkBytes: cb, full, indices, hashes, bytes: out }
  }
}

/** A chunk's xxh64 as its protocol name (16 lower-case hex digits, as core-wasm's `xxh64Hex`). */
export const chunkName = (h: bigint): string => h.toString(16).padStart(16, '0')

/**
 * The whole encoded snapshot of a pause whose delta lists every chunk (one under a new epoch: no
 * copy before it), e.g. to resume the task elsewhere from it.
 */
export function wholeSnapshot (paused: Pick<PausedReply, 'snapshot' | 'delta'>): Uint8Array {
  const { delta } = paused
  if (!delta.full || delta.bytes.length !== delta.memoryBytes) throw new RangeError('only a pause whose delta lists every chunk makes a whole snapshot')
  return encodeSnapshotWith(decodeSnapshot(paused.snapshot, { detachedMemory: true, maxMemoryBytes: 0 }), delta.memoryBytes, dst => { dst.set(delta.bytes) })
}
