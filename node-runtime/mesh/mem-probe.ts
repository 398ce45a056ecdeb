/**
 * Debug-only memory probe for long-lived peers (issue 21): with `NOVACRON_MEMLOG_MS=<ms>` set, a
 * `novacron start` / `novacron peer` process writes one JSON line to stderr at once and every <ms>:
 * `{"memlog":{t, rss, heapUsed, heapTotal, external, arrayBuffers, codeUsed, codeMetaUsed, gc, heapPhysical, v8Malloced, stats}}` (bytes; `stats` is
 * `MeshNode.streamStats()`: connections per transport, streams per protocol, inbound data
 * channels per WebRTC link). The soak benchmark and its slow test read the heap from it; this is
 * what found the cause (docs/mesh.md, "Long-lived peers").
 *
 * With `NOVACRON_MEMLOG_GC=1` too, each sample is taken right after a full garbage collection, so
 * `heapUsed` is the live heap and `rss` holds no garbage awaiting collection: without it a slope
 * over 20 minutes partly measures when V8 last collected (a forced GC on an idle peer took its RSS
 * below where it was 8 minutes earlier). `NOVACRON_MEMLOG_GC=<N>` (N ≥ 2) collects before every Nth
 * sample only (the first included; `gc` marks them), `0` or unset never. A forced GC is not free of
 * effects: it clears the maps that optimised code holds weakly, and every process then re-optimises
 * dependencies' hot paths in a burst (docs/mesh.md, "What compiles after warm-up"), so a probe that
 * collects every sample adds code churn of its own to the slopes it measures.
 *
 * `codeMetaUsed` is what the heap holds for compiled code and bytecode all told: the code objects
 * and, outside the code spaces, their deoptimization data, relocation info and source position
 * tables, and the bytecode arrays. Heap snapshots of an idle meshed peer (docs/mesh.md, "Long-lived
 * peers") showed that growth to be nearly all of what the live heap gains after warm-up: the code
 * spaces (`codeUsed`) hold only about a third of it, so "heap without code" must subtract this.
 */
import { getHeapCodeStatistics, getHeapSpaceStatistics, getHeapStatistics, setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { PerformanceObserver, constants } from 'node:perf_hooks'
import type { MeshNode, StreamStats } from '../../core/net/index.ts'

export interface MemSample {
  t: number
  rss: number
  heapUsed: number
  heapTotal: number
  external: number
  arrayBuffers: number
  /**
   * Of `heapUsed`, the bytes of compiled code (V8's code spaces). JIT code keeps growing for a
   * while on an idle process as more functions get optimised; the rest of the heap is the data.
   */
  codeUsed: number
  /**
   * Of `heapUsed`, compiled code and bytecode with their metadata (V8's code statistics), which
   * includes `codeUsed`. Absent in samples from before it was recorded.
   */
  codeMetaUsed?: number
  /** Whether a forced full GC came right before this sample (NOVACRON_MEMLOG_GC). Absent in older samples. */
  gc?: boolean
  /**
   * V8's heap pages resident in memory (`total_physical_size`), and what V8 itself holds in malloc
   * (`malloced_memory`): with `external` (array buffers and other embedder memory), the parts of
   * the private RSS that V8 accounts for; the rest is native (libuv, OpenSSL, node-datachannel,
   * LevelDB, thread stacks, malloc's free lists). Absent in older samples.
   */
  heapPhysical?: number
  v8Malloced?: number
  /**
   * With no forced GC on this sample's schedule (NOVACRON_MEMLOG_GC unset, 0 or N ≥ 2): the heap
   * as V8's own latest full collection left it (taken just after it ended, before much else ran),
   * the floor of the saw-tooth a process makes between collections, measured without forcing any.
   */
  afterMajorGc?: { t: number, heapUsed: number, codeMetaUsed: number, rss: number }
  stats: StreamStats
}

/** The used bytes of V8's code spaces (`code_space`, `code_large_object_space`). */
export function codeSpaceUsed (): number {
  return getHeapSpaceStatistics().filter(s => s.space_name.startsWith('code_')).reduce((n, s) => n + s.space_used_size, 0)
}

/**
 * Bytes of compiled code and bytecode with their metadata (deoptimization data, relocation info,
 * source positions): `code_and_metadata_size + bytecode_and_metadata_size` of V8's code statistics.
 * V8 walks the heap for it (~20 ms on a 30 MB heap): fine once per sample of this debug probe.
 */
export function codeAndMetadataUsed (): number {
  const s = getHeapCodeStatistics()
  return s.code_and_metadata_size + s.bytecode_and_metadata_size
}

/**
 * The sample's live data: `heapUsed` less code and bytecode with their metadata (`codeMetaUsed`),
 * or less the code spaces alone for a sample without it.
 */
export function heapDataBytes (s: Pick<MemSample, 'heapUsed' | 'codeUsed' | 'codeMetaUsed'>): number {
  return s.heapUsed - (s.codeMetaUsed ?? s.codeUsed ?? 0)
}

/**
 * How often the probe collects before a sample: `NOVACRON_MEMLOG_GC` as a whole number, 1 every
 * sample, N every Nth, 0 never; unset or anything else is 0.
 */
export function gcEvery (env: NodeJS.ProcessEnv): number {
  const n = Number(env.NOVACRON_MEMLOG_GC)
  return Number.isSafeInteger(n) && n > 0 ? n : 0
}

/** One probe sample per call, after a full GC on the 1st, (N+1)th, … call when `gcEvery(env)` is N. */
export function memSampler (node: Pick<MeshNode, 'streamStats'>, env: NodeJS.ProcessEnv = process.env): () => MemSample {
  const every = gcEvery(env)
  const collect = every > 0 ? fullGc() : undefined
  const natural = every !== 1 ? watchMajorGc() : undefined
  let taken = 0
  return () => {
    const gc = collect != null && taken++ % every === 0
    if (gc) collect()
    const m = process.memoryUsage()
    const h = getHeapStatistics()
    return { t: Date.now(), rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers, codeUsed: codeSpaceUsed(), codeMetaUsed: codeAndMetadataUsed(), gc, heapPhysical: h.total_physical_size, v8Malloced: h.malloced_memory, afterMajorGc: natural?.(), stats: node.streamStats() }
  }
}

/** The `detail` of a `gc` performance entry (Node's perf_hooks). */
export interface GcDetail { kind?: number, flags?: number }

/** Whether a `gc` entry is a full collection V8 ran of its own accord (not a forced `gc()`). */
export function isOwnMajorGc (d: GcDetail | undefined): boolean {
  return d?.kind === constants.NODE_PERFORMANCE_GC_MAJOR && ((d.flags ?? 0) & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED) === 0
}

/**
 * Watches V8's own full collections (not the probe's forced ones) and returns the heap right after
 * the latest. The observer stays for the process's life: the probe is debug-only and lives as long.
 */
function watchMajorGc (): () => MemSample['afterMajorGc'] {
  let last: MemSample['afterMajorGc']
  const observer = new PerformanceObserver(list => {
    if (!list.getEntries().some(e => isOwnMajorGc((e as { detail?: GcDetail }).detail))) return
    const m = process.memoryUsage()
    last = { t: Date.now(), heapUsed: m.heapUsed, codeMetaUsed: codeAndMetadataUsed(), rss: m.rss }
  })
  observer.observe({ entryTypes: ['gc'] })
  return () => last
}

/** Starts the probe when the variable is set; returns the function that stops it. */
export function startMemProbe (node: MeshNode, write: (line: string) => void, env: NodeJS.ProcessEnv = process.env): () => void {
  const ms = Number(env.NOVACRON_MEMLOG_MS)
  if (!Number.isFinite(ms) || ms <= 0) return () => {}
  const next = memSampler(node, env)
  const sample = (): void => { write(JSON.stringify({ memlog: next() }) + '\n') }
  const timer = setInterval(sample, Math.max(100, ms))
  timer.unref()
  sample()
  return () => { clearInterval(timer) }
}

/** A function running a full collection (`gc` exposed at run time, as `--expose-gc` would). */
function fullGc (): () => void {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  return () => { gc() }
}

/** The probe's samples in `text` (a process's stderr), oldest first; other lines are skipped. */
export function parseMemSamples (text: string): MemSample[] {
  const out: MemSample[] = []
  for (const line of text.split('\n')) {
    if (!line.startsWith('{"memlog"')) continue
    try { out.push((JSON.parse(line) as { memlog: MemSample }).memlog) } catch { /* a line cut by the sampling moment */ }
  }
  return out
}
