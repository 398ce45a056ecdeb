/**
 * A frozen tab (issue 16): `novacron start` + 1 `novacron peer` (workers of capacity 1) and one
 * Chromium tab run a job of 6 tiles (a second or so each) with a 3 s lease. Once the tab holds a lease, its page is
 * frozen through the DevTools protocol (`Debugger.pause`: the page's JavaScript stops — ledger,
 * renewals, the worker loop — while its task's Web Worker runs on, as in a hung or throttled tab).
 * Its lease expires, a Node peer claims the task again and completes it; thawed, the tab's late
 * result (or renewal) under its old token is refused on every peer, and the tab's view of the job
 * equals the Node peers'. The ledger runs one replica (`ledger.maxReplicas` 1).
 */
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { CDPSession, Page } from 'playwright-core'
import type { JobSummary } from '../../core/jobs/submitter.ts'
import type { TaskState } from '../../core/jobs/state.ts'
import { JobsTabCluster } from '../_support/jobs-tabs.ts'
import type { ClusterPeer } from '../_support/ledger-cluster.ts'
import { startCli } from '../_support/processes.ts'
import { waitFor } from '../_support/wait.ts'
import { examplePath } from './_examples.ts'

const DEADLINE = 240_000

interface TasksView { tasks: TaskState[], refusals: Record<string, number> }
interface WorkerStats { resultsRefused: number, renewalsRefused: number, leaseLostAborts: number, resultsCommitted: number }

describe('jobs: a frozen tab loses its lease', { timeout: 900_000 }, () => {
  const mesh = new JobsTabCluster()
  const cluster = mesh.cluster
  let tab: Page
  let boot: ClusterPeer

  before(async () => {
    await mesh.start({ nodePeers: 1, tabs: 1, timeout: DEADLINE })
    boot = mesh.boot
    tab = mesh.tabs[0]
  })
  after(async () => { await mesh.stop() })

  test('its task is claimed again by a Node peer and completes; the thawed tab\'s late result is refused', async () => {
    const tabId = await tab.evaluate('globalThis.__novacronJobs.self') as string
    // six tiles inside the set at a high iteration count (about a second each when idle): enough
    // that the tab, a slower claimer than the Node peers, gets one; short enough that the Node
    // peers finish all of them under a load average of 60 while the tab is frozen
    const argsOf = Array.from({ length: 6 }, (_, i) => ['--checksum', '192', '96', '96', '32', '48', '32', String(150_000 + i)])
    const split = join(cluster.root, 'frozen.jsonl')
    writeFileSync(split, argsOf.map(args => JSON.stringify({ args })).join('\n') + '\n')
    const p = startCli(['job', 'submit', examplePath('mandelbrot', 'wasm'), '--split', split, '--lease', '3s', '--timeout', '300s', '--json', '--data-dir', boot.dataDir])
    assert.equal(await p.exited, 0, p.stderr)
    const { job } = JSON.parse(p.stdout) as { job: string }
    const held = await waitFor(async () => (await cluster.op(boot, 'job.status', { job }) as JobSummary).running.find(r => r.worker === tabId),
      { timeout: 300_000, interval: 100, message: `the tab holding a lease of ${job}` })

    const cdp: CDPSession = await tab.context().newCDPSession(tab)
    await cdp.send('Debugger.enable')
    await cdp.send('Debugger.pause')
    let thawed = false
    try {
      let last: JobSummary[] = []
      await waitFor(async () => {
        last = await Promise.all(cluster.live().map(async peer => await cluster.op(peer, 'job.status', { job }) as JobSummary))
        return last.every(s => s.status === 'done')
      }, { timeout: 600_000, interval: 500, message: () => `job done on the Node peers while the tab is frozen; now ${last.map(s => `${s.done}/${s.tasks}`).join(' ')}` })
      const v = await cluster.op(boot, 'job.tasks', { job }) as TasksView
      const slot = v.tasks[held.task].slots[0]
      assert.ok(slot.result != null && slot.result.worker !== tabId, 'a Node peer computed the frozen tab\'s task')
      assert.ok(slot.result.token.epoch >= 2, 'the slot was claimed again (a new fencing epoch)')
      await cdp.send('Debugger.resume')
      thawed = true
    } finally {
      if (!thawed) await cdp.send('Debugger.resume').catch(() => {})
    }
    await cdp.detach()

    // thawed: the tab catches up, and its run (finished while frozen) is reported under the old token
    const z = await waitFor(async () => {
      const s = JSON.parse(await tab.evaluate('JSON.stringify(globalThis.__novacronJobs.worker().stats)')) as WorkerStats
      return s.resultsRefused + s.renewalsRefused + s.leaseLostAborts >= 1 ? s : null
    }, { timeout: 180_000, interval: 500, message: 'the thawed tab submitted under its old token and was refused' })
    assert.equal(z.resultsCommitted, 0, 'nothing the tab reported was accepted')
    const views = await Promise.all(cluster.live().map(async peer => await cluster.op(peer, 'job.tasks', { job }) as TasksView))
    for (const view of views) {
      assert.deepEqual(view.tasks, views[0].tasks)
      if (z.resultsRefused + z.renewalsRefused >= 1) {
        assert.ok((view.refusals['task settled'] ?? 0) + (view.refusals['stale token'] ?? 0) + (view.refusals['job done'] ?? 0) >= 1, JSON.stringify(view.refusals))
      }
    }
    const tabTasks = await waitFor(async () => {
      const t = JSON.parse(await tab.evaluate(`JSON.stringify(globalThis.__novacronJobs.binding().state.jobs.get(${JSON.stringify(job)})?.tasks ?? null)`)) as TaskState[] | null
      return t != null && t.every(x => x.status === 'done') ? t : null
    }, { timeout: 120_000, interval: 500, message: 'the tab sees the job done' })
    assert.deepEqual(tabTasks, views[0].tasks)
    console.log(`# the thawed tab: ${JSON.stringify(z)}`)
  })
})
