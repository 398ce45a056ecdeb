/**
 * The debug memory probe (node-runtime/mesh/mem-probe.ts): off unless NOVACRON_MEMLOG_MS is set;
 * with NOVACRON_MEMLOG_GC=1 each sample follows a full collection, so garbage made just before a
 * sample is not in its heap; samples parse back from a process's stderr; `codeUsed` (V8's code
 * spaces) is the compiled-code part of the heap.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { MeshNode } from '../../core/net/index.ts'
import { parseMemSamples, startMemProbe } from '../../node-runtime/mesh/mem-probe.ts'

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
