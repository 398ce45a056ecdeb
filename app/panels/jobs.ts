/**
 * The Jobs panel: WebAssembly jobs on the mesh as this tab sees them — the queue (every job with
 * its progress), the tasks running now and on which peer, the results of the selected job (exit
 * code, error, the start of stdout), a drop zone / file input to submit a `.wasm` from the tab,
 * and the Mandelbrot demo: one image split into 48 tiles, each tile a task, painted as its result
 * commits in the colour of the peer that computed it; the tab's movable tasks with a migrate
 * button and its migrations (./jobs-migrations.ts). Peer data is shown as text nodes only. When
 * this tab submitted a job that has ended and it has fetched every result, it records the fetch
 * (`job.fetched`), so results only one peer held are no longer pinned there (core/jobs/retention.ts).
 */
import type { Panel } from './index.ts'
import type { AppContext } from '../context.ts'
import type { TabJobs } from '../jobs/tab-jobs.ts'
import type { JobEvent } from '../../core/jobs/state.ts'
import { createMigrationsView } from './jobs-migrations.ts'
import { checkpointabilityText, precheckCheckpointable } from '../../core/migration/precheck.ts'
import { buildSubmit, fetchAck, jobSummary, type SubmitRequest } from '../../core/jobs/submitter.ts'
import { decodeTaskResult, type TaskResult } from '../../core/jobs/result-codec.ts'
import { demoTiles, DEMO, paintTile, parsePgm, peerColour, tileArgs } from '../jobs/mandelbrot-demo.ts'
import { errorWords, field, h, shortId } from '../view/dom.ts'
import '../jobs/jobs.css'

const MODULE_URL = new URL('../../examples/jobs/build/mandelbrot.wasm', import.meta.url)
const PALETTE: Array<[number, number, number]> = [[240, 128, 48], [48, 170, 230], [120, 200, 80], [200, 90, 200], [240, 200, 60], [90, 110, 230], [230, 80, 100], [60, 200, 170]]
const rgb = (c: [number, number, number]): string => `rgb(${c[0]}, ${c[1]}, ${c[2]})`

export function mountJobsPanel (root: HTMLElement, jobs: TabJobs): () => void {
  const binding = jobs.binding()
  if (binding == null) { root.append(h('p', { class: 'empty' }, 'Jobs are off in this tab.')); return () => {} }
  const state = binding.state
  let selected: string | undefined
  let demoJob: string | undefined
  const results = new Map<string, TaskResult>() // `${job}/${task}` → its agreed result
  const painted = new Map<string, number>() // peer → demo tiles painted
  const requested = new Set<string>() // results being fetched or fetched
  const failures = new Map<string, number>() // failed fetches of a result so far (its retry backoff)
  const acked = new Set<string>() // jobs whose job.fetched this tab submitted
  let mounted = true
  const colours = new Map<string, [number, number, number]>()
  /** distinct colours for the first peers seen (a palette), a hashed one after that */
  const colourOf = (peer: string): [number, number, number] => {
    let c = colours.get(peer)
    if (c == null) colours.set(peer, c = PALETTE[colours.size] ?? peerColour(peer))
    return c
  }

  const canvas = h('canvas', { width: String(DEMO.width), height: String(DEMO.height), class: 'jobs-canvas', 'data-testid': 'jobs-canvas' })
  const ctx2d = canvas.getContext('2d')
  const demoBtn = h('button', { type: 'button', 'data-testid': 'jobs-demo' }, 'Render Mandelbrot on the mesh')
  const demoInfo = h('p', { class: 'hint', 'data-testid': 'jobs-demo-info' }, `${demoTiles().length} tiles, each a task; a tile is painted when its result commits, in the colour of the peer that computed it.`)
  const legend = h('ul', { class: 'jobs-legend', 'data-testid': 'jobs-legend' })
  const file = h('input', { type: 'file', accept: '.wasm,application/wasm', 'data-testid': 'jobs-file' })
  const drop = h('div', { class: 'jobs-drop', 'data-testid': 'jobs-drop' }, 'Drop a .wasm here, or choose one: ', field('WebAssembly module (.wasm)', file, { hidden: true }))
  const tasks = h('input', { type: 'number', min: '1', max: '1000', value: '4', 'data-testid': 'jobs-tasks' })
  const replicas = h('input', { type: 'number', min: '1', max: '7', value: '1', 'data-testid': 'jobs-replicas' })
  const args = h('input', { placeholder: 'args for every task', 'data-testid': 'jobs-args' })
  const message = h('p', { class: 'hint', 'data-testid': 'jobs-message' })
  const queue = h('div', { class: 'table-scroll' })
  const running = h('div', { class: 'table-scroll' })
  const resultsBox = h('div', { class: 'table-scroll' })
  const migrations = createMigrationsView(jobs)
  root.append(
    h('p', { class: 'hint' }, 'WebAssembly (WASI) tasks claimed through the ledger and run in sandboxes by tabs and Node peers.'),
    h('div', { class: 'jobs-demo' }, h('div', {}, canvas, legend), h('div', {}, demoBtn, demoInfo)),
    h('h3', {}, 'Submit a module'),
    drop,
    h('div', { class: 'form-row' }, field('Tasks', tasks), field('Replicas', replicas), field('Args', args, { grow: true })),
    message,
    h('div', { class: 'ledger-cols' },
      h('div', {}, h('h3', {}, 'Queue'), queue, h('h3', {}, 'Running'), running),
      h('div', {}, h('h3', {}, 'Results'), resultsBox)),
    migrations.el) // full width: its tables are wider than a column

  const submit = async (req: SubmitRequest): Promise<string> => {
    const body = buildSubmit(jobs.blobs, req, Date.now())
    const c = await binding.submit({ kind: 'job.submit', body }, { timeoutMs: 60_000 })
    return `${c.slot}.${c.index}`
  }
  const submitFile = (f: File): void => {
    message.textContent = `Submitting ${f.name}…`
    void f.arrayBuffer().then(async buf => {
      const module = new Uint8Array(buf)
      const checkpointable = await precheckCheckpointable(module)
      const id = await submit({
        module, count: Math.max(1, Number(tasks.value) || 1), replicas: Math.max(1, Number(replicas.value) || 1),
        args: args.value.split(/\s+/).filter(a => a !== '')
      })
      selected = id
      message.textContent = `Submitted ${f.name} as job ${id}.${checkpointable.ok ? '' : ` Note: ${checkpointabilityText(checkpointable)}.`}`
      message.dataset.checkpointable = checkpointable.ok ? 'yes' : checkpointable.reason
      render()
    }).catch((err: unknown) => { message.textContent = `Not submitted: ${errorWords(err)}` })
  }
  file.addEventListener('change', () => { const f = file.files?.[0]; if (f != null) submitFile(f) })
  drop.addEventListener('dragover', e => { e.preventDefault(); drop.classList.add('over') })
  drop.addEventListener('dragleave', () => { drop.classList.remove('over') })
  drop.addEventListener('drop', e => {
    e.preventDefault()
    drop.classList.remove('over')
    const f = e.dataTransfer?.files[0]
    if (f != null) submitFile(f)
  })
  demoBtn.addEventListener('click', () => {
    demoBtn.disabled = true
    message.textContent = 'Submitting the Mandelbrot demo…'
    void fetch(MODULE_URL).then(async r => {
      if (!r.ok) throw new Error(`the demo module is missing (${r.status}): run npm run build with clang installed`)
      const module = new Uint8Array(await r.arrayBuffer())
      ctx2d?.clearRect(0, 0, DEMO.width, DEMO.height)
      painted.clear()
      canvas.dataset.painted = '0'
      const id = await submit({ module, split: demoTiles().map(t => ({ args: tileArgs(t) })), timeoutMs: 30_000, memoryBytes: 64 * 1024 * 1024 })
      demoJob = selected = id
      message.textContent = `Mandelbrot submitted as job ${id}.`
      render()
    }).catch((err: unknown) => { message.textContent = `Not submitted: ${errorWords(err)}` }).finally(() => { demoBtn.disabled = false })
  })

  /** Records that this tab has the results of a job it submitted, once it ended and every result is here. */
  const maybeAck = (job: string): void => {
    if (acked.has(job) || fetchAck(state, job, jobs.self, output => jobs.blobs.verify(output)) !== 'due') return
    acked.add(job)
    void binding.submit({ kind: 'job.fetched', body: { at: Date.now(), job } }, { timeoutMs: 60_000 })
      .catch((err: unknown) => { acked.delete(job); message.textContent = `The fetch of job ${job}'s results was not recorded yet: ${errorWords(err)}` })
  }

  /** Fetches a decided task's result; paints it when it is a demo tile. */
  const fetchResult = (job: string, task: number, output: string, winners: string[]): void => {
    if (requested.has(`${job}/${task}`)) return
    requested.add(`${job}/${task}`)
    void jobs.blobs.fetch(output, [...new Set([...winners, ...jobs.peers()])].filter(p => p !== jobs.self)).then(({ bytes }) => {
      const r = decodeTaskResult(bytes)
      results.set(`${job}/${task}`, r)
      if (job === demoJob && ctx2d != null) {
        const pgm = parsePgm(r.stdout)
        const tile = demoTiles()[task]
        if (pgm != null && tile != null) {
          paintTile(ctx2d, tile, pgm, colourOf(winners[0] ?? ''))
          painted.set(winners[0] ?? '', (painted.get(winners[0] ?? '') ?? 0) + 1)
          canvas.dataset.painted = String([...painted.values()].reduce((a, b) => a + b, 0))
        }
      }
      maybeAck(job)
      render()
    }, (err: unknown) => {
      // a provider that did not answer (its direct link still opening, a busy tab): asked again on
      // a timer of its own (3 s, growing to 30 s) while the job is shown, not only on a later
      // render: once every task is decided no event renders again, and render asks only for the
      // results its rows show
      const key = `${job}/${task}`
      const n = (failures.get(key) ?? 0) + 1
      failures.set(key, n)
      message.textContent = `A result could not be fetched yet (retrying): ${errorWords(err)}`
      setTimeout(() => {
        requested.delete(key)
        if (mounted && (job === demoJob || job === selected) && !results.has(key)) fetchResult(job, task, output, winners)
      }, Math.min(30_000, 3000 * 1.5 ** (n - 1)))
    })
  }
  const onJobs = (e: Event): void => {
    for (const ev of (e as CustomEvent<JobEvent[]>).detail) {
      if (ev.type === 'decided' && (ev.job === demoJob || ev.job === selected)) fetchResult(ev.job, ev.task, ev.output, ev.winners)
      // the last result may have arrived before the job's end committed
      if (ev.type === 'finished' || ev.type === 'cancelled') maybeAck(ev.job)
    }
    render()
  }

  const td = (text: string): HTMLTableCellElement => h('td', {}, text)
  const render = (): void => {
    const all = [...state.jobs.keys()].map(id => jobSummary(state, id)).filter(s => s != null).reverse()
    const qt = h('table', { 'data-testid': 'jobs-queue' }, h('thead', {}, h('tr', {}, ...['job', 'status', 'done', 'running', 'replicas', 'by'].map(t => h('th', {}, t)))))
    const qb = h('tbody', {})
    for (const s of all.slice(0, 20)) {
      const row = h('tr', { 'data-job': s.id, class: s.id === selected ? 'selected' : '' }, td(s.id), td(s.status), td(`${s.done}/${s.tasks}${s.failed > 0 ? ` (${s.failed} failed)` : ''}`), td(String(s.running.length)), td(String(s.replicas)), td(shortId(s.author)))
      row.addEventListener('click', () => { selected = s.id; render() })
      qb.append(row)
    }
    qt.append(qb)
    queue.replaceChildren(all.length === 0 ? h('p', { class: 'empty' }, 'No jobs yet.') : qt)
    const live = all.flatMap(s => s.running.map(r => ({ job: s.id, ...r })))
    const rt = h('table', { 'data-testid': 'jobs-running' }, h('thead', {}, h('tr', {}, ...['job', 'task', 'peer'].map(t => h('th', {}, t)))),
      h('tbody', {}, ...live.slice(0, 30).map(r => h('tr', {}, td(r.job), td(`${r.task}.${r.replica}`), td(`${shortId(r.worker)}${r.worker === jobs.self ? ' (this tab)' : ''}`)))))
    running.replaceChildren(live.length === 0 ? h('p', { class: 'empty' }, 'Nothing running.') : rt)
    const job = selected != null ? state.jobs.get(selected) : undefined
    if (job == null) { resultsBox.replaceChildren(h('p', { class: 'empty' }, 'Select a job.')); } else {
      const rows = job.tasks.slice(0, 16).map(t => {
        const r = results.get(`${job.id}/${t.index}`)
        if (t.status === 'done' && r == null && t.output != null) fetchResult(job.id, t.index, t.output, t.winners ?? [])
        const out = r == null ? '' : (parsePgm(r.stdout) != null ? `PGM ${r.stdout.length} bytes` : new TextDecoder().decode(r.stdout.subarray(0, 60)))
        return h('tr', {}, td(String(t.index)), td(t.status), td(r == null ? '' : String(r.exitCode)), td(r?.error ?? ''), td(out), td((t.winners ?? []).map(w => shortId(w)).join(' ')))
      })
      resultsBox.replaceChildren(h('table', { 'data-testid': 'jobs-results', 'data-job': job.id }, h('thead', {}, h('tr', {}, ...['task', 'status', 'exit', 'error', 'stdout', 'computed by'].map(t => h('th', {}, t)))), h('tbody', {}, ...rows)),
        ...(job.tasks.length > rows.length ? [h('p', { class: 'hint' }, `… and ${job.tasks.length - rows.length} more task(s): novacron job result ${job.id}`)] : []))
    }
    migrations.render()
    legend.replaceChildren(...[...painted.entries()].map(([peer, n]) => h('li', {}, h('span', { class: 'jobs-swatch', style: `background: ${rgb(colourOf(peer))}` }), `${shortId(peer)}${peer === jobs.self ? ' (this tab)' : ''}: ${n} tile(s)`)))
  }
  jobs.events.addEventListener('jobs', onJobs)
  const timer = setInterval(render, 1000)
  render()
  return () => { mounted = false; clearInterval(timer); jobs.events.removeEventListener('jobs', onJobs) }
}

export const jobsPanel: Panel = {
  id: 'jobs',
  title: 'Jobs',
  mount: (root: HTMLElement, ctx: AppContext) => {
    if (ctx.jobs == null) {
      root.append(h('p', { class: 'empty' }, 'Jobs need the ledger, which is off in this tab.'))
      return
    }
    mountJobsPanel(root, ctx.jobs)
  }
}
