/**
 * `npm run bench -- migration [--mib 256] [--pct 5] [--runs 3] [--mbit 100] [--links loopback|throttled|both]
 * [--out <name>] [--throttle on|off] [--unprepared on|off] [--warm 2,5] [--seed on|off] [--base on|off] [--budget 300]
 * [--chunks 4096,8192] [--ahead offer,read] [--converge 0.25,0] [--cold on|off]`: live migration of a
 * task with `--mib` MiB of linear memory of which `--pct` % changes per second
 * (examples/jobs/dirty.c: random bytes, the incompressible worst case), pre-copy against a
 * stop-and-copy baseline of the same task in the same run, over two links: loopback (in-process,
 * no delay) and one throttled to `--mbit` Mbit/s in this harness (each request and response waits
 * bytes × 8 / rate); `--links` runs one of the two only, `--out` names the result file
 * (bench/results/<name>.json, default `migration`).
 *
 * Cold and warm targets: the first rows move the task to a target that holds nothing of it (its
 * first round is all of memory). `--warm <seconds,…>` adds, for each age, a stop-and-copy and a
 * pre-copy to a *warm* target: one that keeps the task's checkpoint taken that many seconds before
 * the move (as a peer keeping the task's periodic checkpoint does: incoming.ts `heldCheckpoint`),
 * whose chunks are never sent (`--warm none`: none of these rows). As a keeper does when it keeps a
 * checkpoint, the target indexes it as soon as it has it (chunk-index.ts), during that age.
 *
 * Real parts: the instrumented module in the Node runner's worker threads, the real codec, fixed 8 KiB chunks,
 * xxh64 and LZ4 on both sides (outgoing.ts → incoming.ts), the target's hash and digest checks.
 * The ledger is a local `JobsState` (the handover applied at once): consensus latency is the jobs
 * and ledger benchmarks' subject, not this one's. Downtime = pause request → handover applied
 * (`downtimeMs`) + the target's resume (a new worker from the snapshot until it runs again, the
 * worker's `resumed` reply: `resumeMs`). Bytes = request bytes the source sent, against the memory size. Medians of `--runs`.
 */
import { loadavg } from 'node:os'
import { encodeJobEntry } from '../core/jobs/entries.ts'
import { JobsState } from '../core/jobs/state.ts'
import type { WarmWorker } from '../core/jobs/runner.ts'
import { indexMemory, type ChunkIndex } from '../core/migration/chunk-index.ts'
import { MigrationIncoming, type ReadySnapshot } from '../core/migration/incoming.ts'
import { migrateOut, type MigrationRecord, type OutgoingBase } from '../core/migration/outgoing.ts'
import { decodeSnapshot } from '../core/migration/snapshot-codec.ts'
import { DEFAULT_CHUNK_BYTES } from '../core/migration/dirty.ts'
import { isChunkSize } from '../core/migration/protocol-codec.ts'
import { CONTROL_PREPARE } from '../core/migration/worker-run.ts'
import { dirtySetup, filled, taskStarter } from './_migration-task.ts'
import { median, writeResult } from './_results.ts'

const argv = process.argv.slice(2)
const flag = (name: string, dflt: number): number => { const i = argv.indexOf(`--${name}`); return i >= 0 ? Number(argv[i + 1]) : dflt }
const MIB = flag('mib', 256)
const PCT = flag('pct', 5)
const RUNS = flag('runs', 3)
const MBIT = flag('mbit', 100)
const str = (name: string, dflt: string): string => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : dflt }
/** `--out <name>`: bench/results/<name>.json @default migration */
const OUT = str('out', 'migration')
/** `--throttle on|off`: auto-converge (outgoing.ts `throttle`) @default on */
const THROTTLE = str('throttle', 'on') === 'on'
/**
 * `--unprepared on|off`: also a stop-and-copy whose worker is not asked to prepare the full delta's
 * buffer during the offer (outgoing.ts `prepareFull`: the baseline for it) @default on
 */
const UNPREPARED = str('unprepared', 'on') === 'on'
/** `--seed on|off`: a warm move starts from the checkpoint the target keeps (outgoing.ts `base`) @default on */
const SEED = str('seed', 'on') === 'on'
/** `--base on|off`: a warm target's worker made ahead copies the kept checkpoint into its instance (warm-base.ts); off: into the image, as in session 14 @default on */
const BASE = str('base', 'on') === 'on'
/** `--budget <ms>`: a warm pre-copy stops once the pause's delta is predicted to fit this (outgoing.ts `downtimeBudgetMs`; 0: the 2 % rule only) @default 300 */
const BUDGET = Number(str('budget', '300'))
/** `--warm <seconds,…>`: the ages of the warm target's checkpoint @default 2,5 */
const WARM = str('warm', '2,5') === 'none' ? [] : str('warm', '2,5').split(',').map(Number)
if (WARM.some(a => !(a >= 0))) throw new RangeError(`--warm ${str('warm', '')}: seconds, comma-separated, or none`)
/**
 * `--chunks <bytes,…>`: the fixed chunk sizes to move in, a row each (the first's unsuffixed, the
 * others' suffixed `-chunk<bytes>`, each right after the first's): the worker tracks, the offer names and the
 * target places chunks of that size (dirty.ts DEFAULT_CHUNK_BYTES, 4096; 8192 up to session 15) @default 4096
 */
const CHUNKS = str('chunks', String(DEFAULT_CHUNK_BYTES)).split(',').map(Number)
if (CHUNKS.some(c => !isChunkSize(c))) throw new RangeError(`--chunks ${str('chunks', '')}: powers of two from 4096 to 65536, comma-separated`)
/**
 * `--ahead <read,offer>`: when a warm target makes the worker ahead (incoming.ts `workerAt`) — once
 * its base is read and checked, or at the offer, the base following — a row each, suffixed
 * `-ahead<when>` after the first @default read
 */
const AHEAD = str('ahead', 'read').split(',') as Array<'offer' | 'read'>
if (AHEAD.some(a => a !== 'offer' && a !== 'read')) throw new RangeError(`--ahead ${str('ahead', '')}: offer, read or both, comma-separated`)
/**
 * `--converge <ratio,…>`: auto-converge from the first round (outgoing.ts `convergeRatio`; 0: off, the
 * throttle only once a round did not shrink), a pre-copy row each, suffixed `-converge<ratio>` after
 * the first @default 0.25
 */
const CONVERGE = str('converge', '0.25').split(',').map(Number)
if (CONVERGE.some(c => !(c >= 0 && c < 1))) throw new RangeError(`--converge ${str('converge', '')}: ratios from 0 to 1, comma-separated`)
/** `--cold on|off`: the rows to a cold target (off: the warm rows only) @default on */
const COLD = str('cold', 'on') === 'on'
/** `--links loopback|throttled|both` @default both */
const LINKS = str('links', 'both')
const SRC = '12D3KooWSourceSourceSourceSourceSourceSourceSource1'
const DST = '12D3KooWTargetTargetTargetTargetTargetTargetTarget1'

const loadAtStart = loadavg().map(x => Number(x.toFixed(2)))
const { runner, instrumenter, mod, limits, sha256 } = await dirtySetup(MIB)
const delay = async (ms: number): Promise<void> => { if (ms > 0) await new Promise(resolve => setTimeout(resolve, ms)) }

const start = taskStarter(runner, mod, limits, [String(MIB), String(PCT), '3600'])

type Phases = NonNullable<MigrationRecord['downtimePhases']>

type Mode = 'stop-and-copy' | 'stop-and-copy-unprepared' | 'pre-copy'
/** `warmAgeS`: the target keeps the task's checkpoint taken this many seconds before the move */
async function once (mode: Mode, bitsPerSec: number, chunkBytes: number, ahead: 'offer' | 'read', converge: number, warmAgeS?: number): Promise<{ downtimeMs: number, resumeMs: number, resumedWarm: boolean, throttlePct: number, bytesSent: number, memoryBytes: number, rounds: number, targetHad: number, seeded: boolean, precopyStop?: string, precopyRounds?: MigrationRecord['precopyRounds'], baseHeldChunks?: number, offerMs: number, checkpointAgeMs?: number, phases?: Phases, load: number[] }> {
  const state = new JobsState()
  const apply = (slot: number, author: string, entry: Parameters<typeof encodeJobEntry>[0]): void => {
    const { kind, data } = encodeJobEntry(entry)
    const r = state.apply({ slot, index: 0, author, kind, data })
    if (!r.applied) throw new Error(`bench ledger refused ${kind}: ${r.refusal}`)
  }
  apply(1, SRC, { kind: 'job.submit', body: { at: Date.now(), module: 'a'.repeat(64), count: 1, replicas: 1, timeoutMs: 3_600_000, memoryBytes: limits.memoryBytes, leaseTtlMs: 600_000 } })
  apply(2, SRC, { kind: 'job.claim', body: { at: Date.now(), job: '1.0', task: 0, replica: 0, capacity: 1 } })
  let ready: ReadySnapshot | undefined
  let warm: WarmWorker | undefined
  let checkpoint: { index: ChunkIndex, memory: () => Uint8Array } | undefined
  let checkpointAt: number | undefined
  let base: OutgoingBase | undefined
  const incoming = new MigrationIncoming({
    state,
    sha256,
    heldCheckpoint: () => checkpoint,
    hasRoom: () => true,
    prepareModule: async () => {},
    keep: async () => {},
    ready: r => { ready = r },
    // the worker made ahead, with the kept checkpoint as its base when the target keeps one (warm-base.ts)
    // (`--base off`: no base, and no promise — the target copies the checkpoint it read into its image, once, as in session 14)
    // (made when incoming.ts `workerAt` says: `--ahead`)
    arriving: a => { warm = runner.warm({ module: mod.bytes, limits, memoryBytes: a.memoryBytes, ...(a.base != null && BASE ? { base: a.base } : {}) }); return BASE ? warm.based : undefined },
    log: () => {}
  }, { workerAt: ahead })
  const link = async (bytes: number): Promise<void> => { await delay(Number.isFinite(bitsPerSec) ? bytes * 8 / bitsPerSec * 1000 : 0) }

  const task = start(undefined, undefined, undefined, chunkBytes)
  // wait until the task has its whole memory and has filled it (a second of dirtying after that)
  await filled(task, MIB * 1024 * 1024)
  await delay(3000)
  if (warmAgeS != null) {
    // the task's checkpoint, kept by the target: a full copy of memory (a new tracking epoch lists
    // every chunk, back to back), then the task runs on for its age
    // its age counts from the request: the worker copies memory as it was then (the task waits
    // meanwhile, and catches up on its clock after: a copy into fresh pages takes seconds under load)
    // through the worker's checkpoint request, as a holder's periodic checkpoint: the worker
    // remembers its chunk hashes (tag 1), so with `--seed on` the move starts from it on both ends
    // (here source and target share one copy and one index; live peers each make their own)
    checkpointAt = performance.now()
    const memory = decodeSnapshot(await task.checkpoint(1), { viewMemory: true }).memory
    const index = await indexMemory(memory, 'c'.repeat(64), sha256, chunkBytes)
    // the target's own copy, as a keeper reads it from its store (moved to the worker made ahead)
    let own: Uint8Array | undefined = memory.slice()
    checkpoint = { index, memory: () => { const m = own ?? memory.slice(); own = undefined; return m } }
    if (SEED) base = { tag: 1, index, chunk: async i => memory.subarray(i * index.chunkBytes, (i + 1) * index.chunkBytes), takenAt: checkpointAt }
    await delay(warmAgeS * 1000 - (performance.now() - checkpointAt))
  }
  // the offer's time: the move's start → its first memory request (a round, or the pause)
  const started = performance.now()
  let firstAsk: number | undefined
  const asked = (): void => { firstAsk ??= performance.now() }
  let pausedAt = 0
  const rec = await migrateOut({
    self: SRC,
    sha256,
    request: async (_peer, payload) => {
      await link(payload.length)
      const res = await incoming.handle(payload, SRC)
      await link(res.length)
      return res
    },
    submitHandover: async body => { apply(3, SRC, { kind: 'job.handover', body }); return { handedOver: true } },
    copyMemory: async (fresh, b) => { asked(); return await task.copy(fresh, b) },
    pause: async (fresh, b) => { asked(); pausedAt = performance.now(); return await task.pause(fresh, b) },
    base: () => base,
    decide: task.decide,
    ...(mode !== 'stop-and-copy-unprepared' ? { prepareFull: () => { Atomics.compareExchange(task.control, 0, 0, CONTROL_PREPARE) } } : {}),
    memoryBytes: () => Atomics.load(task.control, 2) * 65536 || undefined,
    chunkBytes,
    ...(THROTTLE ? { throttle: (pct: number) => { Atomics.store(task.control, 3, pct) } } : {}),
    log: () => {}
  }, { id: 'bench', job: '1.0', task: 0, replica: 0, token: { epoch: 1, slot: 2 } }, [DST], { maxRounds: mode === 'pre-copy' ? 8 : 0, stopBelow: 0.02, downtimeBudgetMs: BUDGET, convergeRatio: converge })
  await task.done
  if (ready == null) throw new Error('no snapshot arrived')
  // the target resumes: the snapshot built from its chunks, a new worker from it, until the task
  // reaches the call it was paused in (the worker's `resumed` reply; no memory copied to ask)
  const t0 = performance.now()
  const resumed = start(ready.snapshot(), warm, ready.baseHeld, chunkBytes)
  const resumedWarm = await resumed.resumed
  const resumeMs = performance.now() - t0
  resumed.stop()
  await resumed.done
  return { downtimeMs: rec.downtimeMs ?? Number.NaN, resumeMs, resumedWarm, throttlePct: rec.throttlePct ?? 0, bytesSent: rec.bytesSent, memoryBytes: rec.memoryBytes, rounds: rec.rounds, targetHad: rec.targetHad ?? 0, seeded: rec.seeded === true, ...(rec.precopyStop != null ? { precopyStop: rec.precopyStop } : {}), ...(rec.precopyRounds != null ? { precopyRounds: rec.precopyRounds } : {}), ...(ready.baseHeld != null ? { baseHeldChunks: ready.baseHeld.reduce((n, x) => n + x, 0) } : {}), offerMs: Math.round((firstAsk ?? started) - started), ...(checkpointAt != null ? { checkpointAgeMs: Math.round(pausedAt - checkpointAt) } : {}), ...(rec.downtimePhases != null ? { phases: rec.downtimePhases } : {}), load: loadavg().map(x => Number(x.toFixed(2))) }
}

const links = [{ name: 'loopback', bitsPerSec: Number.POSITIVE_INFINITY }, { name: `${MBIT}mbit`, bitsPerSec: MBIT * 1e6 }]
  .filter(l => LINKS === 'both' || (LINKS === 'loopback') === (l.name === 'loopback'))
const table: Record<string, unknown> = {}
for (const l of links) {
  const modes: Mode[] = UNPREPARED ? ['stop-and-copy-unprepared', 'stop-and-copy', 'pre-copy'] : ['stop-and-copy', 'pre-copy']
  // each chunk size's row right after the other's, so that they share a window of the machine's load
  const rows: Array<{ mode: Mode, warm?: number, chunkBytes: number, ahead: 'offer' | 'read', converge: number }> = [...(COLD ? modes.map(mode => ({ mode })) : []), ...WARM.flatMap(warm => (['stop-and-copy', 'pre-copy'] as const).map(mode => ({ mode, warm })))]
    .flatMap(r => CHUNKS.flatMap(chunkBytes => ('warm' in r ? AHEAD : AHEAD.slice(0, 1)).map(ahead => ({ ...r, chunkBytes, ahead })))) // a cold target's worker has no base to wait for
    .flatMap(r => (r.mode === 'pre-copy' ? CONVERGE : CONVERGE.slice(0, 1)).map(converge => ({ ...r, converge }))) // a stop-and-copy has no rounds to throttle
  for (const { mode, warm, chunkBytes, ahead, converge } of rows) {
    const runs: Array<Awaited<ReturnType<typeof once>>> = []
    for (let i = 0; i < RUNS; i++) runs.push(await once(mode, l.bitsPerSec, chunkBytes, ahead, converge, warm))
    const name = `${warm == null ? mode : `${mode}-warm-${warm}s`}${chunkBytes === CHUNKS[0] ? '' : `-chunk${chunkBytes}`}${ahead === AHEAD[0] ? '' : `-ahead${ahead}`}${converge === CONVERGE[0] ? '' : `-converge${converge}`}`
    const row = {
      chunkBytes,
      workerAhead: ahead,
      convergeRatio: converge,
      throttlePcts: runs.map(r => r.throttlePct),
      ...(warm != null ? { warmTargetCheckpointAgeS: warm, targetHadChunks: Math.round(median(runs.map(r => r.targetHad))), checkpointAgeAtPauseMs: Math.round(median(runs.map(r => r.checkpointAgeMs ?? Number.NaN))), seededRuns: runs.filter(r => r.seeded).length } : {}),
      offerMs: Math.round(median(runs.map(r => r.offerMs))),
      downtimeMs: Math.round(median(runs.map(r => r.downtimeMs))),
      resumeMs: Math.round(median(runs.map(r => r.resumeMs))),
      totalDowntimeMs: Math.round(median(runs.map(r => r.downtimeMs + r.resumeMs))),
      bytesSent: Math.round(median(runs.map(r => r.bytesSent))),
      bytesPerMemory: Number(median(runs.map(r => r.bytesSent / r.memoryBytes)).toFixed(3)),
      rounds: median(runs.map(r => r.rounds)),
      // why pre-copy stopped, run by run (outgoing.ts `precopyStop`), and which runs met both targets
      // (downtime = pause → handover committed ≤ 500 ms, bytes ≤ 35 % of memory)
      precopyStops: runs.map(r => r.precopyStop ?? 'none'),
      runsMeetingBoth: runs.filter(r => r.downtimeMs <= 500 && r.bytesSent / r.memoryBytes <= 0.35).length,
      // where the stop-and-copy's time went (outgoing.ts `downtimePhases`), medians
      phases: Object.fromEntries((['pauseMs', 'deltaMs', 'deltaBytes', 'digestMs', 'finalMs', 'handoverMs'] as const).map(k => [k, Math.round(median(runs.map(r => r.phases?.[k] ?? Number.NaN)))])),
      runs
    }
    table[`${l.name}/${name}`] = row
    console.log(`${l.name.padEnd(9)} ${name.padEnd(24)} downtime ${row.downtimeMs} ms + resume ${row.resumeMs} ms, sent ${(row.bytesPerMemory * 100).toFixed(1)} % of memory in ${row.rounds} round(s) (throttle ${row.throttlePcts.join(',')} %; stops ${row.precopyStops.join(',')}; ${row.runsMeetingBoth}/${runs.length} runs meet both targets), offer ${row.offerMs} ms${warm != null ? `, checkpoint ${row.checkpointAgeAtPauseMs} ms old at the pause` : ''}; downtime: ${JSON.stringify(row.phases)}; load ${loadavg().map(x => x.toFixed(1)).join(' ')}`)
  }
}
const ratio = (l: string, k: 'totalDowntimeMs' | 'bytesSent'): number | null => {
  const a = table[`${l}/pre-copy`] as Record<string, number> | undefined
  const b = table[`${l}/stop-and-copy`] as Record<string, number> | undefined
  return a != null && b != null ? Number((a[k] / b[k]).toFixed(3)) : null // `--cold off`: no cold rows
}
const result = {
  params: { mib: MIB, pctPerSecond: PCT, runs: RUNS, mbit: MBIT, unprepared: UNPREPARED, warmCheckpointAgesS: WARM, seed: SEED, base: BASE, downtimeBudgetMs: BUDGET, convergeRatios: CONVERGE, cold: COLD, chunking: `fixed ${CHUNKS.join(' / ')} bytes (xxh64, LZ4 frames)`, workerAhead: AHEAD, data: 'random (incompressible)' },
  // 1/5/15-minute load averages of the machine at the start and the end (2 cores shared with other engineers)
  load: { start: loadAtStart, end: loadavg().map(x => Number(x.toFixed(2))) },
  targets: { downtimeMs: 500, bytesPerMemory: 0.35 },
  table,
  ratios: Object.fromEntries(links.map(l => [l.name, { downtime: ratio(l.name, 'totalDowntimeMs'), bytes: ratio(l.name, 'bytesSent') }]))
}
console.log(`wrote ${writeResult(OUT, result)}`)
runner.stop()
await instrumenter.stop()
