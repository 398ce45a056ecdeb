/**
 * The page as a newcomer meets it (issue 18, items 3 and 9), in real Chromium against `novacron
 * start`: a nav bar with one link per section, panels included (generated from
 * app/panels/index.ts); no sideways scroll at 420 px; a label on every form field; one short name
 * per peer across the peer table, topology and presence; memory: errors in words that go when the
 * input is fixed, expiry in words, a delete for every peer asks first; the board's errors in words;
 * learning: out-of-range inputs are errors (never replaced), training runs in a worker: rounds
 * arrive one by one and the main thread's long tasks (PerformanceObserver 'longtask') fill well
 * under half of the training time; Stop stops it. NOVACRON_SCREENSHOTS=1 writes docs/screenshots/first-steps-{1280,420}.png.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { launchChromium, openTab } from '../_support/chromium.ts'
import { startCli, stopAll } from '../_support/processes.ts'
import { waitFor } from '../_support/wait.ts'

const DEADLINE = 90_000
const shots = new URL('../../docs/screenshots/', import.meta.url).pathname

describe('the page: structure, polish, a learning panel that never freezes it', { timeout: 600_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'novacron-page-'))
  let browser: Browser | undefined
  let url = ''
  let page: Page

  async function open (width: number): Promise<Page> {
    const p = await openTab(browser!, url, { name: `tab ${width}`, timeout: DEADLINE, width })
    await waitFor(async () => await p.getAttribute('[data-testid=status]', 'data-status') === 'connected', { timeout: DEADLINE, interval: 100, message: 'the tab to join' })
    await p.waitForSelector('[data-testid=memory-table], [data-testid=panel-memory] .empty')
    return p
  }

  before(async () => {
    const server = startCli(['start', '--port', '0', '--ws-port', '0', '--host', '127.0.0.1', '--data-dir', join(dataDir, 'boot'), '--json'])
    await server.waitForOutput(/"event":"listening"/, DEADLINE)
    url = (JSON.parse(server.stdout.split('\n').find(l => l.includes('"event":"listening"')) as string) as { url: string }).url
    browser = await launchChromium()
    page = await open(1280)
  })

  after(async () => {
    try {
      await browser?.close()
    } finally {
      await stopAll()
      rmSync(dataDir, { recursive: true, force: true })
    }
  })

  test('a nav bar links every section, the mesh first and every panel after, each to a section that exists', async () => {
    const links = await page.$$eval('[data-testid=nav] a', as => as.map(a => (a as HTMLAnchorElement).getAttribute('href') ?? ''))
    const panels = await page.$$eval('#panels > section', ss => ss.map(s => `#${s.id}`))
    assert.deepEqual(links.slice(0, 3), ['#mesh', '#peer', '#broadcast-section'])
    assert.deepEqual(links.slice(3), panels, 'one link per panel of app/panels/index.ts, in order')
    assert.ok(panels.length >= 3)
    for (const href of links) assert.equal(await page.locator(href).count(), 1, href)
    assert.equal(await page.evaluate('document.querySelector("main > section").id'), 'mesh', 'the mesh at a glance comes first')
    await page.click('[data-testid=nav] a[href="#panel-memory"]')
    await waitFor(async () => await page.evaluate('location.hash') === '#panel-memory', { message: 'the memory link to navigate' })
  })

  test('every form field has a label', async () => {
    const unlabelled = await page.$$eval('main input, main select, main textarea', els => els
      .filter(e => (e as HTMLInputElement).labels?.length === 0 && (e.getAttribute('aria-label') ?? '') === '')
      .map(e => e.outerHTML.slice(0, 80)))
    assert.deepEqual(unlabelled, [])
  })

  test('one short name per peer: the peer table, the topology and the presence bar agree', async () => {
    const boot = await page.$eval('[data-testid=peer-row][data-role=bootstrap]', r => ({ id: (r as HTMLElement).dataset.peerId ?? '', name: r.querySelector('code')?.textContent ?? '' }))
    assert.equal(boot.name, `…${boot.id.slice(-8)}`)
    const topo = await page.$eval(`[data-testid=topology-node][data-peer-id="${boot.id}"]`, n => n.textContent ?? '')
    assert.ok(topo.includes(boot.name), `topology label ${topo}`)
    await waitFor(async () => (await page.$$eval('[data-testid=presence] .who', ws => ws.map(w => w.textContent ?? ''))).some(t => t.includes(boot.name)),
      { timeout: DEADLINE, message: `the presence bar to name the bootstrap's state peer ${boot.name}` })
  })

  test('memory: errors in words that go when fixed, expiry in words, delete for every peer asks first', async () => {
    await page.fill('[data-testid=mem-key]', 'plan/today')
    await page.fill('[data-testid=mem-value]', 'not json')
    const error = page.locator('[data-testid=mem-error]')
    await waitFor(async () => /not JSON/.test(await error.first().innerText()), { message: 'an error saying the value is not JSON' })
    assert.doesNotMatch(await error.first().innerText(), /Error\b/, 'in words, no class names')
    await page.fill('[data-testid=mem-value]', '"buy milk"')
    await waitFor(async () => await error.count() === 0, { message: 'the error to go once the value is JSON' })
    await page.fill('[data-testid=mem-ttl]', '10m')
    await page.click('[data-testid=mem-store]')
    const row = page.locator('[data-key="default:plan/today"]')
    await waitFor(async () => await row.count() === 1, { message: 'the entry' })
    assert.match(await row.locator('[data-testid=mem-expires]').innerText(), /^in (10|9) min$/)
    let asked = ''
    page.once('dialog', d => { asked = d.message(); void d.dismiss() })
    await row.locator('[data-testid=mem-delete]').click()
    assert.match(asked, /every peer/)
    assert.equal(await row.count(), 1, 'dismissed: nothing deleted')
    page.once('dialog', d => { void d.accept() })
    await row.locator('[data-testid=mem-delete]').click()
    await waitFor(async () => await row.count() === 0, { message: 'the entry to be deleted once confirmed' })
  })

  test('board: an error in words that goes when fixed', async () => {
    await page.fill('[data-testid=new-title]', '')
    await page.click('[data-testid=new-create]')
    const error = page.locator('[data-testid=board-error]')
    await waitFor(async () => await error.count() === 1, { message: 'an error for an empty title' })
    assert.doesNotMatch(await error.innerText(), /\w+Error\b/, 'in words, no class names')
    await page.fill('[data-testid=new-title]', 'First issue')
    await waitFor(async () => await error.count() === 0, { message: 'the error to go once a title is typed' })
    await page.click('[data-testid=new-create]')
    await waitFor(async () => (await page.$$eval('.issue-title', ts => ts.map(t => t.textContent))).includes('First issue'), { message: 'the issue on the board' })
  })

  test('learning: out-of-range inputs are errors by their field, never replaced, and go when fixed', async () => {
    const panel = page.locator('[data-testid=panel-learning]')
    assert.match(await panel.getByTestId('learning-idle').innerText(), /simulates all the clients inside this tab/)
    assert.equal(await panel.getByTestId('learning-results').isHidden(), true, 'no empty chart while idle')
    for (const bad of ['0', '-3', '100000']) {
      await panel.getByTestId('learning-rounds').fill(bad)
      await panel.getByTestId('learning-start').click()
      assert.match(await panel.getByTestId('learning-error-rounds').innerText(), /^Rounds: .*from 1 to 50/)
      assert.equal(await panel.getByTestId('learning-rounds').inputValue(), bad, 'the value is left as typed')
      assert.equal(await panel.getByTestId('learning-status').innerText(), 'Idle.', 'nothing started')
    }
    await panel.getByTestId('learning-rounds').fill('50')
    await waitFor(async () => await panel.getByTestId('learning-error-rounds').count() === 0, { message: 'the error to go' })
  })

  test('learning: training runs off the main thread, rounds arrive one by one, Stop stops it', async (t) => {
    const panel = page.locator('[data-testid=panel-learning]')
    await waitFor(async () => await panel.getByTestId('learning-backend').getAttribute('data-backend') != null, { timeout: DEADLINE, message: 'the worker to report its backend' })
    // long tasks on the main thread from now on (a frozen page shows as one long task)
    await page.evaluate(`(() => {
      globalThis.__longTasks = []
      new PerformanceObserver(list => { for (const e of list.getEntries()) globalThis.__longTasks.push(Math.round(e.duration)) }).observe({ type: 'longtask' })
    })()`)
    await panel.getByTestId('learning-rounds').fill('50')
    await panel.getByTestId('learning-clients').fill('20')
    await panel.getByTestId('learning-start').click()
    const trainStart = Date.now()
    const status = panel.getByTestId('learning-status')
    const seen: number[] = []
    await waitFor(async () => {
      const r = Number(await status.getAttribute('data-round') ?? 0)
      if (r > 0 && seen.at(-1) !== r) seen.push(r)
      return r >= 3
    }, { timeout: 240_000, interval: 20, message: () => `3 rounds (seen ${seen.join(',')})` })
    const rows = await panel.getByTestId('learning-rounds-table').locator('tr').count()
    assert.deepEqual(await panel.getByTestId('learning-rounds-table').locator('tr td:first-child').allInnerTexts(), Array.from({ length: rows - 1 }, (_, i) => String(i + 1)), 'rounds 1, 2, 3… in order')
    await panel.getByTestId('learning-stop').click()
    assert.match(await status.innerText(), /^Stopped after round \d+ of 50\.$/)
    const stoppedRows = await panel.getByTestId('learning-rounds-table').locator('tr').count()
    const trainedMs = Date.now() - trainStart
    const longTasks = await page.evaluate('globalThis.__longTasks') as number[]
    const busyMs = longTasks.reduce((a, b) => a + b, 0)
    t.diagnostic(`rounds seen ${seen.join(',')}; ${trainedMs} ms of training; main-thread long tasks: ${longTasks.length === 0 ? 'none' : `${longTasks.length}, longest ${Math.max(...longTasks)} ms, ${busyMs} ms in all`}`)
    // Trained on the main thread, the page is one long task from Train to the end (7 s for 50
    // rounds × 20 clients on a quiet machine) and shows no round until then. In a worker the main
    // thread only draws each round. How long its tasks take depends on the machine's load (on a
    // quiet one none exceeds 200 ms; at load average 45 on 2 cores one took 364 ms), so the test
    // asserts what load cannot fake: rounds appear one by one, and the main thread is busy for
    // well under half of the training time.
    assert.ok(seen.length >= 2 && seen.every((r, i) => i === 0 || r > seen[i - 1]), `rounds shown one by one as they finish: ${seen.join(',')}`)
    assert.ok(busyMs < trainedMs / 2, `main thread busy ${busyMs} ms of ${trainedMs} ms of training: ${longTasks.join(', ')}`)
    // the stopped worker is gone: a fresh one reports its backend, and no round of the old run arrives after it
    await waitFor(async () => await panel.getByTestId('learning-start').isEnabled(), { message: 'Train enabled again' })
    await panel.getByTestId('learning-rounds').fill('2')
    await panel.getByTestId('learning-clients').fill('4')
    await panel.getByTestId('learning-start').click()
    await waitFor(async () => await status.getAttribute('data-done') === 'true' || /failed/.test(await status.innerText()), { timeout: 240_000, message: 'a short run to finish' })
    assert.match(await status.innerText(), /^Done on \w+: accuracy \d/)
    assert.equal(await panel.getByTestId('learning-rounds-table').locator('tr').count(), 3, 'the new run\'s 2 rounds only')
    assert.ok(stoppedRows >= 4)
  })

  test('no sideways scroll at 420 px (long ids and the bootstrap address wrap); screenshots', async () => {
    const narrow = await open(420)
    // the health table fills in as the tab links (metrics with long names and labels): wait for it
    await narrow.waitForSelector('[data-testid=health-table] td')
    const [scroll, inner, wide] = await narrow.evaluate(`(() => {
      const wide = []
      for (const e of document.querySelectorAll('main *')) {
        if (e.getBoundingClientRect().right > innerWidth + 1 && e.closest('.table-scroll, .nav') == null) wide.push(e.tagName.toLowerCase() + (e.dataset.testid ? '[' + e.dataset.testid + ']' : ''))
      }
      return [document.documentElement.scrollWidth, innerWidth, wide.slice(0, 8)]
    })()`) as [number, number, string[]]
    assert.ok(scroll <= inner, `page ${scroll} px wide in a ${inner} px window; too wide: ${wide.join(', ')}`)
    if (process.env.NOVACRON_SCREENSHOTS != null) {
      // pictures of a settled mesh: the two tabs linked directly
      const [wide, small] = await Promise.all([page, narrow].map(async p => (await p.textContent('[data-testid=self-peer-id]'))?.trim() ?? ''))
      const direct = async (p: Page, id: string): Promise<boolean> => await p.getAttribute(`[data-testid=peer-row][data-peer-id="${id}"]`, 'data-transport') === 'webrtc'
      await waitFor(async () => await direct(page, small) && await direct(narrow, wide), { timeout: DEADLINE, interval: 200, message: 'the two tabs to link directly' })
      await page.evaluate('scrollTo(0, 0)')
      await page.screenshot({ path: join(shots, 'first-steps-1280.png'), fullPage: true })
      await narrow.screenshot({ path: join(shots, 'first-steps-420.png'), fullPage: true })
    }
    await narrow.context().close()
  })
})
