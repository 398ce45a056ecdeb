/**
 * The headline test of issue 16 (npm run test:slow): 3 Node peers (`novacron start` + 2 `novacron
 * peer`s, workers of capacity 1) and 2 Chromium tabs (each its own browser context, identity and
 * Web Worker runner) run ONE job of 200 Mandelbrot tiles with `--replicas 2`, submitted with
 * `novacron job submit --split`. Every peer and both tabs apply the same log; every task is decided
 * with exactly one committed result in each of its 2 replica slots, by 2 distinct workers, no
 * replica drawn beyond 2 (the honest workers agree); both tabs computed tiles; the agreed outputs
 * equal an in-process run of the same module. The ledger runs one replica (`ledger.maxReplicas` 1)
 * so the test is about jobs.
 */
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { Page } from 'playwright-core'
import { runInSandbox } from '../../core/jobs/sandbox.ts'
import { resolveLimits } from '../../core/jobs/task-types.ts'
import type { JobSummary } from '../../core/jobs/submitter.ts'
import type { TaskState } from '../../core/jobs/state.ts'
import { JobsTabCluster } from '../_support/jobs-tabs.ts'
import { startCli } from '../_support/processes.ts'
import { waitFor } from '../_support/wait.ts'
import { examplePath, exampleWasm } from './_examples.ts'

const N = 200
const K = 2
const DEADLINE = 240_000
/** tile i of a 20 × 10 grid of 16 × 16 tiles (a 320 × 160 image) */
const tileArgs = (i: number): string[] => ['--checksum', '320', '160', String((i % 20) * 16), String(Math.floor(i / 20) * 16), '16', '16', '300']

describe(`jobs: one job of ${N} tasks × ${K} replicas over 3 Node peers + 2 tabs`, { timeout: 1_800_000 }, () => {
  const mesh = new JobsTabCluster()
  const cluster = mesh.cluster
  const tabs = mesh.tabs

  before(async () => { await mesh.start({ nodePeers: 2, tabs: 2, timeout: DEADLINE }) })
  after(async () => { await mesh.stop() })

  test(`${N} tasks: one committed result per replica slot, the same on every peer and tab, equal to a local run`, async () => {
    const split = join(cluster.root, 'tiles.jsonl')
    writeFileSync(split, Array.from({ length: N }, (_, i) => JSON.stringify({ args: tileArgs(i) })).join('\n') + '\n')
    const p = startCli(['job', 'submit', examplePath('mandelbrot', 'wasm'), '--split', split, '--replicas', String(K), '--json', '--data-dir', cluster.peers[1].dataDir])
    assert.equal(await p.exited, 0, p.stderr)
    const { job } = JSON.parse(p.stdout) as { job: string }
    const tabTasks = async (page: Page): Promise<TaskState[] | null> =>
      JSON.parse(await page.evaluate(`JSON.stringify(globalThis.__novacronJobs.binding().state.jobs.get(${JSON.stringify(job)})?.tasks ?? null)`)) as TaskState[] | null
    let last: JobSummary[] = []
    await waitFor(async () => {
      last = await Promise.all(cluster.live().map(async peer => await cluster.op(peer, 'job.status', { job }) as JobSummary))
      return last.every(s => s.status === 'done')
    }, { timeout: 1_500_000, interval: 1000, message: () => `job done on every Node peer; now ${last.map(s => `${s.done}/${s.tasks}`).join(' ')}` })

    // every Node peer and both tabs applied the same log
    const views = await Promise.all(cluster.live().map(async peer => (await cluster.op(peer, 'job.tasks', { job }) as { tasks: TaskState[] }).tasks))
    for (const page of tabs) {
      views.push(await waitFor(async () => {
        const t = await tabTasks(page)
        return t != null && t.every(x => x.status !== 'open') ? t : null
      }, { timeout: 120_000, interval: 500, message: 'a tab sees every task decided' }))
    }
    for (const v of views) assert.deepEqual(v, views[0])

    const tabIds = await Promise.all(tabs.map(async page => await page.evaluate('globalThis.__novacronJobs.self') as string))
    const by = new Map<string, number>()
    for (const t of views[0]) {
      assert.equal(t.status, 'done', `task ${t.index}`)
      assert.equal(t.slots.length, K, `task ${t.index}: no replica drawn beyond ${K}`)
      const workers = t.slots.map(s => s.result?.worker)
      assert.ok(workers.every(w => w != null), `task ${t.index}: a result in every replica slot`)
      assert.equal(new Set(workers).size, K, `task ${t.index}: ${K} distinct workers`)
      assert.ok(t.slots.every(s => s.result?.output === t.output), `task ${t.index}: the replicas agree`)
      assert.deepEqual([...(t.winners ?? [])].sort(), [...workers as string[]].sort())
      for (const w of workers as string[]) by.set(w, (by.get(w) ?? 0) + 1)
    }
    for (const id of tabIds) assert.ok((by.get(id) ?? 0) >= 1, `tab …${id.slice(-6)} computed tiles: ${JSON.stringify([...by])}`)

    const rows = await cluster.op(cluster.peers[0], 'job.result', { job }) as Array<{ stdout: string, exitCode: number }>
    assert.equal(rows.length, N)
    const module = exampleWasm('mandelbrot')
    const limits = resolveLimits({})
    for (let i = 0; i < N; i++) {
      const local = Buffer.from((await runInSandbox(module, { args: tileArgs(i) }, limits)).stdout).toString('utf8')
      assert.equal(Buffer.from(rows[i].stdout, 'base64').toString('utf8'), local, `task ${i} equals a local run`)
      assert.equal(rows[i].exitCode, 0)
    }
    console.log(`# results by worker: ${[...by.entries()].map(([w, c]) => `${tabIds.includes(w) ? 'tab' : 'node'} …${w.slice(-6)}: ${c}`).join(', ')}`)
  })
})
