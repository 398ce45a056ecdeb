/**
 * Every tab its own peer (issue 18, item 1), in real Chromium: two pages of ONE browser context
 * (shared localStorage, shared Web Locks) are two peers with two ids, linked to each other over
 * direct WebRTC; each sees the other's broadcasts and board edits; a reload keeps the reloaded
 * tab's id and the two are still two peers. Delivery times are printed as diagnostics (the
 * defect was ~10 s for a board edit, and no broadcasts at all); waits have generous deadlines.
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

async function selfId (page: Page): Promise<string> {
  return (await waitFor(async () => await page.textContent('[data-testid=self-peer-id]'), { timeout: DEADLINE, message: 'own peer id on the page' })).trim()
}

async function transportTo (page: Page, peerId: string): Promise<string | undefined> {
  const rows = await page.$$eval('[data-testid=peer-row]', els => els.map(e => [(e as HTMLElement).dataset.peerId ?? '', (e as HTMLElement).dataset.transport ?? '']))
  return new Map(rows as Array<[string, string]>).get(peerId)
}

async function broadcasts (page: Page): Promise<string[]> {
  return await page.$$eval('[data-testid=broadcast-item]', els => els.map(e => `${(e as HTMLElement).dataset.from ?? ''}:${e.querySelector('.text')?.textContent ?? ''}`))
}

async function issueTitles (page: Page): Promise<string[]> {
  return await page.evaluate('globalThis.__novacronState == null ? [] : globalThis.__novacronState.board.list().map(i => i.title)') as string[]
}

describe('two tabs of one browser are two peers', { timeout: 300_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'novacron-tabs-'))
  let browser: Browser | undefined
  const pages: Page[] = []
  const ids: string[] = []

  before(async () => {
    const server = startCli(['start', '--port', '0', '--ws-port', '0', '--host', '127.0.0.1', '--data-dir', join(dataDir, 'boot'), '--json'])
    await server.waitForOutput(/"event":"listening"/, DEADLINE)
    const listening = JSON.parse(server.stdout.split('\n').find(l => l.includes('"event":"listening"')) as string) as { url: string }
    browser = await launchChromium()
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    for (let i = 0; i < 2; i++) {
      const page = await openTab(context, listening.url, { name: `tab ${i}`, timeout: DEADLINE })
      pages.push(page)
      ids.push(await selfId(page))
    }
  })

  after(async () => {
    try {
      await browser?.close()
    } finally {
      await stopAll()
      rmSync(dataDir, { recursive: true, force: true })
    }
  })

  test('two ids, the second tab says why it has a new one, and they link over direct WebRTC', async () => {
    assert.notEqual(ids[0], ids[1])
    assert.equal(await pages[0].getAttribute('[data-testid=identity-origin]', 'data-origin'), 'new')
    assert.equal(await pages[1].getAttribute('[data-testid=identity-origin]', 'data-origin'), 'new-in-use')
    await waitFor(async () => await transportTo(pages[0], ids[1]) === 'webrtc' && await transportTo(pages[1], ids[0]) === 'webrtc',
      { timeout: DEADLINE, interval: 100, message: 'each tab to list the other as a WebRTC peer' })
  })

  test('each tab sees the other\'s broadcasts and board edits', async (t) => {
    for (const [from, to] of [[0, 1], [1, 0]]) {
      const text = `hello from tab ${from} ${Date.now()}`
      await pages[from].fill('[data-testid=broadcast-input]', text)
      const sent = Date.now()
      await pages[from].click('[data-testid=broadcast-send]')
      await waitFor(async () => (await broadcasts(pages[to])).includes(`${ids[from]}:${text}`), { timeout: DEADLINE, interval: 25, message: `tab ${to} to show tab ${from}'s broadcast` })
      t.diagnostic(`broadcast tab ${from} -> tab ${to}: ${Date.now() - sent} ms`)
    }
    await waitFor(async () => await pages[1].evaluate('globalThis.__novacronState != null'), { timeout: DEADLINE, message: 'the board to load' })
    for (const [from, to] of [[0, 1], [1, 0]]) {
      const title = `edit from tab ${from} ${Date.now()}`
      const sent = Date.now()
      await pages[from].evaluate(`globalThis.__novacronState.board.create({ title: ${JSON.stringify(title)} })`)
      await waitFor(async () => (await issueTitles(pages[to])).includes(title), { timeout: DEADLINE, interval: 25, message: `tab ${to} to see tab ${from}'s board edit` })
      t.diagnostic(`board edit tab ${from} -> tab ${to}: ${Date.now() - sent} ms`)
    }
  })

  test('a reload keeps the tab\'s id, and the two tabs are still two linked peers', async () => {
    await pages[1].reload()
    assert.equal(await selfId(pages[1]), ids[1])
    assert.equal(await pages[1].getAttribute('[data-testid=identity-origin]', 'data-origin'), 'tab')
    await pages[0].reload()
    assert.equal(await selfId(pages[0]), ids[0])
    await waitFor(async () => await transportTo(pages[0], ids[1]) === 'webrtc' && await transportTo(pages[1], ids[0]) === 'webrtc',
      { timeout: DEADLINE, interval: 100, message: 'the reloaded tabs to link again over WebRTC' })
  })
})
