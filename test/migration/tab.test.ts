/**
 * Live migration between a Chromium tab and a Node peer (issue 20): a bootstrap (the ledger's one
 * replica, no worker), one `novacron peer --migration` (capacity 1) and one tab on the bootstrap's
 * page (cross-origin isolated, so its task Web Workers share the control word with the page).
 *
 * The tab opens first, its worker paused (so the Node peer claims the counter, and the slow part of
 * a tab's start — page, ledger sync, membership — is over before the task runs: on a fast machine
 * the task once ended before a tab opened after it was ready). The counter (examples/jobs/counter.c)
 * starts on the Node peer, is moved to the tab with `novacron job migrate --to <tab>`, resumes in a
 * Web Worker there from the verified snapshot, is moved back from the tab to the Node peer with the Jobs
 * panel's "migrate" button (the Node peer picked from its list; the panel's migrations list then
 * shows the move with its bytes against the memory size), and ends with exactly the output of its
 * native build. NOVACRON_SCREENSHOTS=1 saves the panel (1280 px) to docs/screenshots/.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { after, before, describe, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import type { JobSummary } from '../../core/jobs/submitter.ts'
import type { TaskState } from '../../core/jobs/state.ts'
import type { MigrationRecord } from '../../core/migration/outgoing.ts'
import { launchChromium, openTab } from '../_support/chromium.ts'
import { LedgerCluster, type ClusterPeer } from '../_support/ledger-cluster.ts'
import { startCli } from '../_support/processes.ts'
import { waitFor } from '../_support/wait.ts'
import { examplePath } from '../jobs/_examples.ts'
import { counterSteps } from './_counter-steps.ts'

const WASM = examplePath('counter', 'wasm')
/** long enough, instrumented, to be caught running twice under load (more steps on a faster machine) */
const N = counterSteps(1_500_000_000)
const TIMEOUT = 600_000

async function cli (args: string[]): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const p = startCli(args)
  const code = await p.exited
  return { code, stdout: p.stdout, stderr: p.stderr }
}

interface TasksView { tasks: TaskState[] }

describe('live migration between a tab and a Node peer', { timeout: 1_500_000 }, () => {
  const cluster = new LedgerCluster({ flags: ['--job-capacity', '1', '--migration'], bootFlags: ['--job-capacity', '0'] })
  let boot: ClusterPeer
  let peer: ClusterPeer
  let browser: Browser | undefined
  let tab: Page
  let tabId: string
  /** the native build's output (several seconds: it runs while the mesh starts) */
  let expected: Promise<string>

  before(async () => {
    expected = promisify(execFile)(examplePath('counter', 'native'), [N], { maxBuffer: 1 << 20 }).then(r => r.stdout)
    boot = await cluster.startBoot()
    await cluster.op(boot, 'config.set', { key: 'ledger.maxReplicas', value: 1 })
    peer = await cluster.startPeer()
  })
  after(async () => {
    await browser?.close()
    await cluster.stop()
  })

  /** the Jobs panel at 1280 px: under the test's own temp dir always (to look at), docs/screenshots with NOVACRON_SCREENSHOTS=1 (house rule) */
  async function shoot (name: string): Promise<void> {
    const png = await tab.locator('#panel-jobs').screenshot()
    writeFileSync(join(tmpdir(), `novacron-${name}`), png)
    if (process.env.NOVACRON_SCREENSHOTS === '1') {
      mkdirSync(fileURLToPath(new URL('../../docs/screenshots/', import.meta.url)), { recursive: true })
      writeFileSync(fileURLToPath(new URL(`../../docs/screenshots/${name}`, import.meta.url)), png)
    }
  }
  const movableInTab = async (key: string): Promise<boolean> => await tab.evaluate(k => (globalThis as unknown as { __novacronMigration: { service: { movable: string[] } } }).__novacronMigration.service.movable.includes(k), key)

  test('a task moves from a Node peer to a tab and back, and prints exactly the unmigrated output', async () => {
    const url = (JSON.parse(/\{"event":"listening"[^\n]*\}/.exec(boot.proc.stdout)?.[0] ?? '{}') as { url?: string }).url
    assert.ok(url != null, 'the bootstrap printed its page url')
    browser = await launchChromium()
    // uncaught errors of the page and its workers (tfjs' threaded wasm build once threw 8 per run)
    const pageErrors: string[] = []
    tab = await openTab(browser, url, { name: 'tab', timeout: TIMEOUT, errors: pageErrors })
    await tab.waitForFunction('globalThis.__novacronJobs?.worker() != null && globalThis.__novacronMigration != null', undefined, { timeout: TIMEOUT })
    // the tab claims nothing until the Node peer holds the task, so it can only get it by migration
    await tab.evaluate('globalThis.__novacronJobs.worker().setPaused(true)')
    assert.equal(await tab.evaluate('globalThis.crossOriginIsolated'), true, 'the page is cross-origin isolated')
    assert.equal(await tab.evaluate('globalThis.__novacronMigration.enabled'), true)
    tabId = await tab.evaluate('globalThis.__novacronJobs.self') as string
    // each knows the other as a member before the task exists
    await waitFor(async () => {
      const last = (peer.proc.stdout.match(/\{"event":"members"[^\n]*\}/g) ?? []).at(-1)
      return last != null && (JSON.parse(last) as { members: string[] }).members.includes(tabId) ? true : null
    }, { timeout: TIMEOUT, interval: 500, message: 'the Node peer knows the tab' })
    await tab.waitForFunction(p => (globalThis as unknown as { __novacronJobs: { peers: () => string[] } }).__novacronJobs.peers().includes(p), peer.peerId, { timeout: TIMEOUT })

    const sub = await cli(['job', 'submit', WASM, '--tasks', '1', '--timeout', '1800s', '--memory', '16MiB', '--lease', '15s', '--json', '--data-dir', boot.dataDir, '--', N])
    assert.equal(sub.code, 0, sub.stderr)
    const job = (JSON.parse(sub.stdout) as { job: string }).job
    const key = `${job}/0/0`
    await waitFor(async () => {
      const l = await cluster.op(peer, 'migration.list') as { movable: string[] }
      return l.movable.includes(key) ? true : null
    }, { timeout: 300_000, interval: 500, message: `${key} running with checkpoints on the Node peer` }).catch(async (err: unknown) => {
      const status = await cluster.op(boot, 'job.status', { job }).catch((e: unknown) => String(e))
      throw new Error(`${(err as Error).message}\njob.status: ${JSON.stringify(status)}\npeer's output:\n${peer.proc.stdout.slice(-3000)}\n${peer.proc.stderr.slice(-2000)}`)
    })

    await tab.evaluate('globalThis.__novacronJobs.worker().setPaused(false)')
    // and the tab's ledger view has the Node peer's lease (an offer is checked against it)
    await tab.waitForFunction(([j, p]) => (globalThis as unknown as { __novacronJobs: { binding: () => { state: { jobs: Map<string, { tasks: Array<{ slots: Array<{ lease?: { worker: string } }> }> }> } } | undefined } }).__novacronJobs.binding()?.state.jobs.get(j)?.tasks[0]?.slots[0]?.lease?.worker === p, [job, peer.peerId] as const, { timeout: TIMEOUT })
    const tabLog: string[] = []
    tab.on('console', m => { tabLog.push(m.text()) })
    const mig = await cli(['job', 'migrate', `${job}/0`, '--to', tabId, '--json', '--data-dir', peer.dataDir])
    if (mig.code !== 0) {
      const status = await cluster.op(boot, 'job.status', { job }).catch((e: unknown) => String(e))
      assert.fail(`the first attempt moves the task: ${(mig.stderr + mig.stdout).trim().slice(0, 600)}\njob.status: ${JSON.stringify(status)}\ntab's console:\n${tabLog.join('\n').slice(-3000)}\nNode peer's output:\n${peer.proc.stdout.slice(-3000)}\n${peer.proc.stderr.slice(-3000)}`)
    }
    const toTab = JSON.parse(mig.stdout) as MigrationRecord
    assert.equal(toTab.status, 'done')
    assert.equal(toTab.to, tabId)
    console.log(`# Node → tab: downtime ${toTab.downtimeMs} ms (${JSON.stringify(toTab.downtimePhases)}), ${toTab.bytesSent} bytes sent for ${toTab.memoryBytes} bytes of memory in ${toTab.rounds} rounds`)
    await waitFor(async () => await movableInTab(key) ? true : null, { timeout: TIMEOUT, interval: 500, message: `${key} running with checkpoints in the tab` })
    const held = await cluster.op(boot, 'job.tasks', { job }) as TasksView
    assert.equal(held.tasks[0].slots[0].lease?.worker, tabId, 'the ledger moved the lease to the tab')

    // tab → Node, from the Jobs panel: the task's row, the Node peer picked from the list, "migrate"
    const row = tab.locator(`[data-testid=jobs-movable] tr[data-task="${key}"]`)
    await row.waitFor({ timeout: TIMEOUT })
    await waitFor(async () => (await row.locator('[data-testid=jobs-migrate-to] option').allTextContents()).length >= 2 ? true : null, { timeout: TIMEOUT, message: 'the peers listed' })
    await row.locator('[data-testid=jobs-migrate-to]').selectOption(peer.peerId)
    await shoot('jobs-migrate.png')
    await row.locator('[data-testid=jobs-migrate]').click()
    await tab.locator('[data-testid=jobs-migrations] tr[data-status=done]').waitFor({ timeout: TIMEOUT })
    const cells = await tab.locator('[data-testid=jobs-migrations] tr[data-status=done] td').allTextContents()
    assert.equal(cells[0], `${job}/0`)
    assert.match(cells[5], /KiB \/ 192 KiB/, 'bytes sent against the memory size')
    await shoot('jobs-migrations.png')
    const back = await tab.evaluate('globalThis.__novacronMigration.service.records.at(-1)') as MigrationRecord
    console.log(`# tab → Node: downtime ${back.downtimeMs} ms (${JSON.stringify(back.downtimePhases)}), ${back.bytesSent} bytes sent for ${back.memoryBytes} bytes of memory in ${back.rounds} rounds`)

    await waitFor(async () => {
      const s = await cluster.op(boot, 'job.status', { job }) as JobSummary
      return s.status === 'done' ? true : null
    }, { timeout: 1_200_000, interval: 1000, message: `job ${job} done` })
    const res = await cluster.op(boot, 'job.result', { job }) as Array<{ stdout: string, exitCode: number }>
    assert.equal(res[0].exitCode, 0)
    assert.equal(Buffer.from(res[0].stdout, 'base64').toString('utf8'), await expected)
    const fin = await cluster.op(boot, 'job.tasks', { job }) as TasksView
    assert.equal(fin.tasks[0].slots[0].result?.worker, peer.peerId, 'the result is the Node peer\'s, after the second move')
    assert.equal(fin.tasks[0].slots[0].result?.token.epoch, 3, 'two handovers, each a new fencing token')
    assert.deepEqual(pageErrors, [], 'no uncaught errors in the tab')
  })
})
