/**
 * Jobs with tabs and Node peers together: `novacron start` + 1 `novacron peer` (workers of
 * capacity 1) and 2 Chromium tabs (each its own browser context: its own identity, IndexedDB and
 * Web Worker runner). The ledger runs one replica (`ledger.maxReplicas` 1) so the test is about
 * jobs. The Jobs panel's Mandelbrot demo, started from tab 0, submits 48 tiles; every tile is
 * decided once on every peer, tab 0 paints all 48, the tiles equal a local run of the module, and
 * the other tab's queue shows the job done. NOVACRON_SCREENSHOTS=1 saves docs/screenshots/jobs.png of the panel.
 */
import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import { after, before, describe, test } from 'node:test'
import { demoTiles, tileArgs } from '../../app/jobs/mandelbrot-demo.ts'
import type { TaskState } from '../../core/jobs/state.ts'
import { JobsTabCluster } from '../_support/jobs-tabs.ts'
import { waitFor } from '../_support/wait.ts'
import { exampleWasm } from './_examples.ts'
import { LocalRuns } from './_local-runs.ts'

const root = new URL('../..', import.meta.url).pathname
const DEADLINE = 240_000

describe('jobs: 2 tabs + 2 Node peers run the Mandelbrot demo', { timeout: 900_000 }, () => {
  const mesh = new JobsTabCluster()
  const cluster = mesh.cluster
  const tabs = mesh.tabs

  before(async () => { await mesh.start({ nodePeers: 1, tabs: 2, timeout: DEADLINE, viewport: { width: 1300, height: 1600 } }) })
  after(async () => { await mesh.stop() })

  test('the demo\'s 48 tiles are decided once each, painted in tab 0, equal to a local run', async () => {
    const page = tabs[0]
    await page.click('[data-testid=jobs-demo]')
    await page.waitForSelector('[data-testid=jobs-message]:has-text("submitted as job")', { timeout: DEADLINE })
    const job = /job (\d+\.\d+)/.exec(await page.textContent('[data-testid=jobs-message]') ?? '')?.[1] ?? ''
    const n = demoTiles().length
    try {
      await page.waitForSelector(`[data-testid=jobs-canvas][data-painted="${n}"]`, { timeout: 90_000 })
    } catch (err) {
      const d1 = await tabs[1].evaluate(`(() => { const j = globalThis.__novacronJobs; const st = j.binding().state; const job = st.jobs.get(${JSON.stringify(job)}); const outs = job.tasks.filter(t => t.winners?.includes(j.self)).map(t => t.output); return JSON.stringify({ self: j.self, served: j.blobs.served, has: outs.map(o => j.blobs.has(o)), peers: j.peers() }) })()`)
      const d0 = await tabs[0].evaluate(`(async () => { const j = globalThis.__novacronJobs; const st = j.binding().state; const job = st.jobs.get(${JSON.stringify(job)}); const t = job.tasks.find(t => !t.winners?.some(w => w !== ${JSON.stringify('')}) || true); const other = job.tasks.find(t => t.winners?.[0] !== j.self && (t.winners?.[0] ?? '').length > 0 && !j.blobs.has(t.output)); if (other == null) return 'all held'; try { await j.blobs.fetch(other.output, other.winners); return 'fetched ' + other.winners[0] } catch (e) { return e.name + ': ' + e.message } })()`)
      throw new Error(`${(err as Error).message}\ntab1: ${String(d1)}\ntab0 fetch: ${String(d0)}`)
    }
    const v = await cluster.op(cluster.peers[0], 'job.tasks', { job }) as { tasks: TaskState[] }
    assert.equal(v.tasks.length, n)
    for (const t of v.tasks) {
      assert.equal(t.status, 'done')
      assert.equal(t.slots.filter(s => s.result != null).length, 1)
    }
    const rows = await cluster.op(cluster.peers[1], 'job.result', { job }) as Array<{ stdout: string }>
    const local = new LocalRuns(exampleWasm('mandelbrot'))
    try {
      const expected = await Promise.all(demoTiles().map(async tile => (await local.run(tileArgs(tile))).stdout))
      for (const [i, bytes] of expected.entries()) assert.ok(Buffer.from(rows[i].stdout, 'base64').equals(Buffer.from(bytes)), `tile ${i} equals a local run`)
    } finally {
      local.stop()
    }
    const tabIds = await Promise.all(tabs.map(async p => await p.evaluate('globalThis.__novacronJobs.self') as string))
    const by = new Map<string, number>()
    for (const t of v.tasks) { const w = t.slots[0].result?.worker ?? ''; by.set(w, (by.get(w) ?? 0) + 1) }
    console.log(`# tiles by peer: ${[...by.entries()].map(([p, c]) => `${tabIds.includes(p) ? 'tab' : 'node'} …${p.slice(-6)}: ${c}`).join(', ')}`)
    // the other tab followed the same log
    await waitFor(async () => await tabs[1].evaluate(`globalThis.__novacronJobs.binding().state.jobs.get(${JSON.stringify(job)})?.status`) === 'done', { timeout: 60_000, message: 'tab 1 sees the job done' })
    await tabs[1].waitForSelector(`[data-testid=jobs-queue] tr[data-job="${job}"]:has-text("${n}/${n}")`)
  })

  test('the Jobs panel renders (NOVACRON_SCREENSHOTS=1 saves it to docs/screenshots/jobs.png)', async () => {
    const png = await tabs[0].locator('#panel-jobs').screenshot()
    assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47], 'a PNG of the panel')
    const box = await tabs[0].locator('#panel-jobs').boundingBox()
    assert.ok(box != null && box.width > 200 && box.height > 100, `the panel is laid out: ${JSON.stringify(box)}`)
    // a plain test run leaves docs/ alone
    if (process.env.NOVACRON_SCREENSHOTS != null) {
      mkdirSync(`${root}docs/screenshots`, { recursive: true })
      writeFileSync(`${root}docs/screenshots/jobs.png`, png)
    }
  })
})
