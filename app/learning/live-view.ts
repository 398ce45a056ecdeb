/**
 * The Learning panel's "join mesh training" mode: a form with the task's settings (the defaults
 * are `novacron learn`'s), a Join button that makes this tab a learner of that task (live-join.ts)
 * and, once joined, the task as this tab sees it — backend, learners, the round in progress, this
 * tab's own contribution, bytes on the wire, and one row per committed round (participants,
 * whether this tab's update was among them, accuracy and loss on the tab's held-out digits, DP ε,
 * the committed model hash). Re-renders on each round event and once a second. Input out of range
 * is an error by its field. The data (tab-data.ts): a sample of the bundled digits (`Digits per
 * label`), a shard `i/n` of all of them as `novacron learn --data mnist --shard i/n` takes it, or
 * a CSV / LEAF JSON file picked here. Exposes `__novacronLearning` on the page for tests.
 */
import type { AppContext } from '../context.ts'
import type { CommittedRound, LiveStatus } from '../../core/learning/live/index.ts'
import { LIVE_TASK_DEFAULTS } from '../../core/learning/live/task.ts'
import { errorWords, field, h } from '../view/dom.ts'
import type { JoinSettings, TabLearner } from './live-join.ts'
import { parseShard, type TabData } from './tab-data.ts'

/** The data choice of the form: the kind, the shard text and the picked file (read by the caller). */
export function readDataChoice (kind: string, shard: string, perLabel: number, file: { name: string, text: string } | undefined): { data: TabData } | { problem: { field: 'shard' | 'file', message: string } } {
  if (kind === 'mnist') {
    const s = parseShard(shard)
    return s == null ? { problem: { field: 'shard', message: 'Shard: enter i/n with 0 ≤ i < n (e.g. 1/4).' } } : { data: { kind: 'mnist', ...s } }
  }
  if (kind === 'file') return file == null ? { problem: { field: 'file', message: 'File: pick a CSV or LEAF JSON file.' } } : { data: { kind: 'file', ...file } }
  return { data: { kind: 'sample', perLabel } }
}

const FIELDS = [
  { name: 'hidden', label: 'Hidden units', min: 1, max: 512, value: LIVE_TASK_DEFAULTS.hidden },
  { name: 'seed', label: 'Seed', min: 0, max: 2 ** 32 - 1, value: LIVE_TASK_DEFAULTS.seed },
  { name: 'deadlineMs', label: 'Deadline (ms)', min: 100, max: 3_600_000, value: LIVE_TASK_DEFAULTS.deadlineMs },
  { name: 'minUpdates', label: 'Min updates', min: 1, max: 32, value: LIVE_TASK_DEFAULTS.minUpdates },
  { name: 'minLearners', label: 'Min learners', min: 1, max: 32, value: 2 },
  { name: 'rounds', label: 'Rounds', min: 1, max: 100_000, value: 20 },
  { name: 'perLabel', label: 'Digits per label', min: 10, max: 1000, value: 60 }
] as const

type FieldName = typeof FIELDS[number]['name']

function kb (bytes: number): string { return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(2)} MB` : `${(bytes / 1e3).toFixed(1)} kB` }

/** The form's values, or one message per field that is not a whole number in its range. */
export function readJoinInputs (values: Record<FieldName, string>): { settings: JoinSettings } | { problems: Array<{ field: FieldName, message: string }> } {
  const problems: Array<{ field: FieldName, message: string }> = []
  const out: Partial<Record<FieldName, number>> = {}
  for (const f of FIELDS) {
    const t = values[f.name].trim()
    const n = Number(t)
    if (t === '' || !Number.isInteger(n) || n < f.min || n > f.max) problems.push({ field: f.name, message: `${f.label}: enter a whole number from ${f.min} to ${f.max}.` })
    else out[f.name] = n
  }
  return problems.length > 0 ? { problems } : { settings: out as JoinSettings }
}

function roundRow (r: CommittedRound, self: string): HTMLElement {
  const mine = r.participants.includes(self)
  return h('tr', { 'data-round': String(r.round), 'data-mine': String(mine) },
    h('td', {}, String(r.round)),
    h('td', {}, `${r.participants.length}${r.coordinator === self ? ' (coordinated here)' : ''}`),
    h('td', {}, mine ? 'yes' : 'no'),
    h('td', {}, r.localAccuracy != null ? `${(r.localAccuracy * 100).toFixed(1)}%` : '…'),
    h('td', {}, r.localLoss != null ? r.localLoss.toFixed(3) : '…'),
    h('td', {}, r.epsilon != null ? r.epsilon.toFixed(2) : '—'),
    h('td', { title: r.hash }, h('code', {}, `${r.hash.slice(0, 12)}…`)))
}

function summary (s: LiveStatus, l: TabLearner, settings: JoinSettings): string {
  const inProgress = s.round >= settings.rounds
    ? `the task's ${settings.rounds} rounds are done`
    : s.learners.length >= settings.minLearners ? `round ${s.round + 1} in progress` : `waiting for ${settings.minLearners} learners`
  return `Task ${s.task} on ${l.backendText}: ${s.learners.length} learner(s), ${inProgress}; committed round ${s.round}. ` +
    `This tab: ${l.dataName}, ${l.trainSamples} training / ${l.testSamples} held-out rows, ${s.stats.updatesSent} update(s) sent, ` +
    `${kb(s.stats.bytesSent)} sent / ${kb(s.stats.bytesReceived)} received.`
}

export function mountLiveLearning (root: HTMLElement, ctx: Pick<AppContext, 'mesh' | 'peerId' | 'ledger' | 'learning'>): void {
  const inputs = Object.fromEntries(FIELDS.map(f => [f.name, h('input', { type: 'number', min: f.min, max: f.max, value: String(f.value), style: 'width:7em', name: f.name, 'data-testid': `learning-live-${f.name}` })])) as Record<FieldName, HTMLInputElement>
  const dataKind = h('select', { name: 'data', 'data-testid': 'learning-live-data' },
    h('option', { value: 'sample' }, 'a sample of the bundled digits'),
    h('option', { value: 'mnist' }, 'a shard of all 10,000 bundled digits'),
    h('option', { value: 'file' }, 'a CSV / LEAF file'))
  const shard = h('input', { type: 'text', value: '0/1', style: 'width:5em', name: 'shard', 'data-testid': 'learning-live-shard' })
  const file = h('input', { type: 'file', accept: '.csv,.json,text/csv,application/json', name: 'file', 'data-testid': 'learning-live-file' })
  const join = h('button', { type: 'button', 'data-testid': 'learning-join' }, 'Join mesh training')
  const leave = h('button', { type: 'button', class: 'secondary', 'data-testid': 'learning-leave', disabled: true }, 'Leave')
  const errors = h('div', { role: 'alert', 'data-testid': 'learning-live-errors' })
  const status = h('p', { 'data-testid': 'learning-live-status' }, ctx.ledger == null ? 'The ledger is off in this tab: mesh training commits its rounds through it.' : 'Not joined.')
  const table = h('table', { 'data-testid': 'learning-live-table', style: 'font-size:0.85em;border-collapse:collapse' })
  const header = h('tr', {}, ...['round', 'participants', 'this tab', 'accuracy', 'loss', 'DP epsilon', 'model (SHA-256)'].map(t => h('th', {}, t)))
  root.append(h('h3', {}, 'Join mesh training'),
    h('p', { class: 'hint' }, 'Train with the other peers of the mesh (tabs, and Node peers started with novacron learn, with the same settings): this tab trains on its own digits in a background worker, sends only its compressed update, and every round is committed through the ledger.'),
    h('div', { class: 'form-row learning-controls' }, ...FIELDS.map(f => field(f.label, inputs[f.name])), field('Data', dataKind), field('Shard', shard), field('File', file), join, leave),
    errors, status, table)
  if (ctx.ledger == null || ctx.learning == null) { join.disabled = true; return }
  const ledger = ctx.ledger
  const identity = ctx.learning
  let learner: TabLearner | undefined
  let joined: JoinSettings | undefined
  let timer: ReturnType<typeof setInterval> | undefined

  const render = (): void => {
    if (learner == null || joined == null) return
    const s = learner.learning.status()
    status.textContent = summary(s, learner, joined)
    status.dataset.round = String(s.round)
    table.replaceChildren(header, ...[...s.rounds].reverse().map(r => roundRow(r, ctx.peerId)))
  }
  const controls = (): Array<HTMLInputElement | HTMLSelectElement> => [...Object.values(inputs), dataKind, shard, file]
  join.addEventListener('click', () => { void (async () => {
    const read = readJoinInputs(Object.fromEntries(FIELDS.map(f => [f.name, inputs[f.name].value])) as Record<FieldName, string>)
    const picked = file.files?.[0]
    const choice = readDataChoice(dataKind.value, shard.value, 'settings' in read ? read.settings.perLabel ?? 60 : 60, picked != null ? { name: picked.name, text: await picked.text() } : undefined)
    const problems = [...('problems' in read ? read.problems : []), ...('problem' in choice ? [choice.problem] : [])]
    errors.replaceChildren(...problems.map(p => h('p', { class: 'error', 'data-testid': `learning-live-error-${p.field}` }, p.message)))
    if ('problems' in read || 'problem' in choice) return
    const settings: JoinSettings = { ...read.settings, data: choice.data }
    join.disabled = true
    for (const i of controls()) i.disabled = true
    status.textContent = 'Joining: loading this tab’s data and the training worker…'
    import('./live-join.ts').then(async m => await m.joinMeshTraining({ mesh: ctx.mesh, ledger, identity }, settings, n => { status.textContent = `Loading MNIST digits from the page server… ${n}/10 labels` })).then(l => {
      learner = l
      joined = read.settings
      Object.assign(globalThis, { __novacronLearning: { status: () => l.learning.status(), backend: l.backend, backendText: l.backendText } })
      l.learning.addEventListener('round', render)
      l.learning.addEventListener('evaluated', render)
      timer = setInterval(render, 1000)
      leave.disabled = false
      render()
    }, (err: unknown) => {
      status.textContent = `Could not join: ${errorWords(err)}`
      join.disabled = false
      for (const i of controls()) i.disabled = false
    })
  })() })
  leave.addEventListener('click', () => {
    const l = learner
    if (l == null) return
    leave.disabled = true
    clearInterval(timer)
    l.stop().finally(() => {
      learner = undefined
      status.textContent = `Left the task after round ${l.learning.status().round}.`
      join.disabled = false
      for (const i of controls()) i.disabled = false
    }).catch(() => {})
  })
}
