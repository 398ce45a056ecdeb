/**
 * The Ledger panel's view: pure rendering of a status snapshot and the last committed entries into
 * elements. Every piece of peer data (peer ids, kinds, summaries, rejection reasons) enters the DOM
 * as a text node through `h()` — never as markup — so a hostile peer's entry cannot inject HTML.
 */
import type { CommittedEntry, LedgerStatus } from '../../core/ledger/types.ts'
import { h, shortId } from '../view/dom.ts'

export interface LedgerViewModel {
  status: LedgerStatus
  /** newest last */
  entries: CommittedEntry[]
  /** wall time the current epoch became active on this page, when seen */
  epochSeenAt?: number
  /** result of the last note this page submitted */
  submitResult?: { ok: true, slot: number, latencyMs?: number } | { ok: false, error: string }
}

const ms = (v: number | null | undefined): string => v == null ? '—' : `${Math.round(v)} ms`

function stat (label: string, value: string, testid: string): HTMLElement {
  return h('div', { class: 'ledger-stat' }, h('span', { class: 'ledger-stat-label' }, label), h('strong', { 'data-testid': testid }, value))
}

export function renderSummary (m: LedgerViewModel): HTMLElement {
  const s = m.status
  return h('div', { class: 'ledger-stats' },
    stat('Epoch', `${s.epoch} (from slot ${s.epochStart})`, 'ledger-epoch'),
    stat('Height', String(s.height), 'ledger-height'),
    stat('Head', s.head.length > 16 ? `${s.head.slice(0, 16)}…` : s.head, 'ledger-head'),
    stat('Replicas', `${s.replicas.length} (f = ${s.f}, q = ${s.quorum}, ${s.protocol})`, 'ledger-replica-count'),
    stat('This tab', s.replica ? 'replica' : 'follower', 'ledger-role'),
    stat('Decisions/s', s.decisionsPerSecond.toFixed(1), 'ledger-dps'),
    stat('Entries/s', s.entriesPerSecond.toFixed(1), 'ledger-eps'),
    stat('Latency p50 / p99', `${ms(s.latency.p50)} / ${ms(s.latency.p99)}`, 'ledger-latency'),
    stat('Pending', String(s.pending), 'ledger-pending'))
}

export function renderReplicas (m: LedgerViewModel, self: string): HTMLElement {
  const s = m.status
  if (s.replicas.length === 0) return h('p', { class: 'empty' }, 'No replicas yet (waiting for genesis).')
  return h('table', { class: 'peers ledger-replicas', 'data-testid': 'ledger-replicas' },
    h('thead', {}, h('tr', {}, h('th', {}, '#'), h('th', {}, 'Replica'), h('th', {}, 'Since'), h('th', {}, ''))),
    h('tbody', {}, ...s.replicas.map(r => h('tr', { 'data-peer': r.peerId },
      h('td', {}, String(r.index)),
      h('td', { title: r.peerId }, shortId(r.peerId, 10), r.peerId === self ? ' (this tab)' : ''),
      h('td', {}, r.since < 0 ? 'genesis' : `slot ${r.since}`),
      h('td', {}, r.peerId === s.leader ? h('span', { class: 'ledger-leader' }, 'leader') : '')))))
}

/**
 * The admission rules' state (docs/ledger.md, "Admission"): the joiner waiting to be admitted with
 * the next one, and removed peers whose join is refused until a slot (cooling off).
 */
export function renderAdmission (m: LedgerViewModel, self: string): HTMLElement {
  const a = m.status.admission
  const you = (peer: string): string => peer === self ? ' (this tab)' : ''
  const rows: HTMLElement[] = []
  if (a?.pendingJoiner != null) {
    rows.push(h('li', { 'data-peer': a.pendingJoiner }, h('span', { title: a.pendingJoiner }, shortId(a.pendingJoiner, 10)), you(a.pendingJoiner),
      ': join pending, admitted with the next joiner'))
  }
  for (const c of a?.coolingOff ?? []) {
    rows.push(h('li', { 'data-peer': c.peerId }, h('span', { title: c.peerId }, shortId(c.peerId, 10)), you(c.peerId),
      `: cooling off, may join from slot ${c.until} (removed ${c.removals} ${c.removals === 1 ? 'time' : 'times'})`))
  }
  if (rows.length === 0) return h('p', { class: 'empty', 'data-testid': 'ledger-admission' }, 'No joiner waiting; nobody cooling off.')
  return h('ul', { class: 'ledger-admission', 'data-testid': 'ledger-admission' }, ...rows)
}

export function renderRejected (m: LedgerViewModel): HTMLElement {
  const rows = Object.entries(m.status.rejected).filter(([, n]) => n > 0).sort(([a], [b]) => a < b ? -1 : 1)
  if (rows.length === 0) return h('p', { class: 'empty', 'data-testid': 'ledger-rejected' }, 'No rejected messages.')
  return h('ul', { class: 'ledger-rejected', 'data-testid': 'ledger-rejected' }, ...rows.map(([reason, n]) => h('li', {}, h('code', {}, reason), ` ${n}`)))
}

export function renderEntries (m: LedgerViewModel, limit = 15): HTMLElement {
  const rows = m.entries.slice(-limit).reverse()
  if (rows.length === 0) return h('p', { class: 'empty', 'data-testid': 'ledger-entries' }, 'Nothing committed yet.')
  return h('table', { class: 'peers ledger-entries', 'data-testid': 'ledger-entries' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Slot'), h('th', {}, 'Kind'), h('th', {}, 'Summary'), h('th', {}, 'Author'), h('th', {}, 'Latency'))),
    h('tbody', {}, ...rows.map(e => h('tr', { 'data-slot': e.slot, class: e.applied ? '' : 'refused' },
      h('td', {}, e.index === 0 ? String(e.slot) : `${e.slot} #${e.index}`),
      h('td', {}, h('code', {}, e.kind)),
      h('td', { class: 'ledger-summary' }, e.summary, e.applied ? '' : ` (refused: ${e.refusal ?? '?'})`),
      h('td', { title: e.author }, shortId(e.author)),
      h('td', {}, ms(e.latencyMs))))))
}

export function renderSubmitResult (m: LedgerViewModel): HTMLElement | null {
  const r = m.submitResult
  if (r == null) return null
  return r.ok
    ? h('p', { class: 'hint', 'data-testid': 'ledger-submit-result' }, `Committed at slot ${r.slot}${r.latencyMs != null ? ` in ${Math.round(r.latencyMs)} ms` : ''}.`)
    : h('p', { class: 'error', 'data-testid': 'ledger-submit-result' }, r.error)
}
