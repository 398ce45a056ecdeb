/**
 * Scratch (issue 20): where a migration's offer goes, in one process, with the `migration` bench's
 * task running (examples/jobs/dirty.c, `--mib` MiB at 5 %/s) — the target's offer before and after
 * the chunk index, side by side, alternating, `--runs` times (medians and every run printed):
 *
 * - `before` (the offer as of d6d19d9, its steps called here one by one): the kept checkpoint cut
 *   into fixed chunks at the offer (an xxh64 each: `fixedChunks`), their SHA-256s (`new
 *   ChunkImage(cap, held)`), the task's new worker made (`runner.warm`, as `arriving` does), the
 *   image faulted in before the answer (`fill` of the offer's size: the old `pretouch`), then the
 *   `accept` of every name encoded and decoded;
 * - `after`: the real `MigrationIncoming.handle(offer)` with the kept checkpoint's index (made when
 *   it was kept: timed once, `indexMs`, outside any offer), answered at once, then the kept
 *   checkpoint copied into the session's image after the answer (`filledMs`: answer → a `final`
 *   naming the checkpoint's chunks is answered, which waits for that copy; the first round runs
 *   meanwhile in a real move);
 * - `cold`: `handle(offer)` with nothing kept (the image faulted in before the answer, both versions).
 *
 * Each offer starts as the source's does: the task's worker is asked to prepare its full delta's
 * buffer (`CONTROL_PREPARE`) and the target makes the task's worker ahead (released after).
 *
 *   node --import tsx --import ./node-runtime/polyfills.mjs bench/_migration-offer-profile.ts --mib 256 --runs 3
 */
import { loadavg } from 'node:os'
import { encodeJobEntry } from '../core/jobs/entries.ts'
import type { WarmWorker } from '../core/jobs/runner.ts'
import { JobsState } from '../core/jobs/state.ts'
import { ChunkImage } from '../core/migration/chunk-image.ts'
import { indexMemory, type ChunkIndex } from '../core/migration/chunk-index.ts'
import { MigrationIncoming } from '../core/migration/incoming.ts'
import { DEFAULT_CHUNK_BYTES, fixedChunks } from '../core/migration/precopy.ts'
import { decodeResponse, encodeRequest, encodeResponse } from '../core/migration/protocol-codec.ts'
import { encodeSnapshot } from '../core/migration/snapshot-codec.ts'
import { CONTROL_PREPARE } from '../core/migration/worker-run.ts'
import { dirtySetup, filled, taskStarter } from './_migration-task.ts'
import { median, writeResult } from './_results.ts'

const argv = process.argv.slice(2)
const arg = (name: string, dflt: number): number => { const i = argv.indexOf(`--${name}`); return i >= 0 ? Number(argv[i + 1]) : dflt }
const MIB = arg('mib', 256)
const RUNS = arg('runs', 3)
const SRC = '12D3KooWSourceSourceSourceSourceSourceSourceSource1'
const load = (): number[] => loadavg().map(x => Number(x.toFixed(2)))
const loadAtStart = load()

const { runner, instrumenter, mod, limits, sha256 } = await dirtySetup(MIB)
const now = (): number => performance.now()

const task = taskStarter(runner, mod, limits, [String(MIB), '5', '3600'])()
await filled(task, MIB * 1024 * 1024)
const memory = (await task.copy(true)).bytes // the kept checkpoint
const memoryBytes = memory.length
let t = now()
const index = await indexMemory(memory, 'c'.repeat(64), sha256)
const indexMs = now() - t

const warms: WarmWorker[] = []
const arriving = (): void => { warms.push(runner.warm({ module: mod.bytes, limits, memoryBytes })) }
const prepare = (): void => { Atomics.compareExchange(task.control, 0, 0, CONTROL_PREPARE) }

async function before (): Promise<Record<string, number>> {
  const t0 = now()
  prepare()
  const held = new Map<string, Uint8Array>()
  for (const c of fixedChunks(memory, DEFAULT_CHUNK_BYTES)) if (!held.has(c.hash)) held.set(c.hash, memory.subarray(c.offset, c.offset + c.length))
  const t1 = now()
  const image = new ChunkImage(limits.memoryBytes, held, sha256)
  const t2 = now()
  arriving()
  await image.fill(memoryBytes)
  const t3 = now()
  const have = decodeResponse(encodeResponse({ type: 'accept', have: image.heldNames() }))
  const t4 = now()
  if (have.type !== 'accept' || have.have.length === 0) throw new Error('no names')
  return { offerMs: t4 - t0, nameMs: t1 - t0, shaMs: t2 - t1, pretouchMs: t3 - t2, acceptMs: t4 - t3 }
}

function target (kept?: ChunkIndex): MigrationIncoming {
  const state = new JobsState()
  const apply = (slot: number, entry: Parameters<typeof encodeJobEntry>[0]): void => {
    const { kind, data } = encodeJobEntry(entry)
    if (!state.apply({ slot, index: 0, author: SRC, kind, data }).applied) throw new Error(`refused ${kind}`)
  }
  apply(1, { kind: 'job.submit', body: { at: Date.now(), module: 'a'.repeat(64), count: 1, replicas: 1, timeoutMs: 3_600_000, memoryBytes: limits.memoryBytes, leaseTtlMs: 600_000 } })
  apply(2, { kind: 'job.claim', body: { at: Date.now(), job: '1.0', task: 0, replica: 0, capacity: 1 } })
  return new MigrationIncoming({
    state,
    sha256,
    hasRoom: () => true,
    prepareModule: async () => {},
    keep: async () => {},
    ready: () => {},
    arriving: () => { arriving(); return undefined }, // no base to the worker: the probe times the copy into the image
    ...(kept != null ? { heldCheckpoint: () => ({ index: kept, memory: () => memory }) } : {}),
    log: () => {}
  })
}

async function offer (kept?: ChunkIndex): Promise<Record<string, number>> {
  const incoming = target(kept)
  const t0 = now()
  prepare()
  const res = decodeResponse(await incoming.handle(encodeRequest({ type: 'offer', id: 'p', job: '1.0', task: 0, replica: 0, token: { epoch: 1, slot: 2 }, memoryBytes, chunkBytes: DEFAULT_CHUNK_BYTES }), SRC))
  const t1 = now()
  if (res.type !== 'accept') throw new Error(`offer answered ${res.type}`)
  if (kept == null) return { offerMs: t1 - t0 }
  // the session copies the checkpoint in after the answer (incoming.ts `fillKept`); `final` waits
  // for that, then finds every chunk (the recipe is the checkpoint's) and refuses the made-up digest
  const recipe = { totalLength: memoryBytes, chunks: kept.names().map(hash => ({ hash, length: DEFAULT_CHUNK_BYTES })) }
  const fin = decodeResponse(await incoming.handle(encodeRequest({ type: 'final', id: 'p', meta: META, recipe, sha256: '0'.repeat(64) }), SRC))
  if (fin.type !== 'refuse' || !fin.reason.startsWith('snapshot hash mismatch')) throw new Error(`final answered ${JSON.stringify(fin).slice(0, 200)}`)
  return { offerMs: t1 - t0, filledMs: now() - t1 }
}
const META = encodeSnapshot({ memory: new Uint8Array(0), globals: [], unwind: new Uint8Array([1, 2, 3, 4]), pausedIn: 'fd_write', pausedResult: 0, stdinPos: 0, stdout: new Uint8Array(0), stderr: new Uint8Array(0), clockNs: 0n, calls: 0, pauses: 0 })

const rows: Record<string, Array<Record<string, number>>> = { before: [], after: [], cold: [] }
const release = async (): Promise<void> => {
  for (const w of warms.splice(0)) w.release()
  await new Promise(resolve => setTimeout(resolve, 1500)) // the prepared buffer and the workers settle
}
for (let r = 0; r < RUNS; r++) {
  rows.before.push({ ...await before(), load: loadavg()[0] })
  await release()
  rows.after.push({ ...await offer(index), load: loadavg()[0] })
  await release()
  rows.cold.push({ ...await offer(), load: loadavg()[0] })
  await release()
  console.log(`run ${r}: before ${JSON.stringify(rows.before[r])}; after ${JSON.stringify(rows.after[r])}; cold ${JSON.stringify(rows.cold[r])}`)
}
const medians = Object.fromEntries(Object.entries(rows).map(([k, runs]) => [k, Object.fromEntries(Object.keys(runs[0]).map(f => [f, Math.round(median(runs.map(x => x[f])))]))]))
console.log(`${MIB} MiB, ${memoryBytes / DEFAULT_CHUNK_BYTES} chunks; index made when kept: ${indexMs.toFixed(0)} ms; medians ${JSON.stringify(medians)}; load ${loadAtStart.join(' ')} → ${load().join(' ')}`)
console.log(`wrote ${writeResult('migration-offer-profile', { params: { mib: MIB, runs: RUNS }, load: { start: loadAtStart, end: load() }, indexMs: Math.round(indexMs), medians, rows })}`)
task.stop()
await task.done
runner.stop()
await instrumenter.stop()
