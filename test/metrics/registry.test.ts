/**
 * core/metrics: counters and gauges with labels, collect-at-read gauges, bounded cardinality,
 * typed errors on bad names; and the Prometheus export of the same registry through prom-client.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MetricsRegistry, OTHER } from '../../core/metrics/index.ts'
import { prometheusExport } from '../../node-runtime/metrics/prometheus.ts'

test('counters count per label set; registering again returns the same metric', () => {
  const r = new MetricsRegistry()
  const c = r.registerCounter({ name: 'x_rejected_total', help: 'h', labelNames: ['protocol', 'reason'] })
  c.inc({ protocol: 'a', reason: 'malformed' })
  c.inc({ protocol: 'a', reason: 'malformed' }, 2)
  c.inc({ protocol: 'b', reason: 'rate' })
  assert.equal(c.get({ protocol: 'a', reason: 'malformed' }), 3)
  assert.equal(c.total(), 4)
  assert.equal(r.registerCounter({ name: 'x_rejected_total', help: 'h', labelNames: ['protocol', 'reason'] }), c)
  assert.throws(() => { c.inc({ protocol: 'a', reason: 'x' }, -1) }, RangeError)
  assert.throws(() => { c.inc({ protocol: 'a' }) }, { name: 'MetricsError' })
  assert.throws(() => r.registerGauge({ name: 'x_rejected_total', help: 'h' }), { name: 'MetricsError' })
  assert.throws(() => r.registerCounter({ name: 'no_suffix', help: 'h' }), { name: 'MetricsError' })
  assert.throws(() => r.registerCounter({ name: 'bad-name_total', help: 'h' }), { name: 'MetricsError' })
})

test('gauges with collect are filled at read time; a failing collect leaves the gauge empty', () => {
  const r = new MetricsRegistry()
  let n = 1
  r.registerGauge({ name: 'x_conns', help: 'h', labelNames: ['transport'], collect: g => { g.set({ transport: 'webrtc' }, n) } })
  r.registerGauge({ name: 'x_broken', help: 'h', collect: () => { throw new Error('boom') } })
  assert.deepEqual(r.snapshot().find(m => m.name === 'x_conns')?.samples, [{ labels: { transport: 'webrtc' }, value: 1 }])
  n = 5
  assert.deepEqual(r.snapshot().find(m => m.name === 'x_conns')?.samples, [{ labels: { transport: 'webrtc' }, value: 5 }])
  assert.deepEqual(r.snapshot().find(m => m.name === 'x_broken')?.samples, [])
  const broken = r.get('x_broken') as import('../../core/metrics/index.ts').Gauge
  assert.equal(broken.collectErrors, 3) // one per snapshot() above
  assert.equal(broken.lastCollectError?.message, 'boom')
})

test('label values a peer controls cannot grow a metric without bound', () => {
  const c = new MetricsRegistry().registerCounter({ name: 'x_total', help: 'h', labelNames: ['protocol'], maxSeries: 8 })
  for (let i = 0; i < 10_000; i++) c.inc({ protocol: `/made-up/${i}` })
  const s = c.snapshot().samples
  assert.equal(s.length, 9)
  assert.equal(c.get({ protocol: OTHER }), 10_000 - 8)
  assert.equal(c.total(), 10_000)
})

test('Prometheus export: every registry metric with its samples, metrics registered later included, plus process metrics', async () => {
  const r = new MetricsRegistry()
  const c = r.registerCounter({ name: 'novacron_test_rejected_total', help: 'Rejected things', labelNames: ['reason'] })
  c.inc({ reason: 'malformed' }, 3)
  const exp = prometheusExport(r)
  let text = await exp.text()
  assert.match(exp.contentType, /^text\/plain/)
  assert.match(text, /# TYPE novacron_test_rejected_total counter/)
  assert.match(text, /novacron_test_rejected_total\{reason="malformed"\} 3/)
  assert.match(text, /novacron_process_resident_memory_bytes \d+/)
  r.registerGauge({ name: 'novacron_test_later', help: 'Registered after the exporter', collect: g => { g.set({}, 42) } })
  c.inc({ reason: 'malformed' })
  text = await exp.text()
  assert.match(text, /novacron_test_later 42/)
  assert.match(text, /novacron_test_rejected_total\{reason="malformed"\} 4/)
})
