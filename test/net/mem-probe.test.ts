/**
 * The debug memory probe (node-runtime/mesh/mem-probe.ts): off unless NOVACRON_MEMLOG_MS is set;
 * with NOVACRON_MEMLOG_GC=1 each sample follows a full collection, so garbage made just before a
 * sample is not in its heap; samples parse back from a process's stderr.
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
