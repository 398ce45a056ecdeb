/**
 * The memory browser panel: every live entry of the shared memory store, filtered by namespace
 * and a glob on keys (substring on values), with forms to store (JSON value, optional TTL) and
 * delete. Live-updating from the replicated document; expired entries disappear on every peer
 * at the same instant because expiry is a rule on the entry, not an event.
 */
import type { Panel } from './index.ts'
import type { AppContext } from '../context.ts'
import { h, shortId } from '../view/dom.ts'
import { stateSession } from '../state/session.ts'
import { parseDuration, type MemoryEntry } from '../../core/state/memory.ts'
import './state.css'

export async function mountMemory (root: HTMLElement, ctx: AppContext): Promise<void> {
  const s = await stateSession(ctx)
  let error = ''
  const ns = h('input', { name: 'ns', value: 'default', placeholder: 'namespace', 'data-testid': 'mem-ns' })
  const key = h('input', { name: 'key', placeholder: 'key', 'data-testid': 'mem-key' })
  const value = h('input', { name: 'value', placeholder: 'JSON value, e.g. {"a":1}', 'data-testid': 'mem-value' })
  const ttl = h('input', { name: 'ttl', placeholder: 'TTL (10m)', size: 6, 'data-testid': 'mem-ttl' })
  const store = h('button', { type: 'button', 'data-testid': 'mem-store' }, 'Store')
  const pattern = h('input', { name: 'pattern', placeholder: 'glob on keys, e.g. plan/*', 'data-testid': 'mem-pattern' })
  const contains = h('input', { name: 'contains', placeholder: 'value contains…' })
  const table = h('div', {})
  store.addEventListener('click', () => {
    try {
      let v: unknown
      try { v = JSON.parse(value.value) } catch { throw new Error(`value is not JSON: ${value.value}`) }
      s.memory.store(ns.value, key.value, v, ttl.value.trim() === '' ? {} : { ttlMs: parseDuration(ttl.value) })
      key.value = ''; value.value = ''; error = ''
    } catch (err) { error = err instanceof Error ? `${err.name}: ${err.message}` : String(err) }
    render()
  })
  for (const el of [pattern, contains]) el.addEventListener('input', () => { render() })
  root.append(
    h('p', { class: 'hint' }, 'Namespaced JSON values with optional expiry, replicated to every peer.'),
    h('div', { class: 'form-row' }, ns, key, value, ttl, store),
    h('div', { class: 'form-row' }, pattern, contains),
    table)
  const render = (): void => {
    let rows: MemoryEntry[]
    try {
      rows = s.memory.search({ pattern: pattern.value.trim() === '' ? '*' : pattern.value, ...(contains.value !== '' ? { valueContains: contains.value } : {}) })
    } catch (err) { rows = []; error = (err as Error).message }
    const now = Date.now()
    const parts: HTMLElement[] = []
    if (error !== '') parts.push(h('p', { class: 'error', 'data-testid': 'mem-error' }, error))
    parts.push(rows.length === 0
        ? h('p', { class: 'empty' }, 'No entries.')
        : h('table', { class: 'peers memory', 'data-testid': 'memory-table' },
          h('thead', {}, h('tr', {}, h('th', {}, 'Namespace'), h('th', {}, 'Key'), h('th', {}, 'Value'), h('th', {}, 'Expires'), h('th', {}, 'By'), h('th', {}, ''))),
          h('tbody', {}, ...rows.map(e => {
            const del = h('button', { type: 'button', class: 'secondary small' }, 'Delete')
            del.addEventListener('click', () => { try { s.memory.delete(e.namespace, e.key) } catch (err) { error = (err as Error).message; render() } })
            return h('tr', { 'data-key': `${e.namespace}:${e.key}` },
              h('td', {}, e.namespace), h('td', {}, h('code', {}, e.key)), h('td', { class: 'value' }, JSON.stringify(e.value)),
              h('td', {}, e.expiresAt == null ? '—' : `in ${Math.max(0, Math.round((e.expiresAt - now) / 1000))} s`),
              h('td', { title: e.author }, shortId(e.author)), h('td', {}, del))
          }))))
    table.replaceChildren(...parts)
  }
  s.onChange(render)
  setInterval(render, 1000) // the "expires in" column counts down; expiry itself needs no event
  render()
}

export const memoryPanel: Panel = { id: 'memory', title: 'Shared memory', mount: mountMemory }
