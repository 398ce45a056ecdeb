/**
 * The memory browser panel: every live entry of the shared memory store, filtered by namespace
 * and a glob on keys (substring on values), with forms to store (JSON value, optional TTL) and
 * delete. Live-updating from the replicated document; expired entries disappear on every peer
 * at the same instant because expiry is a rule on the entry, not an event.
 */
import type { Panel } from './index.ts'
import type { AppContext } from '../context.ts'
import { errorWords, field, h, shortId } from '../view/dom.ts'
import { relative } from '../view/time.ts'
import { stateSession } from '../state/session.ts'
import { parseDuration, type MemoryEntry } from '../../core/state/memory.ts'
import './state.css'

/** The store form's fields, checked as they are typed: the error says what is wrong and goes when it is fixed. */
function formProblem (key: string, value: string, ttl: string, touched: boolean): string {
  if (value.trim() !== '') {
    try { JSON.parse(value) } catch { return 'The value is not JSON: put text in quotes ("like this"), or write a number, true/false, [a list] or {"an": "object"}.' }
  }
  if (ttl.trim() !== '') {
    try { parseDuration(ttl) } catch { return `The expiry "${ttl}" is not a duration: write e.g. 30s, 10m, 2h or 1d.` }
  }
  if (touched && key.trim() === '') return 'Give the entry a key.'
  if (touched && value.trim() === '') return 'Give the entry a value.'
  return ''
}

export async function mountMemory (root: HTMLElement, ctx: AppContext): Promise<void> {
  const s = await stateSession(ctx)
  let error = ''
  let touched = false
  const ns = h('input', { name: 'ns', value: 'default', placeholder: 'namespace', 'data-testid': 'mem-ns' })
  const key = h('input', { name: 'key', placeholder: 'e.g. plan/today', 'data-testid': 'mem-key' })
  const value = h('input', { name: 'value', placeholder: 'JSON, e.g. {"a":1}', 'data-testid': 'mem-value' })
  const ttl = h('input', { name: 'ttl', placeholder: 'e.g. 10m', size: 6, 'data-testid': 'mem-ttl' })
  const store = h('button', { type: 'button', 'data-testid': 'mem-store' }, 'Store')
  const pattern = h('input', { name: 'pattern', placeholder: 'glob on keys, e.g. plan/*', 'data-testid': 'mem-pattern' })
  const contains = h('input', { name: 'contains', placeholder: 'value contains…', 'data-testid': 'mem-contains' })
  const table = h('div', {})
  const check = (): void => { error = formProblem(key.value, value.value, ttl.value, touched) }
  store.addEventListener('click', () => {
    touched = true
    check()
    if (error === '') {
      try {
        s.memory.store(ns.value, key.value, JSON.parse(value.value), ttl.value.trim() === '' ? {} : { ttlMs: parseDuration(ttl.value) })
        key.value = ''; value.value = ''; touched = false
      } catch (err) { error = errorWords(err) }
    }
    render()
  })
  for (const el of [ns, key, value, ttl]) el.addEventListener('input', () => { check(); render() })
  for (const el of [pattern, contains]) el.addEventListener('input', () => { render() })
  root.append(
    h('p', { class: 'hint' }, 'Namespaced JSON values with optional expiry, replicated to every peer.'),
    h('div', { class: 'form-row' }, field('Namespace', ns), field('Key', key), field('Value (JSON)', value, { grow: true }), field('Expires after', ttl), store),
    h('div', { class: 'form-row' }, field('Keys matching', pattern), field('Values containing', contains)),
    table)
  const render = (): void => {
    let rows: MemoryEntry[]
    let searchError = ''
    try {
      rows = s.memory.search({ pattern: pattern.value.trim() === '' ? '*' : pattern.value, ...(contains.value !== '' ? { valueContains: contains.value } : {}) })
    } catch (err) { rows = []; searchError = `The key pattern does not work: ${errorWords(err)}` }
    const now = Date.now()
    const parts: HTMLElement[] = []
    for (const e of [error, searchError]) if (e !== '') parts.push(h('p', { class: 'error', 'data-testid': 'mem-error', role: 'alert' }, e))
    parts.push(rows.length === 0
        ? h('p', { class: 'empty' }, 'No entries.')
        : h('table', { class: 'peers memory', 'data-testid': 'memory-table' },
          h('thead', {}, h('tr', {}, h('th', {}, 'Namespace'), h('th', {}, 'Key'), h('th', {}, 'Value'), h('th', {}, 'Expires'), h('th', {}, 'By'), h('th', {}, ''))),
          h('tbody', {}, ...rows.map(e => {
            const del = h('button', { type: 'button', class: 'secondary small', 'data-testid': 'mem-delete' }, 'Delete')
            del.addEventListener('click', () => {
              // the delete replicates: it removes the entry for every peer of the mesh, so ask first
              if (!confirm(`Delete ${e.namespace}/${e.key} for every peer of the mesh?`)) return
              try { s.memory.delete(e.namespace, e.key) } catch (err) { error = errorWords(err); render() }
            })
            return h('tr', { 'data-key': `${e.namespace}:${e.key}` },
              h('td', {}, e.namespace), h('td', {}, h('code', {}, e.key)), h('td', { class: 'value' }, JSON.stringify(e.value)),
              h('td', { 'data-testid': 'mem-expires' }, e.expiresAt == null ? '—' : relative(e.expiresAt, now)),
              h('td', { title: e.author }, shortId(e.author)), h('td', {}, del))
          }))))
    table.replaceChildren(...parts)
  }
  s.onChange(render)
  setInterval(render, 1000) // the "expires" column counts down; expiry itself needs no event
  render()
}

export const memoryPanel: Panel = { id: 'memory', title: 'Shared memory', mount: mountMemory }
