/**
 * The learning panel: a small seeded federation — the same engine and rules as `novacron
 * fl-sim` — on MNIST digits served by the page's own server, with held-out accuracy and loss per
 * round on a live chart and the bytes sent each round. This mode simulates every client inside
 * this tab, and the panel says so; training with the mesh's peers is live-view.ts's mode.
 *
 * Training runs in a Web Worker (train.worker.ts), so the page stays responsive; each round is
 * drawn as it arrives; Stop terminates the worker (a round in flight cannot block it) and a fresh
 * one is started for the next run. Form input is checked (train-protocol.ts): an out-of-range
 * value is an error by its field, never silently replaced.
 */
import type { AppContext } from '../context.ts'
import { drawChart, type ChartPoint } from './chart.ts'
import { LIMITS, readTrainInputs, type FromWorker, type ToWorker, type TrainSettings } from './train-protocol.ts'
import { field, h } from '../view/dom.ts'

function kb (bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(2)} MB` : `${(bytes / 1e3).toFixed(1)} kB`
}

/** Only what the panel uses from the shell. */
export type LearningPanelContext = Pick<AppContext, 'baseUrl'>

function startWorker (): Worker {
  return new Worker(new URL('./train.worker.ts', import.meta.url), { type: 'module', name: 'novacron-learning' })
}

export async function mountLearningPanel (root: HTMLElement, _ctx: LearningPanelContext): Promise<void> {
  const backendLine = h('p', { 'data-testid': 'learning-backend' }, 'Backend: detecting…')
  const rounds = h('input', { type: 'number', min: LIMITS.rounds.min, max: LIMITS.rounds.max, value: '10', style: 'width:5em', name: 'rounds', 'data-testid': 'learning-rounds' })
  const clients = h('input', { type: 'number', min: LIMITS.clients.min, max: LIMITS.clients.max, value: '6', style: 'width:5em', name: 'clients', 'data-testid': 'learning-clients' })
  const select = h('select', { name: 'selection' }, h('option', { value: 'tcs' }, 'TCS-FEEL'), h('option', { value: 'random' }, 'random'))
  const bits = h('select', { name: 'bits' }, ...['8', '4', '0'].map(b => h('option', { value: b }, b === '0' ? 'float32' : `${b}-bit`)))
  const start = h('button', { type: 'button', 'data-testid': 'learning-start' }, 'Train')
  const stop = h('button', { type: 'button', class: 'secondary', 'data-testid': 'learning-stop', disabled: true }, 'Stop')
  const errors = h('div', { 'data-testid': 'learning-errors', role: 'alert' })
  const status = h('p', { 'data-testid': 'learning-status' }, 'Idle.')
  const idle = h('div', { class: 'hint', 'data-testid': 'learning-idle' },
    h('p', {}, 'Press Train to run a small federated-learning simulation on handwritten digits (MNIST): each round, some clients train a copy of the model on their own digits and send compressed updates, which are averaged into the shared model. The chart then shows its accuracy on digits no client trained on, and the bytes each round sent.'),
    h('p', {}, h('strong', {}, 'This mode simulates all the clients inside this tab'), ' (in a background worker, so the page stays responsive): no other peer takes part. Join mesh training, above, trains with the mesh\'s peers.'))
  const canvas = h('canvas', { style: 'width:100%;height:240px;display:block', 'data-testid': 'learning-chart' })
  const legend = h('p', { style: 'font-size:0.85em;color:#5d6677' }, 'green: held-out accuracy · red: loss · bars: bytes sent per round')
  const table = h('table', { 'data-testid': 'learning-rounds-table', style: 'font-size:0.85em;border-collapse:collapse' },
    h('tr', {}, h('th', {}, 'round'), h('th', {}, 'accuracy'), h('th', {}, 'loss'), h('th', {}, 'bytes sent')))
  // shown once a run starts: an idle panel explains itself instead of showing an empty chart
  const results = h('div', { 'data-testid': 'learning-results', hidden: true }, canvas, legend, table)
  root.append(h('h3', {}, 'Simulate in this tab'), backendLine,
    h('div', { class: 'form-row learning-controls' },
      field(`Rounds (${LIMITS.rounds.min}–${LIMITS.rounds.max})`, rounds), field(`Clients (${LIMITS.clients.min}–${LIMITS.clients.max})`, clients),
      field('Selection', select), field('Updates', bits), start, stop),
    errors, status, idle, results)

  let worker = startWorker()
  let running: { settings: TrainSettings, points: ChartPoint[] } | null = null
  const problems = (): TrainSettings | null => {
    const read = readTrainInputs({ rounds: rounds.value, clients: clients.value, selection: select.value, bits: bits.value })
    const list = 'problems' in read ? read.problems : []
    errors.replaceChildren(...list.map(p => h('p', { class: 'error', 'data-testid': `learning-error-${p.field}` }, p.message)))
    for (const [name, input] of [['rounds', rounds], ['clients', clients]] as const) input.setAttribute('aria-invalid', String(list.some(p => p.field === name)))
    return 'settings' in read ? read.settings : null
  }
  // errors go away as soon as the value is fixed
  for (const input of [rounds, clients]) input.addEventListener('input', () => { if (errors.childElementCount > 0) problems() })

  const finish = (text: string, done: boolean): void => {
    running = null
    status.textContent = text
    if (done) status.dataset.done = 'true'
    start.disabled = false
    stop.disabled = true
  }
  const onMessage = (e: MessageEvent<FromWorker>): void => {
    const m = e.data
    if (m.type === 'backend') {
      backendLine.textContent = `Backend: ${m.text}`
      backendLine.dataset.backend = m.backend
      return
    }
    if (running == null) return
    const R = running.settings.rounds
    if (m.type === 'loading') status.textContent = `Loading MNIST digits from the page server… ${m.loaded}/10 labels`
    else if (m.type === 'round') {
      const p = m.point
      running.points.push(p)
      drawChart(canvas, running.points, R)
      const row = table.insertRow()
      for (const v of [String(p.round), `${(p.accuracy * 100).toFixed(1)}%`, p.loss.toFixed(3), kb(p.bytes)]) row.insertCell().textContent = v
      status.textContent = `Round ${p.round}/${R} on ${backendLine.dataset.backend ?? '?'}: accuracy ${(p.accuracy * 100).toFixed(1)}%, loss ${p.loss.toFixed(3)}, ${kb(p.bytes)} sent this round`
      status.dataset.round = String(p.round)
    } else if (m.type === 'done') {
      finish(`Done on ${backendLine.dataset.backend ?? '?'}: accuracy ${(m.finalAccuracy * 100).toFixed(1)}% after ${m.rounds} rounds, ${kb(m.totalBytes)} sent (${(m.bytesRatio * 100).toFixed(0)}% of dense float32 FedAvg).`, true)
    } else if (m.type === 'error') {
      finish(`Training failed: ${m.message}`, false)
    }
  }
  const listen = (w: Worker): void => {
    w.addEventListener('message', onMessage)
    w.addEventListener('error', e => { if (running != null) finish(`Training failed: ${e.message}`, false) })
  }
  listen(worker)
  // mounted = ready: resolve once the worker named its backend (or could not start one)
  await new Promise<void>(resolve => {
    const ready = (e: MessageEvent<FromWorker>): void => {
      if (e.data.type !== 'backend' && e.data.type !== 'error') return
      if (e.data.type === 'error') backendLine.textContent = `Backend: none (${e.data.message})`
      worker.removeEventListener('message', ready)
      resolve()
    }
    worker.addEventListener('message', ready)
    worker.addEventListener('error', e => { backendLine.textContent = `Backend: the training worker did not start (${e.message})`; resolve() }, { once: true })
  })

  start.addEventListener('click', () => {
    const settings = problems()
    if (settings == null || running != null) return
    running = { settings, points: [] }
    start.disabled = true
    stop.disabled = false
    delete status.dataset.done
    delete status.dataset.round
    status.textContent = 'Starting…'
    idle.hidden = true
    results.hidden = false
    while (table.rows.length > 1) table.deleteRow(1)
    drawChart(canvas, [], settings.rounds)
    worker.postMessage({ type: 'start', settings } satisfies ToWorker)
  })
  stop.addEventListener('click', () => {
    if (running == null) return
    const last = running.points.at(-1)?.round ?? 0
    worker.terminate()
    worker = startWorker()
    listen(worker)
    finish(`Stopped after round ${last} of ${running.settings.rounds}.`, false)
    status.dataset.stopped = 'true'
  })
}
