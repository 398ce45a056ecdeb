/**
 * The mixed mesh of the jobs tests with tabs (browser-mesh, browser-frozen, mesh-tabs.slow):
 * `novacron start` + `nodePeers` `novacron peer`s, every one a job worker of capacity 1, and `tabs`
 * Chromium tabs on the bootstrap's page, each its own browser context (its own identity, IndexedDB
 * and Web Worker runner), each waited for until its job worker runs. The ledger runs one replica
 * (`ledger.maxReplicas` 1 is committed before any peer joins), so these tests are about jobs, not
 * consensus. `stop()` closes the browser, then the processes.
 */
import type { Browser, Page } from 'playwright-core'
import { launchChromium, openTab } from './chromium.ts'
import { LedgerCluster, type ClusterPeer } from './ledger-cluster.ts'

export interface JobsTabsOptions {
  /** `novacron peer`s besides the bootstrap */
  nodePeers: number
  tabs: number
  /** playwright's default timeout in each tab and the wait for its worker, ms */
  timeout: number
  /** each tab's viewport @default 1280 × 900 */
  viewport?: { width: number, height: number }
}

export class JobsTabCluster {
  readonly cluster = new LedgerCluster({ flags: ['--job-capacity', '1'] })
  readonly tabs: Page[] = []
  browser: Browser | undefined
  private bootPeer: ClusterPeer | undefined

  get boot (): ClusterPeer {
    if (this.bootPeer == null) throw new Error('the cluster is not started')
    return this.bootPeer
  }

  async start (opts: JobsTabsOptions): Promise<void> {
    const boot = this.bootPeer = await this.cluster.startBoot()
    await this.cluster.op(boot, 'config.set', { key: 'ledger.maxReplicas', value: 1 })
    const url = (JSON.parse(/\{"event":"listening"[^\n]*\}/.exec(boot.proc.stdout)?.[0] ?? '{}') as { url?: string }).url
    if (url == null) throw new Error(`the bootstrap printed no page url: ${boot.proc.stdout.slice(0, 500)}`)
    for (let i = 0; i < opts.nodePeers; i++) await this.cluster.startPeer()
    this.browser = await launchChromium()
    for (let i = 0; i < opts.tabs; i++) {
      const page = await openTab(this.browser, url, { name: `tab ${i}`, timeout: opts.timeout, ...(opts.viewport != null ? { width: opts.viewport.width, height: opts.viewport.height } : {}) })
      await page.waitForFunction('globalThis.__novacronJobs?.worker() != null', undefined, { timeout: opts.timeout })
      this.tabs.push(page)
    }
  }

  async stop (): Promise<void> {
    await this.browser?.close()
    await this.cluster.stop()
  }
}
