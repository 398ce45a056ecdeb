/**
 * The debug memory probe (node-runtime/mesh/mem-probe.ts): off unless NOVACRON_MEMLOG_MS is set;
 * with NOVACRON_MEMLOG_GC=1 each sample follows a full collection, so garbage made just before a
 * sample is not in its heap; samples parse back from a process's stderr; `codeUsed` (V8's code
 * spaces) is the compiled-code part of the heap, `codeMetaUsed` that plus bytecode and the
 * metadata V8 keeps for compiled code outside the code spaces, which is not live data; with
 * NOVACRON_MEMLOG_GC=N only every Nth sample follows a collection (the probe's own GC makes code churn).
 */
import assert from 'node:assert/strict'
import { constants, PerformanceObserver } from 'node:perf_hooks'
import { test } from 'node:test'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type { MeshNode } from '../../core/net/index.ts'
import { gcEvery, heapDataBytes, isOwnMajorGc, memSampler, parseMemSamples, startMemProbe, type GcDetail } from '../../node-runtime/mesh/mem-probe.ts'
import { waitFor } from '../_support/wait.ts'

const node = { streamStats: () => ({ connections: {}, streams: {}, inboundChannels: [] }) } as unknown as MeshNode

function probe (env: Record<string, string>): string[] {
  const lines: string[] = []
  startMemProbe(node, line => { lines.push(line) }, env)() // the first sample is written at once; then stop
  return lines
}

test('the probe is off without NOVACRON_MEMLOG_MS, and its samples parse back', () => {
  assert.deepEqual(probe({}), [])
  assert.deepEqual(probe({ NOVACRON_MEMLOG_MS: 'soon' }), [])
  const lines = probe({ NOVACRON_MEMLOG_MS: '60000' })
  assert.equal(lines.length, 1)
  const [s] = parseMemSamples(`noise\n${lines[0]}{"memlog":{"cut`)
  assert.ok(s.heapUsed > 0 && s.rss >= s.heapUsed)
  // the compiled code is a real, smaller part of the heap (this process has run plenty of code)
  assert.ok(s.codeUsed > 0 && s.codeUsed < s.heapUsed, `code ${s.codeUsed} of heap ${s.heapUsed}`)
})

test('codeUsed grows when new functions are compiled', () => {
  const before = parseMemSamples(probe({ NOVACRON_MEMLOG_MS: '60000' })[0])[0].codeUsed
  // 300 distinct functions, each run so V8 compiles it
  const fns = Array.from({ length: 300 }, (_, i) => new Function('a', `let s = ${i}; for (let k = 0; k < a; k++) s += k * ${i + 1} % 7; return s`) as (a: number) => number)
  assert.ok(fns.reduce((n, f) => n + f(50), 0) > 0)
  const after = parseMemSamples(probe({ NOVACRON_MEMLOG_MS: '60000' })[0])[0].codeUsed
  assert.ok(after > before, `code space ${before} -> ${after}`)
})

test('with NOVACRON_MEMLOG_GC=1 a sample is taken after a full collection (garbage is not counted)', () => {
  const heapWith = (env: Record<string, string>): number => {
    let garbage: unknown[] | undefined = Array.from({ length: 200_000 }, (_, i) => ({ i, s: `x${i}` }))
    assert.equal(garbage.length, 200_000)
    garbage = undefined
    return parseMemSamples(probe(env)[0])[0].heapUsed
  }
  const plain = heapWith({ NOVACRON_MEMLOG_MS: '60000' })
  const collected = heapWith({ NOVACRON_MEMLOG_MS: '60000', NOVACRON_MEMLOG_GC: '1' })
  // 200,000 small objects are > 10 MB of garbage; a collection before the sample frees them
  assert.ok(collected < plain - 5 * 1024 * 1024, `heap after GC ${collected} vs without ${plain}`)
})

test('codeMetaUsed counts bytecode and code metadata outside the code spaces, and heapDataBytes leaves it out', () => {
  const sample = (): ReturnType<typeof parseMemSamples>[number] => parseMemSamples(probe({ NOVACRON_MEMLOG_MS: '60000', NOVACRON_MEMLOG_GC: '1' })[0])[0]
  const a = sample()
  assert.ok(a.codeMetaUsed != null && a.codeMetaUsed >= a.codeUsed, `code and metadata ${a.codeMetaUsed} vs code spaces ${a.codeUsed}`)
  // 400 distinct functions, kept alive and run hot: their bytecode, feedback and any optimised
  // code's deoptimization data live in the old space, not in the code spaces
  // (long bodies, ~2 KB of bytecode each: a full GC may flush other, idle functions' bytecode at the
  // same time, a few KB that must not hide the growth)
  const body = (i: number): string => Array.from({ length: 40 }, (_, j) => `s += (k * ${i + 3 + j}) % ${11 + j}; if (s > ${1e9 + j}) s -= ${j + 1};`).join(' ')
  const fns = Array.from({ length: 400 }, (_, i) => new Function('a', `let s = ${i}; for (let k = 0; k < a; k++) { ${body(i)} } return s`) as (a: number) => number)
  for (let r = 0; r < 30; r++) for (const f of fns) f(200)
  const b = sample()
  assert.ok(b.codeMetaUsed != null)
  const outside = (b.codeMetaUsed - b.codeUsed) - (a.codeMetaUsed - a.codeUsed)
  // what the code-space-only measure took for data: at least ~100 bytes of bytecode per function
  assert.ok(outside > 400 * 100, `code metadata outside the code spaces grew ${outside} bytes`)
  assert.equal(heapDataBytes(b), b.heapUsed - b.codeMetaUsed)
  assert.ok(heapDataBytes(b) - heapDataBytes(a) < (b.heapUsed - b.codeUsed) - (a.heapUsed - a.codeUsed) - 400 * 100)
  // a sample from before codeMetaUsed existed falls back to the code spaces
  assert.equal(heapDataBytes({ heapUsed: 1000, codeUsed: 300 }), 700)
  assert.equal(fns.length, 400) // alive up to the second sample
})

test('NOVACRON_MEMLOG_GC=N collects before every Nth sample only, 0 or junk never', () => {
  assert.deepEqual(['1', '4', '0', '', 'yes', '-2', '1.5', undefined].map(v => gcEvery(v == null ? {} : { NOVACRON_MEMLOG_GC: v })), [1, 4, 0, 0, 0, 0, 0, 0])
  const run = (env: Record<string, string>): Array<{ gc: boolean | undefined, heapUsed: number }> => {
    const next = memSampler(node, env)
    return Array.from({ length: 6 }, () => {
      // > 10 MB of garbage before each sample: a sample after a collection does not count it
      let garbage: unknown[] | undefined = Array.from({ length: 200_000 }, (_, i) => ({ i, s: `x${i}` }))
      assert.equal(garbage.length, 200_000)
      garbage = undefined
      const s = next()
      return { gc: s.gc, heapUsed: s.heapUsed }
    })
  }
  const third = run({ NOVACRON_MEMLOG_GC: '3' })
  assert.deepEqual(third.map(s => s.gc), [true, false, false, true, false, false])
  // the collected samples hold less than the uncollected ones right after them (the garbage)
  assert.ok(third[0].heapUsed < third[1].heapUsed - 5 * 1024 * 1024 && third[3].heapUsed < third[4].heapUsed - 5 * 1024 * 1024, JSON.stringify(third))
  assert.deepEqual(run({ NOVACRON_MEMLOG_GC: '0' }).map(s => s.gc), [false, false, false, false, false, false])
  // V8's share of the RSS is reported beside it
  const s = memSampler(node, {})()
  assert.ok(s.heapPhysical != null && s.heapPhysical > 0 && s.heapPhysical < s.rss && s.v8Malloced != null && s.v8Malloced > 0, JSON.stringify(s))
})

test("without a forced GC on every sample, samples carry the heap as V8's own latest full collection left it", async () => {
  // a forced collection is the probe's, not V8's own: its gc entry does not count
  setFlagsFromString('--expose-gc')
  const forceGc = runInNewContext('gc') as () => void
  const seen: GcDetail[] = []
  const observer = new PerformanceObserver(list => { for (const e of list.getEntries()) seen.push((e as { detail?: GcDetail }).detail ?? {}) })
  observer.observe({ entryTypes: ['gc'] })
  forceGc()
  const forced = await waitFor(() => seen.find(d => d.kind === constants.NODE_PERFORMANCE_GC_MAJOR && ((d.flags ?? 0) & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED) !== 0), { message: 'the forced collection\'s gc entry' })
  observer.disconnect()
  assert.equal(isOwnMajorGc(forced), false)
  assert.equal(isOwnMajorGc({ kind: constants.NODE_PERFORMANCE_GC_MINOR, flags: 0 }), false)
  assert.equal(isOwnMajorGc({ kind: constants.NODE_PERFORMANCE_GC_MAJOR, flags: constants.NODE_PERFORMANCE_GC_FLAGS_SCHEDULE_IDLE }), true)
  // retained allocations grow the old space until V8 runs a full collection of its own
  const next = memSampler(node, { NOVACRON_MEMLOG_GC: '0' })
  const start = Date.now()
  const kept: unknown[][] = []
  await waitFor(async () => {
    kept.push(Array.from({ length: 20_000 }, (_, i) => ({ i, s: `k${i}` })))
    await new Promise(resolve => setImmediate(resolve))
    return next().afterMajorGc != null
  }, { timeout: 60_000, interval: 0, message: () => `a full collection of V8's own (${kept.length} MB-sized batches kept)` })
  const after = next().afterMajorGc
  assert.ok(after != null && after.t >= start && after.heapUsed > 0 && after.codeMetaUsed > 0 && after.rss > after.heapUsed, JSON.stringify(after))
  assert.ok(kept.length > 0)
  // with a forced collection before every sample there is nothing to watch
  assert.equal(memSampler(node, { NOVACRON_MEMLOG_GC: '1' })().afterMajorGc, undefined)
})
