/**
 * The Jobs panel's migration section (issue 20): the tasks this tab runs with checkpoints, each
 * with a "migrate" button and a target list (any peer, chosen by the migration service, or one
 * member picked), and the migrations this tab made — from, to, downtime, bytes sent against the
 * memory size, rounds — from the same records `novacron job migrations` prints for a Node peer
 * (core/migration/service.ts's `records`). A tab moves only tasks it runs itself: moving another
 * peer's task is that peer's call (`novacron job migrate` on it).
 *
 * The movable rows are rebuilt only when the tasks or the peers change, so an open target list is
 * not closed by the panel's once-a-second render.
 */
import type { TabJobs } from '../jobs/tab-jobs.ts'
import type { MigrationRecord } from '../../core/migration/outgoing.ts'
import { errorWords, h, shortId } from '../view/dom.ts'

export interface MigrationsView {
  readonly el: HTMLElement
  render: () => void
}

const kib = (n: number): string => `${(n / 1024).toFixed(0)} KiB`

export function createMigrationsView (jobs: TabJobs): MigrationsView {
  const movableBox = h('div', { class: 'table-scroll' })
  const recordsBox = h('div', { class: 'table-scroll' })
  const note = h('p', { class: 'hint', 'data-testid': 'jobs-migrate-message' })
  const el = h('div', { 'data-testid': 'jobs-migration' }, h('h3', {}, 'Migration'), movableBox, note, recordsBox)
  const choice = new Map<string, string>() // task key → the peer picked ('' = any)
  const busy = new Set<string>()
  let shown = ''

  const migrate = (key: string): void => {
    const service = jobs.migration()?.service
    if (service == null) return
    const [job, t, r] = key.split('/') // job/task/replica; a job id is `<slot>.<index>`
    const task = Number(t)
    const replica = Number(r)
    const to = choice.get(key) ?? ''
    busy.add(key)
    note.textContent = `Moving ${job} task ${task}${to !== '' ? ` to ${shortId(to)}` : ''}…`
    shown = ''
    render()
    service.migrate({ job, task, replica }, to !== '' ? to : undefined).then(
      r => { note.textContent = `Moved ${job} task ${task} to ${shortId(r.to)}: downtime ${r.downtimeMs ?? '?'} ms.` },
      (err: unknown) => { note.textContent = `${job} task ${task} stayed here: ${errorWords(err)}` }
    ).finally(() => { busy.delete(key); shown = ''; render() })
  }

  function movableRows (m: NonNullable<ReturnType<TabJobs['migration']>>, peers: string[]): HTMLElement {
    if (!m.enabled) return h('p', { class: 'empty' }, 'Tasks in this tab cannot move: the page is not cross-origin isolated.')
    const keys = m.service.movable
    if (keys.length === 0) return h('p', { class: 'empty' }, 'No task of this tab can move now.')
    return h('table', { 'data-testid': 'jobs-movable' },
      h('thead', {}, h('tr', {}, ...['task running here', 'to', ''].map(t => h('th', {}, t)))),
      h('tbody', {}, ...keys.map(key => {
        const select = h('select', { 'data-testid': 'jobs-migrate-to', 'aria-label': `Where to move ${key}` },
          h('option', { value: '' }, 'any peer (chosen by the service)'),
          ...peers.map(p => h('option', { value: p }, shortId(p))))
        select.value = peers.includes(choice.get(key) ?? '') ? choice.get(key) ?? '' : ''
        select.addEventListener('change', () => { choice.set(key, select.value) })
        const btn = h('button', { type: 'button', 'data-testid': 'jobs-migrate', 'data-task': key }, busy.has(key) ? 'moving…' : 'migrate')
        btn.disabled = busy.has(key)
        btn.addEventListener('click', () => { migrate(key) })
        return h('tr', { 'data-task': key }, h('td', {}, key), h('td', {}, select), h('td', {}, btn))
      })))
  }

  function recordRows (records: MigrationRecord[]): HTMLElement {
    if (records.length === 0) return h('p', { class: 'empty' }, 'No migrations from this tab yet.')
    const td = (t: string): HTMLTableCellElement => h('td', {}, t)
    return h('table', { 'data-testid': 'jobs-migrations' },
      h('thead', {}, h('tr', {}, ...['task', 'from', 'to', 'status', 'downtime', 'sent / memory', 'rounds'].map(t => h('th', {}, t)))),
      h('tbody', {}, ...records.slice(-20).reverse().map(r => h('tr', { 'data-status': r.status },
        td(`${r.job}/${r.task}`), td(shortId(r.from)), td(r.to !== '' ? shortId(r.to) : '—'), td(r.status === 'done' ? 'moved' : `failed: ${r.error ?? ''}`),
        td(r.downtimeMs != null ? `${r.downtimeMs} ms` : '—'),
        td(r.memoryBytes > 0 ? `${kib(r.bytesSent)} / ${kib(r.memoryBytes)} (${Math.round(100 * r.bytesSent / r.memoryBytes)} %)` : '—'),
        td(String(r.rounds))))))
  }

  function render (): void {
    const m = jobs.migration()
    if (m == null) { movableBox.replaceChildren(h('p', { class: 'empty' }, 'Migration is off in this tab.')); return }
    const peers = jobs.peers()
    const sig = JSON.stringify([m.enabled, m.service.movable, peers, [...busy]])
    if (sig !== shown) { shown = sig; movableBox.replaceChildren(movableRows(m, peers)) }
    recordsBox.replaceChildren(recordRows(m.service.records))
  }

  return { el, render }
}
