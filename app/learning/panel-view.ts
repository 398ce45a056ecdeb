/**
 * The learning panel: this tab trains as a federated client on its own tfjs backend (shown:
 * webgpu when the browser has an adapter, else wasm/SIMD, webgl, cpu). Until rounds run over the
 * live mesh (a later issue), the tab hosts a small seeded federation itself — the same engine and
 * rules as `novacron fl-sim` — on MNIST digits served by the page's own server, and shows held-out
 * accuracy and loss per round on a live chart, with the bytes sent each round.
 */
import type { AppContext } from '../context.ts'
import { describeBackend, setupBrowserBackend } from './backend.ts'
import { drawChart, type ChartPoint } from './chart.ts'
import { fetchMnistSlice } from './mnist.ts'
import { createRng, runFederated, trainTestSplit, type RoundResult, type SelectionName } from '../../core/learning/index.ts'

function el<K extends keyof HTMLElementTagNameMap> (tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v)
  if (text != null) e.textContent = text
  return e
}

function kb (bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(2)} MB` : `${(bytes / 1e3).toFixed(1)} kB`
}

/** Only what the panel uses from the shell. */
export type LearningPanelContext = Pick<AppContext, 'baseUrl'>

export async function mountLearningPanel (root: HTMLElement, _ctx: LearningPanelContext): Promise<void> {
  const backendLine = el('p', { 'data-testid': 'learning-backend' }, 'Backend: detecting…')
  const form = el('div', { class: 'learning-controls' })
  const field = (label: string, input: HTMLInputElement | HTMLSelectElement): HTMLLabelElement => {
    const l = el('label', { style: 'margin-right:1rem' }, `${label} `)
    l.append(input)
    return l
  }
  const rounds = el('input', { type: 'number', min: '1', max: '50', value: '10', style: 'width:4em', 'data-testid': 'learning-rounds' })
  const clients = el('input', { type: 'number', min: '2', max: '20', value: '6', style: 'width:4em' })
  const select = el('select')
  for (const s of ['tcs', 'random']) select.append(el('option', { value: s }, s === 'tcs' ? 'TCS-FEEL' : 'random'))
  const bits = el('select')
  for (const b of ['8', '4', '0']) bits.append(el('option', { value: b }, b === '0' ? 'float32' : `${b}-bit`))
  const start = el('button', { type: 'button', 'data-testid': 'learning-start' }, 'Train')
  form.append(field('Rounds', rounds), field('Clients', clients), field('Selection', select), field('Updates', bits), start)
  const status = el('p', { 'data-testid': 'learning-status' }, 'Idle.')
  const canvas = el('canvas', { style: 'width:100%;height:240px;display:block', 'data-testid': 'learning-chart' })
  const legend = el('p', { style: 'font-size:0.85em;color:#5d6677' }, 'green: held-out accuracy · red: loss · bars: bytes sent per round')
  const table = el('table', { 'data-testid': 'learning-rounds-table', style: 'font-size:0.85em;border-collapse:collapse' })
  table.append(el('tr', {}, ''))
  table.rows[0].append(el('th', {}, 'round'), el('th', {}, 'accuracy'), el('th', {}, 'loss'), el('th', {}, 'bytes sent'))
  root.append(backendLine, form, status, canvas, legend, table)

  const backend = await setupBrowserBackend()
  backendLine.textContent = `Backend: ${describeBackend(backend)}`
  backendLine.dataset.backend = backend.backend

  start.addEventListener('click', () => {
    start.disabled = true
    void train().catch(err => { status.textContent = `Training failed: ${(err as Error).message}` }).finally(() => { start.disabled = false })
  })

  async function train (): Promise<void> {
    const R = Math.max(1, Math.min(50, Number(rounds.value) || 10))
    const N = Math.max(2, Math.min(20, Number(clients.value) || 6))
    status.textContent = 'Loading MNIST digits from the page server…'
    const all = await fetchMnistSlice(60, n => { status.textContent = `Loading MNIST digits… ${n}/10 labels` })
    const { train: tr, test } = trainTestSplit(all, 0.25, createRng(1))
    const points: ChartPoint[] = []
    while (table.rows.length > 1) table.deleteRow(1)
    drawChart(canvas, points, R)
    const onRound = (r: RoundResult): void => {
      const bytes = r.bytesUp + r.bytesDown
      points.push({ round: r.round, accuracy: r.accuracy, loss: r.loss, bytes })
      drawChart(canvas, points, R)
      const row = table.insertRow()
      for (const v of [String(r.round), `${(r.accuracy * 100).toFixed(1)}%`, r.loss.toFixed(3), kb(bytes)]) row.insertCell().textContent = v
      status.textContent = `Round ${r.round}/${R} on ${backend.backend}: accuracy ${(r.accuracy * 100).toFixed(1)}%, loss ${r.loss.toFixed(3)}, ${kb(bytes)} sent this round`
      status.dataset.round = String(r.round)
    }
    const s = await runFederated({
      model: { kind: 'mlp', inputDim: 784, classes: 10, hidden: 32 },
      clients: N, rounds: R, clientsPerRound: Math.ceil(N / 2), localEpochs: 2, learningRate: 0.2,
      partition: { kind: 'dirichlet', alpha: 1 }, selection: select.value as SelectionName, aggregator: 'fedavg',
      quantizeBits: Number(bits.value), topK: Number(bits.value) > 0 ? 0.25 : 1, seed: 1
    }, { train: tr, test }, { onRound })
    status.textContent = `Done on ${backend.backend}: accuracy ${(s.finalAccuracy * 100).toFixed(1)}% after ${s.rounds.length} rounds, ${kb(s.totalBytes)} sent (${(s.bytesRatio * 100).toFixed(0)}% of dense float32 FedAvg).`
    status.dataset.done = 'true'
  }
}
