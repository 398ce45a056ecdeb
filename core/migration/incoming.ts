/**
 * The target side of live migration: serves `/novacron/migration/1.6.0` (protocol-codec.ts).
 * An `offer` is accepted only from the task's current lease holder under its current token, while
 * this peer's worker has a free slot and fewer than `maxSessions` migrations arrive at once; the
 * module is fetched and instrumented before the answer (once per module). Each chunk is written
 * into the session's memory image at its index once its xxh64 matches (chunk-image.ts; a corrupted
 * one is named in the `resend` answer and asked for again); `final` fills the image to the recipe,
 * checks the snapshot digest (digest.ts: a SHA-256 over each chunk's SHA-256, taken as the chunks
 * landed) and that the snapshot's parts fit its memory, and answers at once: the image then waits
 * for the `job.handover` entry naming this peer and that digest, and the snapshot handed to the
 * new worker is that image with the snapshot's other fields written around it (no copy of memory;
 * service.ts). Sessions idle for `sessionTtlMs` are dropped; a session's image is bounded by the
 * job's memory cap, and the chunk bytes it takes by four times that cap (pre-copy rounds resend
 * dirty chunks; the source stops pre-copying at twice the memory). The offer's memory size (over
 * the cap: refused) is faulted into the image before the answer (chunk-image.ts `fill`) — unless
 * this peer keeps a checkpoint of the task: then the answer names its chunks from the index made
 * when it was stored (chunk-index.ts), nothing of it read or hashed first. After the answer the
 * checkpoint is read, its chunks checked against the index here (warm pages: `checkBase`), and it
 * is moved with those flags to the worker made ahead for the task (`arriving` with a `base`), which
 * copies the intact chunks into the instance it will resume in, on its own thread (warm-base.ts,
 * session 15); the image then holds only what arrived, and the ready snapshot leaves the rest to
 * that worker (`baseHeld`). `final` waits for the read and the check, never for the worker's copy
 * (the resume does). With no such worker the checkpoint is copied into the image, as before.
 */
import type { JobState, JobsState } from '../jobs/state.ts'
import { ChunkImage } from './chunk-image.ts'
import type { ChunkIndex } from './chunk-index.ts'
import type { SyncSha256 } from './digest.ts'
import { ChunkHashError, MigrationDecodeError } from './errors.ts'
import { decodeRequest, encodeResponse, type MigrationRequest, type MigrationResponse } from './protocol-codec.ts'
import { decodeSnapshot } from './snapshot-codec.ts'
import { checkBase, type WarmBase } from './warm-base.ts'

export interface IncomingContext {
  state: JobsState
  /** this peer's worker can take one more task now */
  hasRoom: () => boolean
  /** fetches and instruments the job's module (cached); throws when it cannot be checkpointed */
  prepareModule: (moduleId: string, providers: string[]) => Promise<void>
  /** fetches a checkpoint's blob from `from` and keeps it (the blob layer checks its SHA-256) */
  keep: (blob: string, from: string, slot: { job: string, task: number, replica: number }) => Promise<void>
  /**
   * the newest checkpoint of that slot this peer holds (it keeps the task's checkpoints), by the
   * index made when it was stored (chunk-index.ts), if any: its chunks are reported in `accept`
   * and never sent @default none
   */
  heldCheckpoint?: (slot: { job: string, task: number, replica: number }) => HeldCheckpoint | undefined
  /** a verified snapshot waiting for its handover */
  ready: (r: ReadySnapshot) => void
  /**
   * an offer was accepted for a task whose memory is `memoryBytes` now (0: the source did not
   * say): the service may make the task's worker ready ahead (core/jobs/runner.ts `warm`)
   * @default nothing
   */
  arriving?: (a: Arrival) => Promise<Uint8Array | undefined> | undefined
  log: (message: string) => void
  /** a synchronous SHA-256 for the chunks' digests (digest.ts) @default WebCrypto's */
  sha256?: SyncSha256
}

/**
 * A task arriving (an accepted offer). With `base` (a checkpoint of it kept here: its memory, to be
 * moved to the worker, its chunks' names and the ones found intact), the worker made ahead copies
 * it into its instance (warm-base.ts); `arriving` returns the worker's report of what it holds
 * (only logged), or undefined when no worker is made (the checkpoint then goes into the image).
 */
export interface Arrival {
  id: string, from: string, job: string, task: number, replica: number, memoryBytes: number
  /**
   * a promise (session 16): `arriving` is called at the offer, so the worker starts then, and the
   * base follows once the checkpoint is read and checked (undefined: it could not be)
   */
  base?: WarmBase | Promise<WarmBase | undefined>
}

/** A checkpoint kept here, as an offer uses it. */
export interface HeldCheckpoint {
  /** its chunks' names and SHA-256s, made when it was stored */
  index: ChunkIndex
  /**
   * its memory (read after the `accept` went out, for the new worker's instance or the session's
   * image), if it can be read: each call a buffer of its own, which the session may move to a worker
   */
  memory: () => Uint8Array | undefined
}

export interface ReadySnapshot {
  job: string
  task: number
  replica: number
  from: string
  sha256: string
  /** builds the verified snapshot from the chunks held (once the handover commits) */
  snapshot: () => Uint8Array
  /**
   * by chunk index: 1 where the snapshot leaves the chunk out, as the worker made ahead for it
   * (`arriving`) holds it already (its memory there is zeros): resume in that worker with these
   * flags (`CheckpointRunSpec.baseHeld`), or call `fillBase` on the built snapshot first.
   * Undefined: the snapshot is whole
   */
  baseHeld?: Uint8Array
  /** writes the chunks `baseHeld` flags into the built snapshot, read from the checkpoint kept here (`MigrationDecodeError` when they do not read back) */
  fillBase?: (snapshot: Uint8Array) => void
}

export interface IncomingStats {
  offers: number
  refused: number
  chunksReceived: number
  corruptChunks: number
  snapshotsReady: number
  checkpointsKept: number
  /** ready snapshots that left the kept checkpoint's chunks to the worker made ahead (warm-base.ts) */
  baseInWorker: number
}

interface Session {
  from: string
  job: string
  task: number
  replica: number
  maxBytes: number
  received: number
  image: ChunkImage
  lastActive: number
  /**
   * the kept checkpoint handed to the new worker (after the answer): the flags of its intact chunks,
   * which that worker copies into its instance (warm-base.ts), or undefined once it was copied into
   * the image instead; `final` waits for it (the read and the check, not the worker's copy)
   */
  based?: Promise<Uint8Array | undefined>
  /** the kept checkpoint (for the fallbacks: `fill` when no worker holds it) */
  kept?: HeldCheckpoint
  memoryBytes: number
}

export class MigrationIncoming {
  readonly stats: IncomingStats = { offers: 0, refused: 0, chunksReceived: 0, corruptChunks: 0, snapshotsReady: 0, checkpointsKept: 0, baseInWorker: 0 }
  private readonly sessions = new Map<string, Session>()
  /** offers accepted whose image is being faulted in (they count as sessions) */
  private pretouching = 0

  /**
   * `workerAt`: when a warm target (it keeps the task's checkpoint) makes the task's worker ahead —
   * once the checkpoint is read and checked, handing it over at once (`read`), or at the offer, the
   * checkpoint following as a promise (`offer`: the resume waits less, but on a machine with few
   * cores the worker's compile and 256 MiB of fresh pages then compete with the move itself —
   * docs/migration.md, session 16) @default 'read'
   */
  constructor (private readonly ctx: IncomingContext, private readonly opts: { maxSessions?: number, sessionTtlMs?: number, workerAt?: 'offer' | 'read' } = {}) {}

  /** The request handler (bytes in, bytes out); a malformed request is an error response. */
  async handle (bytes: Uint8Array, peer: string): Promise<Uint8Array> {
    let req: MigrationRequest
    try {
      req = decodeRequest(bytes)
    } catch (err) {
      if (!(err instanceof MigrationDecodeError)) throw err
      this.ctx.log(`migration: malformed request from ${peer}: ${err.message}`)
      return encodeResponse({ type: 'refuse', reason: err.message })
    }
    const res = await this.answer(req, peer)
    if (res.type === 'refuse') { this.stats.refused++; this.ctx.log(`migration ${req.id} from ${peer}: refused ${req.type}: ${res.reason}`) }
    return encodeResponse(res)
  }

  private async answer (req: MigrationRequest, peer: string): Promise<MigrationResponse> {
    const now = Date.now()
    for (const [id, s] of this.sessions) if (now - s.lastActive > (this.opts.sessionTtlMs ?? 120_000)) this.sessions.delete(id)
    if (req.type === 'offer') return await this.offer(req, peer)
    if (req.type === 'keep') {
      const why = this.notHolder(req, peer)
      if (why != null) return { type: 'refuse', reason: why }
      try {
        await this.ctx.keep(req.blob, peer, { job: req.job, task: req.task, replica: req.replica })
      } catch (err) {
        return { type: 'refuse', reason: `could not fetch the checkpoint: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}` }
      }
      this.stats.checkpointsKept++
      return { type: 'ok' }
    }
    const s = this.sessions.get(req.id)
    if (s == null || s.from !== peer) return { type: 'refuse', reason: 'unknown migration: offer first' }
    s.lastActive = now
    switch (req.type) {
      case 'abort':
        this.sessions.delete(req.id)
        return { type: 'ok' }
      case 'chunks': {
        const resend: string[] = []
        for (const { index, frame } of req.chunks) {
          s.received += frame.length
          if (s.received > s.maxBytes * 4) { this.sessions.delete(req.id); return { type: 'refuse', reason: `over the session's budget of ${s.maxBytes * 4} bytes` } }
          try {
            s.image.place(index, frame)
            this.stats.chunksReceived++
          } catch (err) {
            if (err instanceof ChunkHashError) { this.stats.corruptChunks++; resend.push(err.hash); continue }
            if (err instanceof MigrationDecodeError) return { type: 'refuse', reason: err.message }
            throw err
          }
        }
        if (resend.length > 0) this.ctx.log(`migration ${req.id}: ${resend.length} corrupted chunk(s) from ${peer}, asked again`)
        return { type: 'resend', hashes: resend }
      }
      case 'final': {
        // what decodeSnapshot checks of a whole snapshot, the image filled to the recipe (chunks
        // not sent at their index come from elsewhere in it, or are asked for), then the digest
        // over what the image holds (each chunk's SHA-256 was taken as it landed)
        const { recipe } = req
        try {
          const meta = decodeSnapshot(req.meta, { detachedMemory: true, maxMemoryBytes: 0 })
          if (recipe.totalLength % 65536 !== 0) throw new MigrationDecodeError(`memory of ${recipe.totalLength} bytes is not whole 64 KiB pages`)
          if (meta.unwind.length > recipe.totalLength) throw new MigrationDecodeError(`the saved stack of ${meta.unwind.length} bytes is larger than memory`)
          await this.baseIn(s)
          const missing = s.image.resolve(recipe)
          if (missing.length > 0) return { type: 'resend', hashes: missing }
          const digest = await s.image.digest(req.meta, recipe.chunks)
          if (digest !== req.sha256) return { type: 'refuse', reason: `snapshot hash mismatch: rebuilt ${digest}, announced ${req.sha256}` }
          const { image } = s
          let built = false
          this.sessions.delete(req.id)
          this.stats.snapshotsReady++
          const baseHeld = image.baseHeld(recipe.chunks.length)
          if (baseHeld != null) this.stats.baseInWorker++
          this.ctx.ready({
            job: s.job,
            task: s.task,
            replica: s.replica,
            from: peer,
            sha256: digest,
            snapshot: () => {
              if (built) throw new RangeError('a ready snapshot is built once')
              built = true // the image is let go with it
              return image.snapshot(meta, recipe.totalLength)
            },
            ...(baseHeld != null ? { baseHeld, fillBase: (snapshot: Uint8Array) => { image.fillBase(decodeSnapshot(snapshot, { viewMemory: true }).memory) } } : {})
          })
        } catch (err) {
          return { type: 'refuse', reason: `the snapshot does not rebuild: ${err instanceof Error ? err.message : String(err)}` }
        }
        return { type: 'ok' }
      }
    }
  }

  /**
   * At `final`: the flags of the kept checkpoint's intact chunks, which the new worker copies into
   * its instance (checked when the checkpoint was read, right after the answer: normally done by
   * now); none when it went into the image instead.
   */
  private async baseIn (s: Session): Promise<void> {
    if (s.based == null) return
    const held = await s.based // undefined: the checkpoint went into the image instead
    s.based = undefined
    if (held != null && s.kept != null) s.image.useBase(held, s.kept.memory)
  }

  /** Copies the kept checkpoint into session `id`'s image, after the `accept` went out. */
  private async fillKept (id: string, s: Session, read: Uint8Array | undefined): Promise<void> {
    await new Promise(resolve => setTimeout(resolve, 0))
    const { kept, memoryBytes } = s
    if (kept == null) return
    try {
      const memory = read ?? kept.memory()
      if (memory == null) this.ctx.log(`migration ${id}: the checkpoint kept here could not be read: its chunks are asked for at final`)
      await s.image.fill(memoryBytes, memory, () => this.sessions.get(id) !== s)
    } catch (err) {
      this.ctx.log(`migration ${id}: the checkpoint kept here could not be copied in (${err instanceof Error ? err.message : String(err)}): its chunks are asked for at final`)
    }
  }

  /**
   * After the answer: the kept checkpoint read, checked and handed to the worker made ahead with
   * the arrival; the flags of its intact chunks. When no worker is made, or the checkpoint does not
   * read, it is copied into the image instead, and undefined.
   */
  private async baseToWorker (id: string, s: Session, kept: HeldCheckpoint, ahead: { arrival: Arrival } | { based: Promise<Uint8Array | undefined> | undefined, give: (b: WarmBase | undefined) => void }): Promise<Uint8Array | undefined> {
    const made = 'give' in ahead ? ahead : undefined // the worker was made at the offer
    await new Promise(resolve => setTimeout(resolve, 0))
    let memory: Uint8Array | undefined
    try {
      memory = kept.memory()
    } catch (err) {
      this.ctx.log(`migration ${id}: the checkpoint kept here could not be read (${err instanceof Error ? err.message : String(err)}): its chunks are asked for at final`)
    }
    const index = s.image.keptIndex()
    if (memory == null || index == null || memory.length !== index.memoryBytes) {
      if (made != null) made.give(undefined) // the worker made at the offer goes on without a base
      else if ('arrival' in ahead) this.ctx.arriving?.(ahead.arrival)
      await this.fillKept(id, s, memory)
      return undefined
    }
    // checked here, where it was just read (warm pages); the worker copies what matched into its
    // instance on its own thread and `final` never waits for that (the resume does)
    const held = await checkBase(memory, index.hashes, index.chunkBytes)
    if (this.sessions.get(id) !== s) { made?.give(undefined); return undefined }
    const base: WarmBase = { memory, hashes: index.hashes, chunkBytes: index.chunkBytes, held }
    made?.give(base)
    const based = made != null ? made.based : 'arrival' in ahead ? this.ctx.arriving?.({ ...ahead.arrival, base }) : undefined
    if (based == null) { await this.fillKept(id, s, memory); return undefined } // no worker made ahead: into the image
    // the worker's own report is not awaited; a run that does not take that worker after all gets
    // the flagged chunks from the checkpoint read again (ReadySnapshot.fillBase)
    based.catch(() => undefined).then(h => { if (h == null) this.ctx.log(`migration ${id}: the worker made ahead did not report the checkpoint copied in (it died, or was let go)`) }, () => {})
    return held
  }

  /** Why `peer` may not move or checkpoint that task, or undefined when it holds its lease under that token. */
  private notHolder (req: { job: string, task: number, replica: number, token: { epoch: number, slot: number } }, peer: string): string | undefined {
    const job = this.ctx.state.jobs.get(req.job)
    if (job == null || job.status !== 'active') return `job ${req.job} is not active here`
    const lease = job.tasks[req.task]?.slots[req.replica]?.lease
    if (lease == null || lease.worker !== peer || lease.token.epoch !== req.token.epoch || lease.token.slot !== req.token.slot) {
      return 'not the holder: the offering peer does not hold that lease under that token'
    }
    return undefined
  }

  private async offer (req: Extract<MigrationRequest, { type: 'offer' }>, peer: string): Promise<MigrationResponse> {
    this.stats.offers++
    if (this.sessions.size + this.pretouching >= (this.opts.maxSessions ?? 4)) return { type: 'refuse', reason: 'busy: too many migrations arriving' }
    if (!this.ctx.hasRoom()) return { type: 'refuse', reason: 'at capacity: no free task slot' }
    const why = this.notHolder(req, peer)
    if (why != null) return { type: 'refuse', reason: why }
    const job = this.ctx.state.jobs.get(req.job) as JobState
    if (req.memoryBytes > job.spec.memoryBytes) return { type: 'refuse', reason: `a memory of ${req.memoryBytes} bytes is over the job's cap of ${job.spec.memoryBytes}` }
    try {
      await this.ctx.prepareModule(job.spec.module, [peer, job.author])
    } catch (err) {
      return { type: 'refuse', reason: `the module cannot run checkpointably here: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}` }
    }
    // a checkpoint of this task kept here: its chunks' names come from the index made when it was
    // stored (fixed chunks; one of the offer's chunk size matches, another just finds no match) and
    // are never sent; nothing of it is read or hashed before the answer
    const image = new ChunkImage(job.spec.memoryBytes, [], this.ctx.sha256, req.chunkBytes)
    let kept: HeldCheckpoint | undefined
    try {
      kept = this.ctx.heldCheckpoint?.(req)
    } catch (err) {
      this.ctx.log(`migration ${req.id}: the checkpoint kept here could not be found (${err instanceof Error ? err.message : String(err)}): every chunk is sent`)
    }
    const warm = kept != null && image.holdIndex(kept.index)
    const arrival: Arrival = { id: req.id, from: peer, job: req.job, task: req.task, replica: req.replica, memoryBytes: req.memoryBytes }
    // cold: the new instance's memory is made ready meanwhile (its own thread); warm, with
    // `workerAt: 'offer'`, at once too, its base following once read and checked (else then)
    let give: (b: WarmBase | undefined) => void = () => {}
    const early = warm && this.opts.workerAt === 'offer'
    const based = !warm ? this.ctx.arriving?.(arrival) : early ? this.ctx.arriving?.({ ...arrival, base: new Promise<WarmBase | undefined>(resolve => { give = resolve }) }) : undefined
    const s: Session = { from: peer, job: req.job, task: req.task, replica: req.replica, maxBytes: job.spec.memoryBytes, received: 0, image, lastActive: Date.now(), memoryBytes: req.memoryBytes, ...(warm && kept != null ? { kept } : {}) }
    if (!warm) {
      // cold: the image's pages are faulted in before the answer, so the first round's chunks (all
      // of memory) land on warm pages (the session is not known until then: a chunk sent before
      // the answer is refused, never zeroed)
      this.pretouching++
      try {
        await image.fill(req.memoryBytes)
      } finally {
        this.pretouching--
      }
    }
    this.sessions.set(req.id, s)
    // warm: the answer goes out first (the task dirties its memory while we wait, and every chunk
    // dirtied since the checkpoint is sent); then the checkpoint is read and moved to the worker
    // made ahead, which copies it into its instance while the move runs (warm-base.ts); with no
    // such worker, its bytes are copied into the image where no chunk landed yet, as before
    if (warm && kept != null) s.based = this.baseToWorker(req.id, s, kept, early ? { based, give } : { arrival })
    return { type: 'accept', have: image.heldNames() }
  }
}
