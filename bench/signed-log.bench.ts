/**
 * `npm run bench -- signed-log`: memory a Node peer's signed log holds per entry (issue 21), with the
 * entry bytes in memory (the log before, and still without a keyed store) against the log on its
 * LevelDB data dir (keys, lengths and digests in memory, bytes read back when serving).
 *
 * Each arm runs in a process of its own (RSS is per process), twice, alternating: open a data dir,
 * warm up (2,000 entries, not counted), then add `--entries` (default 50,000) seeded entries of ~450
 * bytes (a write's size: 1-900) as the replica does (stored on LevelDB in both arms), wait for the
 * writes, full GCs; report per entry the growth of the JS heap (less code), of ArrayBuffers and of
 * RSS. Also times reading every entry back (`missing` from an empty vector) in each arm.
 *
 * Options: --entries=50000, --out=signed-log.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { getHeapCodeStatistics, setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { SignedLog } from '../core/state/signed-log.ts'
import { openPersistentDoc } from '../node-runtime/state/persistence.ts'
import { seeded } from '../test/state/_helpers.ts'
import { median, writeResult } from './_results.ts'

const arg = (name: string): string | undefined => process.argv.find(a => a.startsWith(`--${name}=`))?.split('=')[1]
const ENTRIES = Number(arg('entries') ?? 50_000)
const OUT = arg('out') ?? 'signed-log'
const ARM = arg('arm') as 'memory' | 'store' | undefined

interface ArmResult { arm: 'memory' | 'store', entries: number, averageBytes: number, heapPerEntry: number, buffersPerEntry: number, rssPerEntry: number, readAllMs: number }

async function runArm (arm: 'memory' | 'store'): Promise<ArmResult> {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  const measure = async (): Promise<{ heap: number, buffers: number, rss: number }> => {
    for (let i = 0; i < 4; i++) { gc(); await new Promise(resolve => setImmediate(resolve)) }
    gc()
    const code = getHeapCodeStatistics()
    const m = process.memoryUsage()
    return { heap: m.heapUsed - code.code_and_metadata_size - code.bytecode_and_metadata_size, buffers: m.arrayBuffers, rss: m.rss }
  }
  const dir = mkdtempSync(join(os.tmpdir(), 'novacron-log-bench-'))
  try {
    const p = await openPersistentDoc(dir)
    const log = arm === 'store' ? new SignedLog(p.entries.keyed) : new SignedLog()
    const r = seeded(21)
    let seq = 0
    let total = 0
    // as the replica commits: store and log (a keyed log stores the entry itself)
    const add = (n: number): void => {
      for (let i = 0; i < n; i++) {
        const e = new Uint8Array(1 + Math.floor(r() * 900))
        for (let k = 0; k < e.length; k += 7) e[k] = (seq + k) & 0xff
        if (!log.stored) p.entries.append(e)
        log.add(1 + (seq % 3), Math.floor(seq / 3), e)
        seq++
        total += e.length
      }
    }
    add(2001) // warm-up, a multiple of 3 entries
    await p.flush()
    const before = await measure()
    const counted = total
    add(ENTRIES)
    await p.flush()
    const after = await measure()
    const t0 = performance.now()
    let read = 0
    for await (const chunk of log.missing(new Map(), 4 * 1024 * 1024 - 64 * 1024)) read += chunk.length
    const readAllMs = performance.now() - t0
    if (read !== seq) throw new Error(`read back ${read} of ${seq} entries`)
    await p.close()
    return {
      arm,
      entries: ENTRIES,
      averageBytes: +((total - counted) / ENTRIES).toFixed(1),
      heapPerEntry: +((after.heap - before.heap) / ENTRIES).toFixed(1),
      buffersPerEntry: +((after.buffers - before.buffers) / ENTRIES).toFixed(1),
      rssPerEntry: +((after.rss - before.rss) / ENTRIES).toFixed(1),
      readAllMs: +readAllMs.toFixed(1)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

if (ARM != null) {
  console.log(JSON.stringify(await runArm(ARM)))
} else {
  const loadStart = os.loadavg().map(x => +x.toFixed(2))
  const runs: ArmResult[] = []
  for (const arm of ['memory', 'store', 'memory', 'store'] as const) {
    const c = spawnSync(process.execPath, [...process.execArgv, new URL(import.meta.url).pathname, `--arm=${arm}`, `--entries=${ENTRIES}`], { encoding: 'utf8' })
    if (c.status !== 0) throw new Error(`arm ${arm} failed: ${c.stderr}`)
    runs.push(JSON.parse(c.stdout.trim().split('\n').at(-1) ?? '') as ArmResult)
  }
  const of = (arm: string, k: keyof ArmResult): number => median(runs.filter(x => x.arm === arm).map(x => x[k] as number))
  const summary = Object.fromEntries(['memory', 'store'].map(arm => [arm, {
    heapPerEntry: of(arm, 'heapPerEntry'), buffersPerEntry: of(arm, 'buffersPerEntry'), rssPerEntry: of(arm, 'rssPerEntry'), readAllMs: of(arm, 'readAllMs')
  }]))
  const result = {
    what: 'Memory held per signed-log entry (JS heap less code, ArrayBuffers, RSS growth) with entry bytes in memory (baseline: the log before, and without a keyed store) against the log on its LevelDB data dir; median of 2 runs per arm, each in its own process',
    config: { entries: ENTRIES },
    loadAverage: { start: loadStart, end: os.loadavg().map(x => +x.toFixed(2)) },
    summary,
    ratio: { heapPlusBuffers: +((summary.store.heapPerEntry + summary.store.buffersPerEntry) / (summary.memory.heapPerEntry + summary.memory.buffersPerEntry)).toFixed(3), rss: +(summary.store.rssPerEntry / summary.memory.rssPerEntry).toFixed(3) },
    runs
  }
  const file = writeResult(OUT, result)
  console.log(`signed log per entry (${ENTRIES} entries of ~${runs[0].averageBytes} B): memory heap ${summary.memory.heapPerEntry} + buffers ${summary.memory.buffersPerEntry}, RSS ${summary.memory.rssPerEntry}; store heap ${summary.store.heapPerEntry} + buffers ${summary.store.buffersPerEntry}, RSS ${summary.store.rssPerEntry}; read all ${summary.memory.readAllMs} / ${summary.store.readAllMs} ms → ${file}`)
}
