/**
 * The source side of one live migration: the holder of a running, checkpointable task moves it to
 * a target over `/novacron/migration/1.6.0` (protocol-codec.ts).
 *
 *  1. offer: the first target that accepts (it checks the lease, fetches and instruments the
 *     module — once per module — and says which chunks it holds) gets the task;
 *  2. pre-copy: while the task runs on, rounds of memory deltas (`copyMemory`: the chunks its
 *     worker found changed since the last round, dirty.ts; all of them the first time), each
 *     sending only the chunks the target lacks (precopy.ts), until a round sends under `stopBelow`
 *     of memory (or, on a warm move, the pause's delta is predicted to fit `downtimeBudgetMs`:
 *     round-budget.ts), a round is not at most `converge` of the one before (the task dirties memory
 *     about as fast as it is sent) — unless the context can throttle the task: then it is slowed
 *     to the next of `throttleSteps` (auto-converge) and pre-copy goes on until the steps run out —,
 *     twice the memory went out (three times with throttling), or `maxRounds` is reached; chunks
 *     the target reports corrupted are sent again;
 *  3. stop-and-copy: pause the task (its snapshot without memory, and the chunks changed since the
 *     last round), send that last delta and `final` (the snapshot without memory, the recipe, the
 *     snapshot digest: digest.ts); the target checks and rebuilds it;
 *  4. handover: a `job.handover` ledger entry (new holder, new fencing token) — once it commits, the
 *     task leaves this peer; if anything before that fails, the task goes on here in its paused
 *     instance (its worker kept it).
 * Downtime is measured from the pause request to the handover's commit.
 */
import type { HandoverEntry } from '../jobs/entries.ts'
import type { PauseDecision } from '../jobs/runner.ts'
import type { MemoryDelta } from '../jobs/worker-protocol.ts'
import { snapshotDigestOf, type SyncSha256 } from './digest.ts'
import { MigrationFailedError } from './errors.ts'
import { ChunkBatchWriter, type BatchChunk } from './chunk-batch.ts'
import type { ChunkIndex } from './chunk-index.ts'
import { DEFAULT_CHUNK_BYTES } from './dirty.ts'
import { PreCopySender, type RoundPlan } from './precopy.ts'
import { DowntimeBudget } from './round-budget.ts'
import { decodeSnapshot } from './snapshot-codec.ts'
import { decodeResponse, encodeRequest, MIGRATION_PROTOCOL, type MigrationRequest, type MigrationResponse } from './protocol-codec.ts'

export interface MigrationRecord {
  id: string
  job: string
  task: number
  replica: number
  from: string
  to: string
  /** the lease token the source held (fenced once the handover commits) */
  token: { epoch: number, slot: number }
  status: 'running' | 'done' | 'failed'
  /** pause request → handover committed, ms */
  downtimeMs?: number
  /** bytes of chunk frames, snapshot and recipe sent */
  bytesSent: number
  /** the task's linear memory at the pause */
  memoryBytes: number
  rounds: number
  /** chunks sent again because the target found them corrupted or missing */
  resentChunks: number
  /** chunks the target said it held already (from a checkpoint of the task it keeps): never sent */
  targetHad?: number
  /** whether the first delta started from the task's checkpoint the target keeps (no full delta) */
  seeded?: boolean
  /** the highest throttle (% of the task's time slept) pre-copy set to converge, if any */
  throttlePct?: number
  /**
   * why pre-copy stopped: `budget` (a warm move: the pause's delta was predicted to fit the downtime
   * budget, round-budget.ts), `small` (a round under `stopBelow` of memory), `converge` (a round did
   * not shrink and no throttle step was left), `sent` (the memory sent twice, three times
   * throttled), `rounds` (`maxRounds`)
   */
  precopyStop?: 'budget' | 'small' | 'converge' | 'sent' | 'rounds'
  /** each pre-copy round: the worker's copy (ms), its chunks sent (ms), the delta's and the sent bytes, the throttle once its chunks went out (if any) */
  precopyRounds?: Array<{ copyMs: number, sendMs: number, deltaBytes: number, sentBytes: number, throttlePct?: number }>
  /**
   * where the downtime went, ms: the pause (request → snapshot and last delta here: the worker
   * hashes memory and copies the changed chunks), the last delta (send those chunks:
   * `deltaBytes`), the snapshot's digest, `final` (the target checks the digest and the recipe),
   * the handover's commit
   */
  downtimePhases?: { pauseMs: number, deltaMs: number, deltaBytes: number, digestMs: number, finalMs: number, handoverMs: number }
  /** where the task stopped: the WASI function it had just called, or `novacron.poll` (a poll point) */
  pausedIn?: string
  error?: string
  startedAt: number
  endedAt?: number
}

/** What one migration needs from the service around it. */
export interface OutgoingContext {
  self: string
  request: (peer: string, payload: Uint8Array, timeoutMs: number) => Promise<Uint8Array>
  submitHandover: (body: HandoverEntry) => Promise<{ handedOver: boolean, why?: string }>
  /**
   * the running task's memory chunks changed since the last call (`fresh`: start tracking anew,
   * every chunk — or, with `base`, the tag of the checkpoint `base()` names, every chunk changed
   * since it), or undefined when it ended first
   */
  copyMemory: (fresh: boolean, base?: number) => Promise<MemoryDelta | undefined>
  /**
   * pauses the task: its snapshot encoded without memory and the chunks changed since the last
   * `copyMemory` (`fresh`: every chunk, or with `base` those changed since that checkpoint), or
   * undefined when it ended first
   */
  pause: (fresh: boolean, base?: number) => Promise<{ snapshot: Uint8Array, delta: MemoryDelta } | undefined>
  /**
   * the task's last checkpoint held here, which a target keeping it need not be sent: the tag its
   * worker remembers it under, its chunk index (chunk-index.ts: names and SHA-256s by index, made
   * here from its bytes) and a reader of its chunks (to send one the target claimed but lacks)
   * @default none: every move starts with a full delta
   */
  base?: () => OutgoingBase | undefined
  /**
   * asks the task's worker to make the buffer of a delta listing every chunk ready while the
   * offer goes out (dirty.ts `prepare`), so that the first full delta — the pause's, with no
   * pre-copy round — does not page fresh memory in during the downtime @default none
   */
  prepareFull?: () => void
  /** after a pause: go on here (in the paused instance), or leave */
  decide: (d: PauseDecision) => void
  /**
   * slows the task to this share of its time slept (0: full speed) while pre-copy does not
   * converge; set back to 0 when the migration ends @default no throttling
   */
  throttle?: (pct: number) => void
  /** the task's memory size now, as its worker last published it (the offer carries it) @default unknown */
  memoryBytes?: () => number | undefined
  /**
   * the chunk size the task's worker tracks its memory in (its run's `chunkBytes`, dirty.ts): the
   * offer announces it, and a delta of another size fails the move @default DEFAULT_CHUNK_BYTES (4 KiB)
   */
  chunkBytes?: number
  log: (message: string) => void
  /** a synchronous SHA-256 for the chunks' digests (digest.ts) @default WebCrypto's */
  sha256?: SyncSha256
}

export interface OutgoingBase {
  tag: number
  index: ChunkIndex
  chunk: (i: number) => Promise<Uint8Array | undefined>
  /** when that checkpoint was asked of the worker (`performance.now()`), if known: the first round's delta then gives the task's dirty rate */
  takenAt?: number
}

export interface OutgoingOptions {
  /** pre-copy rounds while the task runs @default 8 */
  maxRounds?: number
  /**
   * go on pre-copying only while each round is at most this share of the one before (a delta that
   * shrinks this fast is worth another round: the pause's delta is the downtime) @default 0.75
   */
  converge?: number
  /** stop pre-copying once a round sends less than this share of memory @default 0.02 */
  stopBelow?: number
  /**
   * a warm move (it starts from the checkpoint the target keeps) also stops pre-copying once the
   * pause's delta is predicted to take at most this long — the worker's copy and the chunks sent —
   * from the rounds' own timing (round-budget.ts); 0: only `stopBelow` @default 300
   */
  downtimeBudgetMs?: number
  /**
   * auto-converge (with `OutgoingContext.throttle`): a round that is not at most `converge` of the
   * one before raises the task's throttle to the next of these (% of its time slept) and pre-copy
   * goes on, up to three times the memory sent; past the last, pre-copy stops @default [50, 75, 90]
   */
  throttleSteps?: number[]
  /**
   * throttle only when the round that did not shrink was over this many bytes; a smaller one is
   * cheap to send in the downtime, and slowing the task would only cost more rounds' bytes (the
   * counter in mesh.test.ts rewrites its 64 KiB table within any round: throttled, it sent 430 KB
   * in 6 rounds for 192 KiB of memory instead of 217 KB in 3) @default 4 MiB
   */
  throttleAbove?: number
  /**
   * auto-converge from the first round (with `OutgoingContext.throttle`; round-budget.ts
   * `throttleFor`): as soon as a round's delta gives the task's dirty rate and its first chunks the
   * path's throughput, the task is throttled so that each round is about this share of the one
   * before — while that round is still going out, instead of once a whole round failed to shrink.
   * Only for a round over `throttleAbove`, and only ever raised during a move; 0: off @default 0.25
   */
  convergeRatio?: number
  /** chunk frame bytes per request @default 512 KiB */
  batchBytes?: number
  /** per request; an offer may wait for the target to instrument the module @default 120000 */
  requestTimeoutMs?: number
  /** test-only: corrupt the first chunk frame sent, once (the target must ask for it again) */
  corruptFirstChunk?: boolean
}

export async function migrateOut (
  ctx: OutgoingContext,
  task: { id: string, job: string, task: number, replica: number, token: { epoch: number, slot: number } },
  targets: string[],
  opts: OutgoingOptions = {}
): Promise<MigrationRecord> {
  const timeout = opts.requestTimeoutMs ?? 120_000
  const batchBytes = opts.batchBytes ?? 512 * 1024
  const rec: MigrationRecord = { id: task.id, job: task.job, task: task.task, replica: task.replica, from: ctx.self, to: '', token: task.token, status: 'running', bytesSent: 0, memoryBytes: 0, rounds: 0, resentChunks: 0, startedAt: Date.now() }
  let corrupt = opts.corruptFirstChunk === true
  let target = ''

  async function call (msg: MigrationRequest, to = target): Promise<MigrationResponse> {
    const payload = encodeRequest(msg)
    if (msg.type !== 'offer' && msg.type !== 'abort') rec.bytesSent += payload.length
    return decodeResponse(await ctx.request(to, payload, timeout))
  }

  // frames are written into one buffer reused from request to request (chunk-batch.ts): one
  // request is in flight at a time, and its bytes are not needed once the target answered
  const writer = new ChunkBatchWriter()
  async function sendChunks (chunks: BatchChunk[], sent?: (bytes: number, ms: number) => void): Promise<void> {
    const flush = async (batch: BatchChunk[]): Promise<void> => {
      const t0 = performance.now()
      let bytes = 0
      let pending = batch
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 3) throw new MigrationFailedError(`${pending.length} chunk(s) still arrive corrupted after ${attempt} tries`)
        if (corrupt) ctx.log(`TEST: corrupting chunk ${pending[0].hash} in transit`)
        const payload = writer.write(task.id, pending, corrupt)
        corrupt = false
        rec.bytesSent += payload.length
        bytes += payload.length
        const res = decodeResponse(await ctx.request(target, payload, timeout))
        if (res.type === 'refuse') throw new MigrationFailedError(`the target refused chunks: ${res.reason}`)
        if (res.type !== 'resend') throw new MigrationFailedError(`the target answered chunks with ${res.type}`)
        const again = new Set(res.hashes)
        pending = pending.filter(c => again.has(c.hash))
        rec.resentChunks += pending.length
      }
      sent?.(bytes, performance.now() - t0)
    }
    let from = 0
    let size = 0
    for (let k = 0; k < chunks.length; k++) {
      size += chunks[k].chunk.length
      if (size >= batchBytes) { await flush(chunks.slice(from, k + 1)); from = k + 1; size = 0 }
    }
    if (from < chunks.length) await flush(chunks.slice(from))
  }
  const toSend = (plan: RoundPlan): BatchChunk[] => [...plan.send].map(([hash, chunk]) => {
    const index = plan.index.get(hash)
    if (index == null) throw new RangeError(`chunk ${hash} has no index: live migration sends fixed chunks`)
    return { index, hash, chunk }
  })

  // 1. offer (the worker prepares the first full delta's buffer meanwhile — unless a checkpoint
  // here may spare the full delta: then only once the target turned out not to keep it)
  const chunkBytes = ctx.chunkBytes ?? DEFAULT_CHUNK_BYTES
  const baseHere = ctx.base?.()
  if (baseHere == null) ctx.prepareFull?.()
  let have: string[] | undefined
  const refusals: string[] = []
  for (const t of targets) {
    // a target whose ledger view lags may not have seen our claim yet: ask it again a few times;
    // one that could not be reached (a fresh dial to a tab whose link just closed timed out) once
    // more, then the next target (a leaving peer's grace period is short)
    let unreached = 0
    for (let attempt = 0; attempt < 5 && have == null; attempt++) {
      if (attempt > 0) await new Promise(resolve => setTimeout(resolve, 500 * attempt))
      try {
        const res = await call({ type: 'offer', id: task.id, job: task.job, task: task.task, replica: task.replica, token: task.token, memoryBytes: ctx.memoryBytes?.() ?? 0, chunkBytes }, t)
        if (res.type === 'accept') { target = t; have = res.have; break }
        refusals.push(`${t}: ${res.type === 'refuse' ? res.reason : res.type}`)
        if (res.type !== 'refuse' || !res.reason.startsWith('not the holder')) break
      } catch (err) {
        refusals.push(`${t}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`)
        if (++unreached >= 2) break
      }
    }
    if (have != null) break
  }
  if (have == null) throw new MigrationFailedError(`no target accepted the task (${refusals.join('; ') || 'no candidate peers'})`)
  rec.to = target
  rec.targetHad = have.length
  const sender = new PreCopySender({ targetHas: have, ...(ctx.sha256 != null ? { sha256: ctx.sha256 } : {}) })
  // a target keeping the task's last checkpoint (it names every chunk of it): the worker starts
  // from that checkpoint's hashes, so the first delta lists only what changed since — no full
  // delta of all memory, and the chunks the target holds are named, not copied, here
  const base = seedFrom(baseHere, have)
  if (base != null) sender.seed(base.index)
  else if (baseHere != null) ctx.prepareFull?.()
  rec.seeded = base != null
  let paused: { snapshot: Uint8Array, delta: MemoryDelta } | undefined
  try {
    // 2. pre-copy while the task runs; stop once a round is small, not at most `converge` of the
    // one before (the task dirties memory nearly as fast as we send it: more rounds only cost
    // bytes), or twice the memory has gone out
    let previous = Number.POSITIVE_INFINITY
    const steps = ctx.throttle != null ? [...(opts.throttleSteps ?? [50, 75, 90])] : []
    const maxSent = steps.length > 0 ? 3 : 2 // × memory
    // a warm move: stop once the pause's delta fits the downtime budget; any move: the dirty rate
    // and the path's throughput for auto-converge from the first round (round-budget.ts)
    const budget = new DowntimeBudget(base != null ? opts.downtimeBudgetMs ?? 300 : 0, base?.takenAt)
    const ratio = ctx.throttle != null ? opts.convergeRatio ?? 0.25 : 0
    const throttleAbove = opts.throttleAbove ?? 4 << 20
    let throttle = 0
    const raise = (pct: number): void => {
      if (pct <= throttle) return
      throttle = pct
      rec.throttlePct = pct
      ctx.throttle?.(pct)
    }
    const maxRounds = opts.maxRounds ?? 8
    if (maxRounds > 0) rec.precopyStop = 'rounds'
    for (let r = 0; r < maxRounds; r++) {
      const askedAt = performance.now()
      const delta = await ctx.copyMemory(r === 0, base?.tag)
      if (delta == null) throw new MigrationFailedError('the task ended before it could be moved')
      const copiedAt = performance.now()
      sameChunks(delta, chunkBytes)
      const plan = sender.apply(delta)
      rec.rounds++
      budget.copied({ askedAt, copiedAt, deltaBytes: delta.bytes.length })
      // the rate this delta showed was measured under the throttle set while the last round went out
      const early = ratio > 0 && plan.sentBytes > throttleAbove
      const under = throttle
      await sendChunks(toSend(plan), (bytes, ms) => {
        budget.sent(bytes, ms)
        if (early) raise(budget.throttleFor(ratio, under))
      })
      const sentAt = performance.now()
      ;(rec.precopyRounds ??= []).push({ copyMs: Math.round(copiedAt - askedAt), sendMs: Math.round(sentAt - copiedAt), deltaBytes: delta.bytes.length, sentBytes: plan.sentBytes, ...(throttle > 0 ? { throttlePct: throttle } : {}) })
      const size = delta.memoryBytes
      if (budget.fits(performance.now())) { rec.precopyStop = 'budget'; break }
      if (plan.sentBytes < (opts.stopBelow ?? 0.02) * size) { rec.precopyStop = 'small'; break }
      if (sender.sentBytes > maxSent * size) { rec.precopyStop = 'sent'; break }
      if (plan.sentBytes > (opts.converge ?? 0.75) * previous) {
        // not converging: the task dirties memory about as fast as it goes out; slow it, or stop
        while (steps.length > 0 && steps[0] <= throttle) steps.shift() // below what auto-converge set already
        const next = plan.sentBytes > throttleAbove ? steps.shift() : undefined
        if (next == null) { rec.precopyStop = 'converge'; break }
        raise(next)
      }
      previous = plan.sentBytes
    }
    // 3. stop-and-copy
    const pausedAt = performance.now()
    paused = await ctx.pause(rec.rounds === 0, base?.tag)
    if (paused == null) throw new MigrationFailedError('the task ended before it could be paused')
    const pausedMs = performance.now()
    rec.memoryBytes = paused.delta.memoryBytes
    sameChunks(paused.delta, chunkBytes)
    const last = sender.apply(paused.delta)
    rec.rounds++
    await sendChunks(toSend(last))
    const deltaMs = performance.now()
    // the hash list of the chunks' SHA-256s (digest.ts), each started when its chunk was first cut
    const meta = paused.snapshot
    const digest = await snapshotDigestOf(meta, last.recipe.chunks, sender.digests)
    const digestMs = performance.now()
    for (let attempt = 0; ; attempt++) {
      const res = await call({ type: 'final', id: task.id, meta, recipe: last.recipe, sha256: digest })
      if (res.type === 'ok') break
      if (res.type === 'refuse') throw new MigrationFailedError(`the target refused the snapshot: ${res.reason}`)
      if (res.type !== 'resend' || attempt >= 3) throw new MigrationFailedError(`the target could not rebuild the snapshot (${res.type})`)
      // each missing name once, at an index that holds it (the target copies it to the others)
      const missing: BatchChunk[] = []
      const want = new Set(res.hashes)
      for (const [i, c] of last.recipe.chunks.entries()) {
        if (!want.delete(c.hash)) continue
        // a chunk no delta carried is the base checkpoint's (the worker found it unchanged)
        const chunk = sender.chunkAt(i) ?? await base?.chunk(i)
        if (chunk == null) throw new MigrationFailedError(`the target lacks chunk ${c.hash}, which it claimed, and the checkpoint here no longer has it`)
        missing.push({ index: i, hash: c.hash, chunk })
      }
      rec.resentChunks += missing.length
      await sendChunks(missing)
    }
    const finalMs = performance.now()
    // 4. handover through the ledger
    const h = await ctx.submitHandover({ at: Date.now(), job: task.job, task: task.task, replica: task.replica, token: task.token, to: target, snapshot: digest })
    if (!h.handedOver) throw new MigrationFailedError(`the handover was refused: ${h.why ?? 'unknown'}`)
    const end = performance.now()
    rec.downtimeMs = Math.round(end - pausedAt)
    const ms = (a: number, b: number): number => Math.round(b - a)
    rec.downtimePhases = { pauseMs: ms(pausedAt, pausedMs), deltaMs: ms(pausedMs, deltaMs), deltaBytes: last.sentBytes, digestMs: ms(deltaMs, digestMs), finalMs: ms(digestMs, finalMs), handoverMs: ms(finalMs, end) }
    ctx.decide({ leave: `handed over to ${target}` })
    // after the downtime; a report field only: the move is done whatever this says
    try { rec.pausedIn = decodeSnapshot(meta, { detachedMemory: true }).pausedIn } catch (err) { ctx.log(`the paused snapshot's meta did not decode here: ${err instanceof Error ? err.message : String(err)}`) }
    rec.status = 'done'
    rec.endedAt = Date.now()
    return rec
  } catch (err) {
    if (rec.throttlePct != null) ctx.throttle?.(0) // the task runs on here at full speed
    rec.status = 'failed'
    rec.error = err instanceof Error ? `${err.name}: ${err.message}` : String(err)
    rec.endedAt = Date.now()
    if (paused != null) ctx.decide({ resume: true })
    void call({ type: 'abort', id: task.id }).catch((e: unknown) => { ctx.log(`abort to ${target}: ${e instanceof Error ? e.message : String(e)}`) })
    throw err instanceof MigrationFailedError ? err : new MigrationFailedError(rec.error)
  }
}

/** The base to start from when the target named every chunk of it (a keeper of that checkpoint). */
function seedFrom (base: OutgoingBase | undefined, have: readonly string[]): OutgoingBase | undefined {
  if (base == null || base.tag <= 0 || base.index.count === 0) return undefined
  const held = new Set(have)
  for (const name of base.index.names()) if (!held.has(name)) return undefined
  return base
}

/** A delta cut in another chunk size than the offer announced would be placed at wrong offsets. */
function sameChunks (delta: MemoryDelta, chunkBytes: number): void {
  if (delta.chunkBytes !== chunkBytes) throw new MigrationFailedError(`the task's worker tracks ${delta.chunkBytes}-byte chunks, but the offer announced ${chunkBytes}`)
}
