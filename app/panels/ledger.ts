/**
 * The Ledger panel: the mesh ledger as this tab sees it — current epoch and its replica set (who,
 * since when), the leader, who is waiting to join (the pending joiner, peers cooling off after a
 * removal), the last committed entries (slot, kind, summary, commit latency),
 * decisions and entries per second, rejected messages by reason — and a small form that submits a
 * `note` and shows the slot it committed in. Re-renders on each commit/epoch event and once a
 * second (the rates move without events). The rendering is app/ledger/panel-view.ts (text nodes only).
 */
import type { Panel } from './index.ts'
import type { AppContext } from '../context.ts'
import type { CommittedEntry, LedgerApi } from '../../core/ledger/types.ts'
import { field, h } from '../view/dom.ts'
import { renderAdmission, renderEntries, renderRejected, renderReplicas, renderSubmitResult, renderSummary, type LedgerViewModel } from '../ledger/panel-view.ts'
import './state.css'
import '../ledger/ledger.css'

/** What the panel uses of the tab's ledger: its API and its events (`commit`, `epoch`). */
export type PanelLedger = LedgerApi & Pick<EventTarget, 'addEventListener' | 'removeEventListener'>

const KEEP = 50

export async function mountLedgerPanel (root: HTMLElement, ledger: PanelLedger, self: string): Promise<() => void> {
  let entries: CommittedEntry[] = []
  let submitResult: LedgerViewModel['submitResult']
  const summary = h('div', {})
  const replicas = h('div', { class: 'table-scroll' })
  const rejected = h('div', {})
  const admission = h('div', {})
  const log = h('div', { class: 'table-scroll' })
  const result = h('div', {})
  const note = h('input', { name: 'note', placeholder: 'a note for the ledger', 'data-testid': 'ledger-note' })
  const send = h('button', { type: 'button', 'data-testid': 'ledger-submit' }, 'Submit note')
  const form = h('div', { class: 'form-row' }, field('Note', note, { grow: true }), send)
  root.append(
    h('p', { class: 'hint' }, 'One totally ordered log every peer agrees on (ProBFT): membership, mesh settings, notes.'),
    summary, form, result,
    h('div', { class: 'ledger-cols' },
      h('div', {}, h('h3', {}, 'Replicas'), replicas, h('h3', {}, 'Joining'), admission, h('h3', {}, 'Rejected'), rejected),
      h('div', {}, h('h3', {}, 'Last committed entries'), log)))

  const render = (): void => {
    const m: LedgerViewModel = { status: ledger.status(), entries, submitResult }
    summary.replaceChildren(renderSummary(m))
    replicas.replaceChildren(renderReplicas(m, self))
    admission.replaceChildren(renderAdmission(m, self))
    rejected.replaceChildren(renderRejected(m))
    log.replaceChildren(renderEntries(m))
    const r = renderSubmitResult(m)
    result.replaceChildren(...(r != null ? [r] : []))
  }
  const onCommit = (e: Event): void => {
    const detail = (e as CustomEvent<{ entries: CommittedEntry[] }>).detail
    entries = [...entries, ...detail.entries].slice(-KEEP)
    render()
  }
  send.addEventListener('click', () => {
    const text = note.value.trim()
    if (text === '') return
    send.disabled = true
    ledger.submit({ kind: 'note', data: new TextEncoder().encode(JSON.stringify({ text })) }).then(c => {
      submitResult = { ok: true, slot: c.slot, latencyMs: c.latencyMs }
      note.value = ''
    }, (err: Error) => {
      submitResult = { ok: false, error: `${err.name}: ${err.message}` }
    }).finally(() => { send.disabled = false; render() })
  })
  // what was committed before the panel opened
  const height = ledger.status().height
  if (height >= 0) entries = (await ledger.log(Math.max(0, height - 20), KEEP)).slice(-KEEP)
  ledger.addEventListener('commit', onCommit)
  ledger.addEventListener('epoch', render)
  const timer = setInterval(render, 1000)
  render()
  return () => {
    clearInterval(timer)
    ledger.removeEventListener('commit', onCommit)
    ledger.removeEventListener('epoch', render)
  }
}

export const ledgerPanel: Panel = {
  id: 'ledger',
  title: 'Ledger',
  mount: async (root: HTMLElement, ctx: AppContext) => {
    if (ctx.ledger == null) {
      root.append(h('p', { class: 'empty' }, 'The ledger is off in this tab.'))
      return
    }
    await mountLedgerPanel(root, ctx.ledger, ctx.peerId)
  }
}
