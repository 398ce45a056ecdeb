/**
 * Browser-side measurements for the mesh benchmark (called by bench/mesh.bench.ts): how long a
 * tab takes from opening the URL to its first direct WebRTC connection, and its JS heap.
 *
 * Each tab gets its own browser context (its own storage, so its own identity). Tabs open one
 * after another and stay open, so every tab after the first has browser peers to reach as well as
 * whatever Node peers the caller started. The time is the page's own `performance.now()` at the
 * moment its view first showed a WebRTC peer (the page records it in `data-first-webrtc-ms` on
 * the status line), i.e. measured from navigation start, independent of polling.
 * Memory is Chromium's JSHeapUsedSize from the DevTools protocol (JS heap only: WebRTC's native
 * buffers are not included).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { launchChromium } from '../test/_support/chromium.ts'
import { waitFor } from '../test/_support/wait.ts'

export interface TabTimes {
  /** Per tab, ms from navigation start to the first direct WebRTC connection on the page. */
  firstWebrtcMs: number[]
  /** Per tab, JS heap in use once it has its first WebRTC connection. */
  tabMemoryBytes?: number[]
  /** Per tab, the page's `novacron:*` performance marks (ms from navigation start): where the time went. */
  stagesMs?: Array<Record<string, number>>
}

async function stages (page: Page): Promise<Record<string, number>> {
  return await page.evaluate(() => {
    const out: Record<string, number> = {}
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined
    if (nav != null) out.load = Math.round(nav.loadEventEnd)
    for (const m of performance.getEntriesByType('mark')) {
      if (m.name.startsWith('novacron:')) out[m.name.slice('novacron:'.length)] = Math.round(m.startTime)
    }
    return out
  })
}

async function firstWebrtcMs (page: Page, timeout: number): Promise<number> {
  const value = await waitFor(async () => await page.getAttribute('[data-testid=status]', 'data-first-webrtc-ms'), { timeout, message: 'first WebRTC connection' })
  return Number(value)
}

async function heapUsed (context: BrowserContext, page: Page): Promise<number | undefined> {
  try {
    const cdp = await context.newCDPSession(page)
    await cdp.send('Performance.enable')
    const { metrics } = await cdp.send('Performance.getMetrics')
    await cdp.detach()
    return metrics.find(m => m.name === 'JSHeapUsedSize')?.value
  } catch {
    return undefined // not Chromium, or CDP refused: memory is optional in the result
  }
}

/** Opens `tabs` tabs on `url` one after another and measures each; closes everything it opened. */
export async function measureTabTimes (url: string, tabs: number, opts: { timeoutMs?: number } = {}): Promise<TabTimes> {
  const browser: Browser = await launchChromium()
  const times: number[] = []
  const memory: number[] = []
  const marks: Array<Record<string, number>> = []
  try {
    for (let i = 0; i < tabs; i++) {
      const context = await browser.newContext()
      const page = await context.newPage()
      await page.goto(url)
      times.push(await firstWebrtcMs(page, opts.timeoutMs ?? 60_000))
      marks.push(await stages(page))
      const heap = await heapUsed(context, page)
      if (heap != null) memory.push(heap)
    }
  } finally {
    await browser.close()
  }
  return { firstWebrtcMs: times, ...(memory.length === tabs ? { tabMemoryBytes: memory } : {}), stagesMs: marks }
}
