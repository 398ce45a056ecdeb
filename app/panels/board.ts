/**
 * The issue board panel: columns by status, a create form, and a detail pane to edit any field,
 * comment, and see and edit dependencies (blocked by / blocking / children / related). Everything
 * re-renders from the replicated document, so edits from other peers appear live. Who is online
 * and what each peer looks at comes from awareness. Rendering reads only validated issues; invalid
 * entries written by a faulty peer are counted, never rendered.
 */
import type { Panel } from './index.ts'
import type { AppContext } from '../context.ts'
import { errorWords, field, h, shortId } from '../view/dom.ts'
import { stateSession, type StateSession } from '../state/session.ts'
import { ISSUE_TYPES, STATUSES, type Issue, type IssueType, type LinkType, type Status } from '../../core/state/schema.ts'
import { presenceList } from '../../core/state/presence.ts'
import './state.css'

const LABEL: Record<Status, string> = { open: 'Open', in_progress: 'In progress', blocked: 'Blocked', closed: 'Closed' }

function select (name: string, values: readonly string[], current: string, testid?: string): HTMLSelectElement {
  const el = h('select', { name, 'data-testid': testid })
  for (const v of values) el.append(h('option', { value: v, selected: v === current }, v))
  return el
}

export function presenceBar (s: StateSession): HTMLElement {
  const people = presenceList(s.provider.awareness)
  return h('div', { class: 'presence', 'data-testid': 'presence' },
    h('span', { class: 'presence-label' }, `Online (${people.length}):`),
    // the same short name as the peer table and the topology picture (shortId), not the peer's own label
    ...people.map(p => h('span', { class: `who k-${p.kind}${p.self ? ' self' : ''}`, title: p.peerId, 'data-peer': p.peerId },
      `${p.self ? 'you' : `${p.kind === 'node' ? 'node' : 'tab'} ${shortId(p.peerId)}`} · ${p.view}`)))
}

function card (i: Issue, blocked: boolean, onOpen: (id: string) => void): HTMLElement {
  const el = h('button', { class: `issue-card p${i.priority}${blocked ? ' waiting' : ''}`, 'data-testid': `issue-${i.id}`, type: 'button' },
    h('span', { class: 'issue-id' }, i.id),
    h('span', { class: 'issue-title' }, i.title),
    h('span', { class: 'issue-meta' }, `P${i.priority} · ${i.type}${i.assignee != null ? ` · ${i.assignee}` : ''}${blocked ? ' · waiting' : ''}`),
    h('span', { class: 'progress' }, h('span', { style: `width:${i.progress}%` })),
    i.labels.length > 0 ? h('span', { class: 'labels' }, ...i.labels.map(l => h('span', { class: 'label' }, l))) : null)
  el.addEventListener('click', () => { onOpen(i.id) })
  return el
}

/** Text typed in the detail pane's comment box, kept across re-renders so a remote edit never eats it. */
interface Draft { id: string | null, comment: string }

function detail (s: StateSession, id: string, draft: Draft, close: () => void, fail: (e: unknown) => void): HTMLElement {
  const i = s.board.show(id)
  const title = h('input', { name: 'title', value: i.title, 'data-testid': 'edit-title' })
  const status = select('status', STATUSES, i.status, 'edit-status')
  const priority = select('priority', ['0', '1', '2', '3', '4'], String(i.priority), 'edit-priority')
  const type = select('type', ISSUE_TYPES, i.type)
  const progress = h('input', { type: 'range', min: 0, max: 100, step: 5, value: i.progress, name: 'progress' })
  const assignee = h('input', { name: 'assignee', value: i.assignee ?? '', placeholder: 'nobody' })
  const description = h('textarea', { name: 'description', rows: 3 }, i.description)
  const save = h('button', { type: 'button', 'data-testid': 'edit-save' }, 'Save')
  save.addEventListener('click', () => {
    try {
      s.board.update(id, {
        title: title.value, status: status.value as Status, priority: Number(priority.value), type: type.value as IssueType,
        progress: Number(progress.value), assignee: assignee.value.trim() === '' ? null : assignee.value.trim(), description: description.value
      })
    } catch (err) { fail(err) }
  })
  if (draft.id !== id) { draft.id = id; draft.comment = '' }
  const comment = h('input', { name: 'comment', placeholder: 'Add a comment…', 'data-testid': 'comment-text', value: draft.comment, 'aria-label': 'Comment' })
  comment.addEventListener('input', () => { draft.comment = comment.value })
  const send = h('button', { type: 'button', class: 'secondary', 'data-testid': 'comment-add' }, 'Comment')
  send.addEventListener('click', () => {
    // Clear the draft first: the comment re-renders the pane synchronously.
    const text = comment.value
    draft.comment = ''
    comment.value = ''
    try {
      s.board.comment(id, text)
    } catch (err) {
      draft.comment = text
      fail(err)
    }
  })
  const others = s.board.list().filter(o => o.id !== id)
  const target = h('select', { name: 'target', 'data-testid': 'link-target' }, ...others.map(o => h('option', { value: o.id }, `${o.id} ${o.title.slice(0, 40)}`)))
  const linkType = select('linkType', ['depends-on', 'blocks', 'related', 'parent-child'], 'depends-on', 'link-type')
  const link = h('button', { type: 'button', class: 'secondary', 'data-testid': 'link-add' }, 'Link')
  link.addEventListener('click', () => { try { s.board.link(id, linkType.value as LinkType, target.value) } catch (err) { fail(err) } })
  const ids = (label: string, list: string[]): HTMLElement | null => list.length === 0
    ? null
    : h('li', {}, h('span', { class: 'dep-kind' }, label), ...list.map(x => h('code', { class: 'dep' }, x)))
  const closeBtn = h('button', { type: 'button', class: 'secondary close' }, '×')
  closeBtn.addEventListener('click', close)
  return h('div', { class: 'issue-detail', 'data-testid': 'issue-detail' },
    h('div', { class: 'detail-head' }, h('code', {}, i.id), closeBtn),
    h('div', { class: 'form-row' }, field('Title', title, { grow: true })),
    h('div', { class: 'form-row' }, field('Status', status), field('Priority', priority), field('Type', type), field('Assignee', assignee)),
    h('div', { class: 'form-row' }, field(`Progress ${i.progress}%`, progress)),
    h('div', { class: 'form-row' }, field('Description', description, { grow: true })),
    h('div', { class: 'form-row' }, save),
    h('h3', {}, 'Dependencies'),
    h('ul', { class: 'deps', 'data-testid': 'deps' },
      ids('blocked by', i.blockedBy), ids('blocking', i.blocking), ids('parent', i.parent != null ? [i.parent] : []),
      ids('children', i.children), ids('related', i.links.filter(l => l.type === 'related').map(l => l.target)),
      i.blockedBy.length + i.blocking.length + i.children.length + i.links.length === 0 && i.parent == null ? h('li', { class: 'empty' }, 'none') : null),
    others.length > 0 ? h('div', { class: 'form-row' }, field('Link type', linkType), field('To issue', target), link) : null,
    h('h3', {}, `Comments (${i.comments.length})`),
    h('ul', { class: 'comments', 'data-testid': 'comments' }, ...i.comments.map(c =>
      h('li', {}, h('span', { class: 'who' }, shortId(c.author)), ' ', h('time', {}, new Date(c.at).toLocaleTimeString()), h('div', {}, c.text)))),
    h('div', { class: 'form-row' }, comment, send))
}

export async function mountBoard (root: HTMLElement, ctx: AppContext): Promise<void> {
  const s = await stateSession(ctx)
  let open: string | null = null
  const draft: Draft = { id: null, comment: '' }
  let error = ''
  const fail = (err: unknown): void => { error = errorWords(err); render() }
  const titleIn = h('input', { name: 'new-title', placeholder: 'New issue title', 'data-testid': 'new-title' })
  // an error is about what was just typed: it goes as soon as the user changes it
  titleIn.addEventListener('input', () => { if (error !== '') { error = ''; render() } })
  const typeIn = select('new-type', ISSUE_TYPES, 'task', 'new-type')
  const prioIn = select('new-priority', ['0', '1', '2', '3', '4'], '2', 'new-priority')
  const create = h('button', { type: 'button', 'data-testid': 'new-create' }, 'Create')
  create.addEventListener('click', () => {
    try {
      s.board.create({ title: titleIn.value, type: typeIn.value as IssueType, priority: Number(prioIn.value) })
      titleIn.value = ''; error = ''
    } catch (err) { fail(err) }
  })
  const form = h('div', { class: 'form-row new-issue' }, field('Title', titleIn, { grow: true }), field('Type', typeIn), field('Priority', prioIn), create)
  const body = h('div', {})
  root.append(h('p', { class: 'hint' }, 'Shared by every peer of the mesh (Yjs CRDT), kept in this browser across reloads.'), form, body)
  const render = (): void => {
    // keep focus and typing in inputs of the detail pane: re-render it only when not editing there
    const editing = document.activeElement != null && body.contains(document.activeElement) && document.activeElement.tagName !== 'BUTTON'
    if (editing) return
    const { issues, invalid } = s.board.readAll()
    const ready = new Set(s.board.ready().map(i => i.id))
    const columns = STATUSES.map(st => {
      const list = issues.filter(i => i.status === st).sort((a, b) => a.priority - b.priority || a.createdAt - b.createdAt)
      return h('div', { class: 'column', 'data-testid': `column-${st}` },
        h('h3', {}, `${LABEL[st]} `, h('span', { class: 'count' }, String(list.length))),
        ...list.map(i => card(i, st !== 'closed' && !ready.has(i.id), id => {
          open = id
          s.look(`issue:${id}`)
          render()
          body.querySelector('.issue-detail')?.scrollIntoView({ block: 'nearest', behavior: 'smooth' })
        })))
    })
    let pane: HTMLElement | null = null
    if (open != null && s.board.has(open)) pane = detail(s, open, draft, () => { open = null; s.look('board'); render() }, fail)
    body.replaceChildren(...[
      presenceBar(s),
      error !== '' ? h('p', { class: 'error', 'data-testid': 'board-error', role: 'alert' }, error) : null,
      h('div', { class: 'board-wrap' }, h('div', { class: 'board', 'data-testid': 'board' }, ...columns), pane),
      invalid.length > 0 ? h('p', { class: 'hint', 'data-testid': 'invalid' }, `${invalid.length} invalid entries from other peers skipped.`) : null
    ].filter((n): n is HTMLElement => n != null))
  }
  s.onChange(render)
  // Catch up on renders skipped while typing once focus leaves the pane; not when it moves to a
  // control inside it (a button press would otherwise be lost: re-rendering between mousedown and
  // click replaces the button under the pointer).
  body.addEventListener('focusout', (e) => {
    const next = e.relatedTarget
    if (next instanceof Node && body.contains(next)) return
    setTimeout(render, 0)
  })
  render()
}

export const boardPanel: Panel = { id: 'board', title: 'Issue board', mount: mountBoard }
