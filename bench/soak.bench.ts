/**
 * `npm run bench -- soak`: does a long-lived peer's memory stay flat (issue 21)?
 *
 * A `novacron start` bootstrap and 3 `novacron peer` processes (test/_support/soak.ts), each with
 * its own --data-dir, meshed over WebRTC. After a warm-up (default 3 min, not fitted) two phases
 * follow on the same mesh, each sampled once a minute: idle (default 20 min), then light writes
 * (default 20 min: 3 board issues and 3 memory entries a minute through the CLI, round-robin over
 * the peers). Each process gives VmRSS (and its private part) from /proc and its V8 heap from the
 * memory probe. The figure is the least-squares slope in MB/min per process kind (the peers' mean
 * and worst), beside the bootstrap's as the baseline: the bootstrap has no WebRTC links, which is
 * where the leak was. Target (the issue's, on the per-kind figure: the peers' mean): the peers'
 * slope within 0.05 MB/min of the bootstrap's and at most 0.05 MB/min; the worst single peer is
 * judged beside it (`worstPeer`: stricter, and in a 20-minute window V8's heap sawtooth of ±3 MB
 * alone moves one process's fit by ~0.1; a result without `worstPeer` was written before it
 * existed and judged only the worst peer, under `target`). A process's heap takes ~25 minutes to
 * reach its steady size: read the target after `--warmup-min=25`. Also recorded: closed inbound
 * data channels per minute, and how many of them the WebRTC stack still holds (node-datachannel
 * kept all of them, datachannel-tracker.ts; ~18/min per peer before the fix).
 *
 * Beside them, what the RSS holds beyond the JS heap, per process: its smaps bins (mapped files,
 * malloc's main arena, its thread arenas, other anonymous memory: test/_support/proc-mem.ts) and
 * V8's own accounts (resident heap pages, V8's malloc, `external`); `nativeSlope` is the private
 * RSS less those three V8 parts (libuv, OpenSSL, node-datachannel, LevelDB, malloc's free lists).
 *
 * Options: --peers=3, --warmup-min=3, --idle-min=20, --writes-min=20, --sample-s=60 (shorter runs:
 * e.g. --warmup-min=1 --idle-min=4 --writes-min=4 --sample-s=20; --idle-min=0 or --writes-min=0 skips
 * that phase, `idle` or `writes` is then null in the JSON), --gc-every=0 (the memory probe, every
 * 15 s, forces a full GC before every Nth sample; 0, the default since 2026-12-07: never, as a
 * peer runs — a forced GC makes every process re-optimise dependencies' hot paths, so it adds
 * code churn of its own; with N ≥ 2 the heap
 * figures come from the collected samples, with 0 they include garbage; with N ≠ 1 `afterMajorGc`
 * fits the heap and RSS that V8's own full collections left, measured without forcing any),
 * --out=soak (result file name).
 */
import os from 'node:os'
import { SoakMesh, slope, type SoakKind, type SoakProcess, type SoakSample } from '../test/_support/soak.ts'
import { stopAll } from '../test/_support/processes.ts'
import { writeResult } from './_results.ts'

const arg = (name: string, dflt: number): number => Number(process.argv.find(a => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt)
const PEERS = arg('peers', 3)
const WARMUP_MIN = arg('warmup-min', 3)
const IDLE_MIN = arg('idle-min', 20)
const WRITES_MIN = arg('writes-min', 20)
const SAMPLE_S = arg('sample-s', 60)
const GC_EVERY = arg('gc-every', 0)
const OUT = process.argv.find(a => a.startsWith('--out='))?.split('=')[1] ?? 'soak'
const TARGET = 0.05
const loadavg = (): number[] => os.loadavg().map(x => +x.toFixed(2))
const round = (x: number, d = 3): number => +x.toFixed(d)

const mesh = new SoakMesh()
const at = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, Math.max(0, ms - Date.now()))) }

interface PhaseResult {
  minutes: number
  samples: number
  writes: number
  /** Write batches skipped because the previous one was still running. */
  skippedBatches: number
  byKind: Record<SoakKind, { rssSlopeMean: number, rssSlopeMax: number, heapSlopeMean: number, heapSlopeMax: number, heapDataSlopeMean: number, heapDataSlopeMax: number }>
  processes: Array<{ name: string, kind: SoakKind, rssSlope: number, rssAnonSlope: number, heapSlope: number, heapDataSlope: number, codeSlope: number, rssStartMB: number, rssEndMB: number, closedChannelsPerMin: number, heldChannelsPerMin: number, parts: PartsSlopes, afterMajorGc: AfterGcSlopes | null, samples: Array<[number, number, number, number]>, partsSamples: Array<Record<keyof PartsSlopes, number>> }>
  /** on the peers' mean slope (the per-kind figure) */
  target: Verdict
  /** the same bounds on the worst single peer's slope */
  worstPeer: Verdict
}

interface Verdict { peerMinusBootstrap: number, withinOfBootstrap: boolean, peerAbsolute: number, underAbsolute: boolean }

function verdict (peer: number, bootstrap: number): Verdict {
  return { peerMinusBootstrap: round(peer - bootstrap), withinOfBootstrap: peer - bootstrap <= TARGET, peerAbsolute: peer, underAbsolute: peer <= TARGET }
}

/** What the RSS holds beyond the JS heap (MB/min, or MB in `partsSamples`). */
interface PartsSlopes { file: number, brk: number, arenas: number, stacks: number, anonOther: number, heapPhysical: number, v8Malloc: number, external: number, native: number }

/** Slopes (MB/min) through the heap and RSS as V8's own full collections left them (with --gc-every=0 or ≥ 2). */
interface AfterGcSlopes { collections: number, heapSlope: number, heapDataSlope: number, codeSlope: number, rssSlope: number }

function afterGcSlopes (s: readonly SoakSample[], start: number): AfterGcSlopes | null {
  // one point per collection (several samples can carry the same one); the phase's own only
  const points = [...new Map(s.flatMap(v => v.afterMajorGc != null && v.afterMajorGc.at >= start ? [[v.afterMajorGc.at, v.afterMajorGc] as const] : [])).values()]
  if (points.length === 0) return null
  const x = points.map(p => (p.at - start) / 60_000)
  return { collections: points.length, heapSlope: round(slope(x, points.map(p => p.heapMB))), heapDataSlope: round(slope(x, points.map(p => p.heapDataMB))), codeSlope: round(slope(x, points.map(p => p.heapMB - p.heapDataMB))), rssSlope: round(slope(x, points.map(p => p.rssMB))) }
}

function parts (v: SoakSample): PartsSlopes {
  const m = v.smapsMB
  const anon = m.brk + m.arenas + m.stacks + m.anonOther
  return { file: m.file, brk: m.brk, arenas: m.arenas, stacks: m.stacks, anonOther: m.anonOther, heapPhysical: v.heapPhysicalMB, v8Malloc: v.v8MallocMB, external: v.externalMB, native: anon - v.heapPhysicalMB - v.v8MallocMB - v.externalMB }
}

/** Samples every SAMPLE_S for `minutes`; with `writes`, writes 3 issues + 3 memory entries each minute. */
async function phase (minutes: number, writes: boolean): Promise<PhaseResult> {
  const start = Date.now()
  const series = new Map<SoakProcess, SoakSample[]>(mesh.processes.map(p => [p, []]))
  let written = 0
  let skipped = 0
  let busy = false
  let failure: unknown
  const batches: Array<Promise<void>> = []
  // one batch a minute, never two at once (a batch still running when the next is due is skipped
  // and counted: on a loaded machine six CLI processes can take longer than a minute); writes never
  // hold up the sampling
  const timer = writes
    ? setInterval(() => {
      if (busy) { skipped++; return }
      busy = true
      batches.push(mesh.write(3, 3).then(() => { written += 6 }, err => { failure ??= err }).finally(() => { busy = false }))
    }, 60_000)
    : undefined
  if (writes) { busy = true; batches.push(mesh.write(3, 3).then(() => { written += 6 }, err => { failure ??= err }).finally(() => { busy = false })) }
  const steps = Math.round(minutes * 60 / SAMPLE_S)
  for (let k = 0; k <= steps; k++) {
    await at(start + k * SAMPLE_S * 1000)
    if (failure != null) break
    for (const [p, s] of mesh.sample((Date.now() - start) / 60_000)) series.get(p)?.push(s)
  }
  clearInterval(timer)
  await Promise.all(batches)
  if (failure != null) throw failure instanceof Error ? failure : new Error(String(failure))
  const processes = mesh.processes.map(p => {
    const s = series.get(p) ?? []
    const x = s.map(v => v.min)
    return {
      name: p.name,
      kind: p.kind,
      rssSlope: round(slope(x, s.map(v => v.rssMB))),
      rssAnonSlope: round(slope(x, s.map(v => v.rssAnonMB))),
      heapSlope: round(slope(x, s.map(v => v.heapMB))),
      // the live data: the heap less code and bytecode with their metadata (JIT output grows for a
      // while on any idle process, most of it outside the code spaces: mem-probe.ts)
      heapDataSlope: round(slope(x, s.map(v => v.heapDataMB))),
      // the rest of the heap: compiled code and bytecode with their metadata
      codeSlope: round(slope(x, s.map(v => v.heapMB - v.heapDataMB))),
      rssStartMB: round(s[0]?.rssMB ?? NaN, 1),
      rssEndMB: round(s.at(-1)?.rssMB ?? NaN, 1),
      closedChannelsPerMin: round(slope(x, s.map(v => v.closedChannels)), 2),
      heldChannelsPerMin: round(slope(x, s.map(v => v.heldChannels)), 2),
      afterMajorGc: afterGcSlopes(s, start),
      parts: Object.fromEntries(Object.keys(parts(s[0])).map(k => [k, round(slope(x, s.map(v => parts(v)[k as keyof PartsSlopes])))])) as unknown as PartsSlopes,
      // [minute, RSS MB, heap MB, heap less code and its metadata MB]
      samples: s.map(v => [round(v.min, 2), round(v.rssMB, 2), round(v.heapMB, 2), round(v.heapDataMB, 2)] as [number, number, number, number]),
      partsSamples: s.map(v => Object.fromEntries(Object.entries(parts(v)).map(([k, y]) => [k, round(y, 2)])) as unknown as PartsSlopes)
    }
  })
  const kind = (k: SoakKind): PhaseResult['byKind'][SoakKind] => {
    const ps = processes.filter(p => p.kind === k)
    const mean = (xs: number[]): number => round(xs.reduce((a, b) => a + b, 0) / xs.length)
    return { rssSlopeMean: mean(ps.map(p => p.rssSlope)), rssSlopeMax: Math.max(...ps.map(p => p.rssSlope)), heapSlopeMean: mean(ps.map(p => p.heapSlope)), heapSlopeMax: Math.max(...ps.map(p => p.heapSlope)), heapDataSlopeMean: mean(ps.map(p => p.heapDataSlope)), heapDataSlopeMax: Math.max(...ps.map(p => p.heapDataSlope)) }
  }
  const byKind = { bootstrap: kind('bootstrap'), peer: kind('peer') }
  return {
    minutes,
    samples: steps + 1,
    writes: written,
    skippedBatches: skipped,
    byKind,
    processes,
    target: verdict(byKind.peer.rssSlopeMean, byKind.bootstrap.rssSlopeMean),
    worstPeer: verdict(byKind.peer.rssSlopeMax, byKind.bootstrap.rssSlopeMean)
  }
}

function print (name: string, r: PhaseResult): void {
  console.log(`soak ${name} (${r.minutes} min, ${r.samples} samples, ${r.writes} writes, ${r.skippedBatches} batches skipped): RSS slope MB/min — bootstrap ${r.byKind.bootstrap.rssSlopeMean}, peers mean ${r.byKind.peer.rssSlopeMean} worst ${r.byKind.peer.rssSlopeMax}; heap slope bootstrap ${r.byKind.bootstrap.heapSlopeMean}, peers mean ${r.byKind.peer.heapSlopeMean} (without code and its metadata: ${r.byKind.bootstrap.heapDataSlopeMean}, ${r.byKind.peer.heapDataSlopeMean})`)
  for (const p of r.processes) {
    console.log(`  ${p.name.padEnd(10)} rss ${p.rssStartMB} → ${p.rssEndMB} MB, slope ${p.rssSlope} (private ${p.rssAnonSlope}), heap ${p.heapSlope} (data ${p.heapDataSlope}, code ${p.codeSlope}), closed inbound channels/min ${p.closedChannelsPerMin} (held ${p.heldChannelsPerMin})`)
    console.log(`  ${''.padEnd(10)} beyond the heap: ${Object.entries(p.parts).map(([k, v]) => `${k} ${v}`).join(', ')}`)
    if (p.afterMajorGc != null) console.log(`  ${''.padEnd(10)} after V8's own full collections: ${Object.entries(p.afterMajorGc).map(([k, v]) => `${k} ${v}`).join(', ')}`)
  }
  const met = (v: Verdict): string => v.underAbsolute && v.withinOfBootstrap ? 'met' : 'missed'
  console.log(`  target (peers' slope ≤ ${TARGET} and within ${TARGET} of bootstrap): ${met(r.target)}; worst single peer: ${met(r.worstPeer)}`)
}

const loadAtStart = loadavg()
const started = new Date().toISOString()
try {
  await mesh.start(PEERS, { probeMs: Math.min(15_000, SAMPLE_S * 1000), gcEvery: GC_EVERY })
  console.log(`soak: ${PEERS} peers meshed; warm-up ${WARMUP_MIN} min`)
  await at(Date.now() + WARMUP_MIN * 60_000)
  // --idle-min=0 / --writes-min=0 skip that phase (a phase of 0 minutes has one sample and no slope)
  const idle = IDLE_MIN > 0 ? await phase(IDLE_MIN, false) : null
  if (idle != null) print('idle', idle)
  const writes = WRITES_MIN > 0 ? await phase(WRITES_MIN, true) : null
  if (writes != null) print('writes', writes)
  const file = writeResult(OUT, {
    what: 'Fitted RSS and heap slopes (MB/min, least squares) of a novacron start bootstrap and novacron peer processes, idle and with light writes; the bootstrap is the baseline',
    config: { peers: PEERS, warmupMin: WARMUP_MIN, idleMin: IDLE_MIN, writesMin: WRITES_MIN, sampleS: SAMPLE_S, gcEvery: GC_EVERY, writesPerMinute: { issues: 3, memory: 3 }, targetMBPerMin: TARGET },
    started,
    loadAverage: { start: loadAtStart, end: loadavg() },
    idle,
    writes
  })
  console.log(`soak: wrote ${file}`)
} finally {
  await mesh.stop()
  await stopAll()
}
