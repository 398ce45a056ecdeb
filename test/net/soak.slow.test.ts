/**
 * Long-lived peers keep their memory (issue 21), as a slow test (`npm run test:slow`, ~11 min):
 * a `novacron start` bootstrap and 3 `novacron peer` processes (test/_support/soak.ts) idle for
 * 10 minutes. After a 3-minute warm-up each process is sampled every 20 s for 7 minutes; the
 * test fails when a peer's fitted RSS slope exceeds `RSS_BOUND`, or when the data channels the
 * peers' neighbours open and close on them come at more than `CHANNEL_BOUND` a minute (the cause:
 * node-datachannel keeps every one until the link closes, datachannel-tracker.ts).
 *
 * The bounds come from `npm run bench -- soak` (bench/results/soak.json, docs/mesh.md "Long-lived
 * peers") with a margin for a loaded machine: before the fix peers grew ~0.4–0.6 MB/min with ~17
 * closed inbound channels a minute; after it the worst peer's slope was under 0.1 MB/min over 7
 * minutes windows of the benchmark, with ~5 channels a minute (the state provider's sync calls).
 * The sampling runs on a timer: it is a measurement window, not a wait for some state.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { SoakMesh, slope, type SoakProcess, type SoakSample } from '../_support/soak.ts'
import { stopAll } from '../_support/processes.ts'

const WARMUP_MS = 3 * 60_000
const WINDOW_MS = 7 * 60_000
const SAMPLE_MS = 20_000
/** MB/min a peer's RSS may grow after warm-up (the leak was 0.4–0.6). */
const RSS_BOUND = 0.25
/** Closed inbound data channels a minute, per peer (the leak's cause ran at ~17). */
const CHANNEL_BOUND = 10

const mesh = new SoakMesh()

before(async () => { await mesh.start(3, { probeMs: 10_000, timeoutMs: 180_000 }) })

after(async () => {
  await mesh.stop()
  await stopAll()
})

test('idle peers keep a flat memory after warm-up, and their links do not pile up data channels', async () => {
  await new Promise(resolve => setTimeout(resolve, WARMUP_MS))
  const series = new Map<SoakProcess, SoakSample[]>(mesh.processes.map(p => [p, []]))
  const start = Date.now()
  for (let k = 0; k * SAMPLE_MS <= WINDOW_MS; k++) {
    await new Promise(resolve => setTimeout(resolve, Math.max(0, start + k * SAMPLE_MS - Date.now())))
    for (const [p, s] of mesh.sample((Date.now() - start) / 60_000)) series.get(p)?.push(s)
  }
  const report = mesh.processes.map(p => {
    const s = series.get(p) ?? []
    const x = s.map(v => v.min)
    return { name: p.name, kind: p.kind, rssSlope: slope(x, s.map(v => v.rssMB)), channelsPerMin: slope(x, s.map(v => v.heldChannels)), rss: `${s[0]?.rssMB.toFixed(1)} → ${s.at(-1)?.rssMB.toFixed(1)} MB` }
  })
  const text = report.map(r => `${r.name}: ${r.rss}, ${r.rssSlope.toFixed(3)} MB/min, ${r.channelsPerMin.toFixed(1)} held channels/min`).join('; ')
  for (const r of report.filter(r => r.kind === 'peer')) {
    assert.ok(r.rssSlope <= RSS_BOUND, `${r.name} grew ${r.rssSlope.toFixed(3)} MB/min (bound ${RSS_BOUND}): ${text}`)
    assert.ok(r.channelsPerMin <= CHANNEL_BOUND, `${r.name} held ${r.channelsPerMin.toFixed(1)} more closed inbound data channels a minute (bound ${CHANNEL_BOUND}): ${text}`)
  }
})
