/**
 * The Health panel: the tab's own counters, from the same `MetricsRegistry` (core/metrics) that a
 * Node peer serves at /metrics — rejected messages by protocol/topic and reason, disconnects,
 * connections by transport, open streams and data channels, gossipsub scores of the peers it
 * knows, and the shared state's pending bytes and size once the state panels have opened it.
 * Re-read every second; values only, as text nodes (nothing from a peer is parsed as HTML).
 * Metric meanings: docs/metrics.md.
 */
import type { Panel } from './index.ts'
import type { AppContext } from '../context.ts'
import type { MetricSnapshot } from '../../core/metrics/index.ts'
import { h, shortId } from '../view/dom.ts'

const PREFIX = 'novacron_'

function labelText (m: MetricSnapshot, labels: Readonly<Record<string, string>>): string {
  return m.labelNames.map(l => l === 'peer' ? shortId(labels[l]) : labels[l]).join(' · ')
}

function format (v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(2)
}

export function renderHealth (snapshot: MetricSnapshot[]): HTMLElement {
  const rows: HTMLElement[] = []
  for (const m of snapshot) {
    const name = m.name.startsWith(PREFIX) ? m.name.slice(PREFIX.length) : m.name
    const samples = m.samples.length === 0 && m.labelNames.length === 0 ? [{ labels: {}, value: 0 }] : m.samples
    if (samples.length === 0) {
      rows.push(h('tr', { 'data-metric': m.name }, h('td', { title: m.help }, name), h('td', { class: 'muted' }, 'none yet'), h('td', {}, '0')))
      continue
    }
    for (const s of samples) {
      rows.push(h('tr', { 'data-metric': m.name },
        h('td', { title: m.help }, name),
        h('td', { title: Object.values(s.labels).join(' ') }, labelText(m, s.labels)),
        h('td', { class: s.value < 0 ? 'bad' : '' }, format(s.value))))
    }
  }
  return h('table', { class: 'peers health', 'data-testid': 'health-table' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Metric'), h('th', {}, 'Labels'), h('th', {}, 'Value'))),
    h('tbody', {}, ...rows))
}

export function mountHealth (root: HTMLElement, ctx: AppContext): void {
  const body = h('div', { class: 'table-scroll' })
  root.append(h('p', { class: 'hint' }, 'This tab\u2019s counters: what peers sent that was rejected, links, streams, scores (the same metrics a Node peer serves at /metrics).'), body)
  const render = (): void => { body.replaceChildren(renderHealth(ctx.mesh.metrics.snapshot())) }
  render()
  setInterval(render, 1000)
}

export const healthPanel: Panel = { id: 'health', title: 'Health', mount: mountHealth }
