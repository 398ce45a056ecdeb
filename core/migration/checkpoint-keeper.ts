/**
 * The service's periodic checkpoints, end to end (service.ts): a checkpoint a running task posted
 * is stored as a blob here, kept by another peer (`keep`) and recorded by a `job.checkpoint` ledger
 * entry; a task claimed again after its holder vanished resumes from its slot's last checkpoint;
 * checkpoint blobs superseded by a newer one, or whose task ended, are dropped (checkpoint-gc.ts),
 * and so are those a restart left in the journal that the ledger never recorded. Each checkpoint
 * held here is indexed as it is stored or kept (chunk-index.ts: its chunks' names and SHA-256s),
 * so that an offer of the task to this peer names the chunks it holds without reading them.
 */
import type { HeldTask } from '../jobs/worker.ts'
import type { JobEvent } from '../jobs/state.ts'
import { CheckpointHoldings } from './checkpoint-gc.ts'
import { decodeChunkIndex, encodeChunkIndex, indexMemory, type ChunkIndex } from './chunk-index.ts'
import { DEFAULT_CHUNK_BYTES } from './dirty.ts'
import type { MigrationRequester } from './direct-request.ts'
import type { OutgoingBase } from './outgoing.ts'
import { decodeResponse, encodeRequest, encodeResponse } from './protocol-codec.ts'
import type { CheckpointStats, MigrationComponents } from './service-types.ts'
import { decodeSnapshot, readSnapshotClockNs } from './snapshot-codec.ts'
import { keyOf, type RunningTask } from './task-control.ts'

type Components = Pick<MigrationComponents, 'self' | 'jobs' | 'fetchBlob' | 'putBlob' | 'getBlob' | 'removeBlob' | 'hasBlob' | 'checkpointJournal' | 'checkpointIndexes' | 'peers' | 'sha256'>

export class CheckpointKeeper {
  readonly stats: CheckpointStats = { recorded: 0, failed: 0, resumed: 0, dropped: 0, droppedBytes: 0, orphansDropped: 0 }
  private readonly holdings = new CheckpointHoldings()
  /** blobs in flight: stored here, not yet handed to `hold` */
  private readonly storing = new Set<string>()
  private orphanTimer: ReturnType<typeof setTimeout> | undefined
  private n = 0
  /** the chunk index of each checkpoint blob held here (chunk-index.ts), made when it was stored */
  private readonly indexes = new Map<string, ChunkIndex>()
  /** blobs being indexed */
  private readonly indexing = new Set<string>()

  constructor (
    private readonly c: Components,
    private readonly request: MigrationRequester,
    private readonly log: (m: string) => void,
    private readonly out: (event: string, fields: Record<string, unknown>, human: string) => void,
    private readonly extraBytes = 64 * 1024 * 1024
  ) {}

  /** a checkpoint's own cap (service-types.ts `checkpointExtraBytes`): its job's memory cap and the extra */
  private capOf (job: string): { maxBytes: number } | undefined {
    const memory = this.c.jobs.state.jobs.get(job)?.spec.memoryBytes
    return memory != null ? { maxBytes: memory + this.extraBytes } : undefined
  }

  /** this peer holds checkpoint blob `id` of `slot` (and says so durably) */
  hold (slot: { job: string, task: number, replica: number }, id: string): void {
    this.holdings.add(slot, id)
    this.c.checkpointJournal?.add(id)
  }

  private drop (id: string): number {
    this.indexes.delete(id)
    this.c.checkpointIndexes?.remove(id)
    const freed = this.c.removeBlob?.(id) ?? 0
    this.c.checkpointJournal?.remove(id)
    this.stats.dropped++
    this.stats.droppedBytes += freed
    return freed
  }

  /** A checkpoint blob fetched to keep for another peer (`keep`), held once it is here. */
  async keep (blob: string, from: string, slot: { job: string, task: number, replica: number }): Promise<void> {
    this.storing.add(blob)
    try {
      const bytes = await this.c.fetchBlob(blob, [from], this.capOf(slot.job))
      this.hold(slot, blob)
      this.index(blob, bytes)
    } finally {
      this.storing.delete(blob)
    }
  }

  /**
   * Names checkpoint `id`'s chunks (its encoded snapshot: `snapshot`) in the background, 4 MiB
   * between turns of the event loop, and keeps the index while the blob is held (and beside it,
   * when the peer keeps indexes durably), so that an offer of the task here only compares names.
   */
  private index (id: string, snapshot: Uint8Array): void {
    if (this.indexes.has(id) || this.indexing.has(id)) return
    let memory: Uint8Array
    try {
      memory = decodeSnapshot(snapshot, { viewMemory: true }).memory
    } catch (err) {
      this.log(`checkpoint blob ${id.slice(0, 12)}… is not a snapshot this build reads (${err instanceof Error ? err.message : String(err)}): not indexed`)
      return
    }
    this.indexing.add(id)
    indexMemory(memory, id, this.c.sha256).then(ix => {
      if (!this.holdings.has(id)) return // dropped meanwhile
      this.indexes.set(id, ix)
      this.c.checkpointIndexes?.write(id, encodeChunkIndex(ix))
    }, (err: unknown) => {
      this.log(`checkpoint blob ${id.slice(0, 12)}… could not be indexed: ${err instanceof Error ? err.message : String(err)}`)
    }).finally(() => { this.indexing.delete(id) })
  }

  /**
   * The chunk index of checkpoint blob `id` held here: kept since it was stored, or read back from
   * where the peer keeps indexes (a restart); one missing or unreadable there is made again in the
   * background from the blob (this call answers none: the offer asking gets every chunk sent).
   */
  indexOf (id: string): ChunkIndex | undefined {
    const ix = this.indexes.get(id)
    if (ix != null || !this.holdings.has(id)) return ix
    const stored = this.c.checkpointIndexes?.read(id)
    if (stored != null) {
      try {
        const read = decodeChunkIndex(stored, { blob: id })
        // one written by an earlier build in another chunk size (8 KiB before session 16) matches
        // no offer of this build's: made again in this build's size
        if (read.chunkBytes !== DEFAULT_CHUNK_BYTES) throw new RangeError(`its chunks are ${read.chunkBytes} bytes, not ${DEFAULT_CHUNK_BYTES}`)
        this.indexes.set(id, read)
        return read
      } catch (err) {
        this.log(`the chunk index of checkpoint blob ${id.slice(0, 12)}… is unreadable (${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}): made again`)
        this.c.checkpointIndexes?.remove(id)
      }
    }
    if (!this.indexing.has(id)) {
      setTimeout(() => {
        const bytes = this.holdings.has(id) ? this.c.getBlob?.(id) : undefined
        if (bytes != null) this.index(id, bytes)
      }, 0)
    }
    return undefined
  }

  /** The ledger's events: checkpoints recorded (held when their blob is here) and superseded or ended (dropped). */
  onEvents (events: JobEvent[]): void {
    // a checkpoint blob on this peer's disk from before a restart is known again when the ledger
    // replays its commit at start, so superseding it (later in the replay or live) still drops it
    for (const e of events) if (e.type === 'checkpointed' && this.c.hasBlob?.(e.snapshot) === true) this.hold(e, e.snapshot)
    for (const id of this.holdings.apply(events)) this.drop(id)
  }

  /**
   * After the ledger replayed its stored commits: journal entries it did not record are
   * checkpoints stored or kept before a restart and never committed — dropped after `graceMs`
   * unless a commit records them meanwhile (or at once for a grace of 0).
   */
  start (graceMs: number): void {
    const journal = this.c.checkpointJournal
    // an index whose checkpoint the journal no longer lists (a crash between the two removals)
    const listed = new Set(journal?.list() ?? [])
    for (const id of this.c.checkpointIndexes?.list() ?? []) if (!listed.has(id)) this.c.checkpointIndexes?.remove(id)
    if (journal == null) return
    const candidates = journal.list().filter(id => !this.holdings.has(id))
    if (candidates.length === 0) return
    if (graceMs <= 0) this.dropOrphans(candidates)
    else this.orphanTimer = setTimeout(() => { this.dropOrphans(candidates) }, graceMs)
  }

  stop (): void { clearTimeout(this.orphanTimer) }

  private dropOrphans (candidates: string[]): void {
    for (const id of candidates) {
      if (this.holdings.has(id) || this.storing.has(id)) continue
      if (this.c.hasBlob?.(id) === false) { this.c.checkpointJournal?.remove(id); this.c.checkpointIndexes?.remove(id); continue }
      const freed = this.drop(id)
      this.stats.orphansDropped++
      this.log(`checkpoint blob ${id.slice(0, 12)}… from before the restart was never recorded in the ledger: dropped (${freed} bytes)`)
    }
  }

  /**
   * Stores a checkpoint here, has another peer keep it, and records it in the ledger. `tag`: the
   * worker's tag for it (it remembers the checkpoint's chunk hashes under it): the task's
   * `lastCheckpoint`, a later move's base.
   */
  async store (r: RunningTask, snapshot: Uint8Array, tag = 0): Promise<void> {
    const at = performance.now() // a little after the worker took it: a move's dirty rate from it errs high (round-budget.ts)
    try {
      const id = this.c.putBlob(snapshot, this.capOf(r.held.job))
      this.hold(r.held, id)
      if (tag > 0) r.lastCheckpoint = { tag, blob: id, at }
      this.index(id, snapshot) // the task may come back here
      const { job, task, replica, token } = r.held
      const keepers = this.c.peers().filter(p => p !== this.c.self)
      let keeper: string | undefined
      const refusals: string[] = []
      for (const k of keepers) {
        const res = decodeResponse(await this.request(k, encodeRequest({ type: 'keep', id: `cp-${this.n++}`, job, task, replica, token, blob: id }), { timeoutMs: 60_000 }).catch((err: unknown) => encodeResponse({ type: 'refuse', reason: err instanceof Error ? err.message : String(err) })))
        if (res.type === 'ok') { keeper = k; break }
        refusals.push(`${k}: ${res.type === 'refuse' ? res.reason : res.type}`)
      }
      if (keeper == null) throw new Error(`no peer kept the checkpoint (${refusals.join('; ') || 'no other peers'})`)
      if (r.ended) return
      await this.c.jobs.submit({ kind: 'job.checkpoint', body: { at: Date.now(), job, task, replica, token, snapshot: id, keeper } }, { timeoutMs: 60_000 })
      this.stats.recorded++
    } catch (err) {
      this.stats.failed++
      this.stats.lastError = err instanceof Error ? err.message : String(err)
      this.log(`checkpoint of ${keyOf(r.held)}: ${this.stats.lastError}`)
    } finally {
      r.checkpointing = false
    }
  }

  /** The memory of checkpoint blob `id` held here (a view into the blob's bytes), if it reads. */
  memoryOf (id: string): Uint8Array | undefined {
    const bytes = this.c.getBlob?.(id)
    return bytes != null ? decodeSnapshot(bytes, { viewMemory: true }).memory : undefined
  }

  /**
   * The task's last checkpoint stored here as a move's base (outgoing.ts): its worker's tag, its
   * index (made here from its bytes), and its chunks, read only for one a target claimed but lacks.
   * Undefined until it is indexed.
   */
  base (r: RunningTask): OutgoingBase | undefined {
    const last = r.lastCheckpoint
    const index = last != null ? this.indexOf(last.blob) : undefined
    if (last == null || index == null) return undefined
    let memory: Uint8Array | undefined
    return {
      tag: last.tag,
      index,
      ...(last.at != null ? { takenAt: last.at } : {}),
      chunk: async i => {
        try { memory ??= this.memoryOf(last.blob) } catch (err) { this.log(`checkpoint blob ${last.blob.slice(0, 12)}… does not read: ${err instanceof Error ? err.message : String(err)}`) }
        return memory?.subarray(i * index.chunkBytes, (i + 1) * index.chunkBytes)
      }
    }
  }

  /** The slot's last recorded checkpoint (a task claimed again after its holder vanished), if any can be fetched and read. */
  async last (held: HeldTask): Promise<Uint8Array | undefined> {
    const cp = this.c.jobs.state.jobs.get(held.job)?.tasks[held.task]?.slots[held.replica]?.checkpoint
    if (cp == null) return undefined
    try {
      const bytes = await this.c.fetchBlob(cp.snapshot, [cp.keeper, cp.by, ...this.c.peers()], this.capOf(held.job))
      // one an older build took (another snapshot version) does not fit this build's instrumenting
      readSnapshotClockNs(bytes)
      this.hold(held, cp.snapshot)
      this.stats.resumed++
      this.out('migration:resumed', { job: held.job, task: held.task, replica: held.replica, snapshot: cp.snapshot, keeper: cp.keeper }, `migration   ${held.job} task ${held.task} resumes from its checkpoint kept by ${cp.keeper}`)
      return bytes
    } catch (err) {
      this.log(`task ${keyOf(held)}: its checkpoint ${cp.snapshot.slice(0, 12)}… could not be fetched or read (${err instanceof Error ? err.message : String(err)}): it starts from the beginning`)
      return undefined
    }
  }
}
