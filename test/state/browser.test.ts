/**
 * The board and memory panels end to end: `novacron start` (bootstrap + the built app), a Node
 * state peer (real libp2p, in this process, persisting to a data dir) and two Chromium tabs. Checks
 * that an issue created in one tab's form reaches the other tab and the Node peer; that seeded
 * concurrent edits from both tabs and the Node peer converge to identical documents; that every
 * page shows who is online; and that a reloaded tab gets its state back from IndexedDB before the
 * network. Takes docs/screenshots/state.png.
 */
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { createMeshNode, type MeshNode } from '../../core/net/index.ts'
import { Board } from '../../core/state/board.ts'
import { meshAsStateMesh } from '../../core/state/mesh-adapter.ts'
import { MemoryStore } from '../../core/state/memory.ts'
import { releaseWebRTC } from '../../node-runtime/mesh/webrtc-release.ts'
import { startStateService, type StateService } from '../../node-runtime/state/service.ts'
import { launchChromium } from '../_support/chromium.ts'
import { cleanup, startCli, stopAll, type CliProcess } from '../_support/processes.ts'
import { waitFor } from '../_support/wait.ts'
import { seeded } from './_helpers.ts'

const DEADLINE = 90_000
const root = new URL('../..', import.meta.url).pathname

/**
 * Seeded edits inside a page, through the page's own board (exposed as `__novacronState`). Passed as
 * source text: the TypeScript loader would otherwise inject helpers the page does not have.
 */
const PAGE_EDITS = `(seed, n) => {
  const s = globalThis.__novacronState
  let a = seed >>> 0
  const r = () => { a = (a + 0x6D2B79F5) >>> 0; let t = a; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296 }
  const ids = []
  for (let i = 0; i < n; i++) {
    if (ids.length < 2 || r() < 0.4) ids.push(s.board.create({ title: 'tab edit ' + seed + '-' + i, priority: Math.floor(r() * 5) }).id)
    else if (r() < 0.7) s.board.update(ids[Math.floor(r() * ids.length)], { status: ['open', 'in_progress', 'blocked', 'closed'][Math.floor(r() * 4)], progress: Math.floor(r() * 101) })
    else s.board.comment(ids[Math.floor(r() * ids.length)], 'comment ' + i)
  }
}`

async function pageEdits (page: Page, seed: number, n: number): Promise<void> {
  await page.evaluate(`(${PAGE_EDITS})(${seed}, ${n})`)
}

async function pageSnapshot (page: Page): Promise<string> {
  return await page.evaluate('JSON.stringify({ issues: globalThis.__novacronState.board.readAll(), memory: globalThis.__novacronState.memory.list() })')
}

describe('state panels: 2 tabs and a Node peer', { timeout: 300_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'novacron-state-browser-'))
  let server: CliProcess
  let browser: Browser | undefined
  let mesh: MeshNode | undefined
  let service: StateService | undefined
  let node: { board: Board, memory: MemoryStore }
  const pages: Page[] = []

  before(async () => {
    server = startCli(['start', '--port', '0', '--ws-port', '0', '--host', '127.0.0.1', '--data-dir', join(dataDir, 'boot'), '--json'])
    await server.waitForOutput(/"event":"listening"/, DEADLINE)
    const listening = JSON.parse(server.stdout.split('\n').find(l => l.includes('"event":"listening"')) as string) as { url: string, multiaddrs: string[] }
    const bootAddr = listening.multiaddrs.find(a => a.includes('/ws/')) as string
    mesh = await createMeshNode({ bootstrap: [bootAddr] })
    await mesh.start()
    service = await startStateService({ dataDir: join(dataDir, 'node'), actor: mesh.peerId.toString(), mesh: meshAsStateMesh(mesh) })
    node = { board: new Board({ doc: service.doc, actor: 'node' }), memory: new MemoryStore({ doc: service.doc, actor: 'node' }) }
    browser = await launchChromium()
    for (let i = 0; i < 2; i++) {
      const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } })
      const page = await context.newPage()
      page.setDefaultTimeout(DEADLINE) // a loaded shared CPU makes 30 s click/reload waits too short
      page.on('pageerror', err => { console.error(`tab ${i}: ${err.message}`) })
      await page.goto(listening.url)
      await page.waitForSelector('[data-testid=board]', { timeout: DEADLINE })
      pages.push(page)
    }
  })

  after(async () => {
    await cleanup(
      async () => await browser?.close(),
      async () => await service?.stop(),
      async () => await mesh?.stop(),
      releaseWebRTC,
      stopAll,
      () => { rmSync(dataDir, { recursive: true, force: true }) }
    )
  })

  test('an issue created in a tab form reaches the other tab and the Node peer, and back', async () => {
    await pages[0].fill('[data-testid=new-title]', 'Made in tab 0')
    await pages[0].selectOption('[data-testid=new-priority]', '1')
    await pages[0].click('[data-testid=new-create]')
    const fromNode = node.board.create({ title: 'Made on the Node peer', type: 'bug', priority: 0 })
    await waitFor(() => node.board.list().some(i => i.title === 'Made in tab 0'), { timeout: DEADLINE, message: 'tab issue on the Node peer' })
    for (const page of pages) {
      await page.waitForSelector(`[data-testid=issue-${fromNode.id}]`, { timeout: DEADLINE })
      await waitFor(async () => (await page.textContent('[data-testid=column-open]'))?.includes('Made in tab 0'), { timeout: DEADLINE, message: 'tab issue in the open column' })
    }
    // memory: a value stored in tab 1's form shows up on the Node peer
    await pages[1].fill('[data-testid=mem-ns]', 'agents')
    await pages[1].fill('[data-testid=mem-key]', 'plan/step1')
    await pages[1].fill('[data-testid=mem-value]', '{"owner":"tab1"}')
    await pages[1].click('[data-testid=mem-store]')
    await waitFor(() => { try { return (node.memory.get('agents', 'plan/step1').value as { owner: string }).owner === 'tab1' } catch { return false } }, { timeout: DEADLINE, message: 'memory entry on the Node peer' })
  })

  test('seeded concurrent edits from both tabs and the Node peer converge everywhere', async () => {
    const r = seeded(77)
    const ids: string[] = []
    await Promise.all([
      pageEdits(pages[0], 1, 40),
      pageEdits(pages[1], 2, 40),
      (async () => {
        for (let i = 0; i < 40; i++) {
          if (ids.length < 2 || r() < 0.4) ids.push(node.board.create({ title: `node edit ${i}` }).id)
          else node.board.update(ids[Math.floor(r() * ids.length)], { progress: Math.floor(r() * 101) })
        }
      })()
    ])
    node.memory.store('default', 'from-node', [1, 2, 3])
    const nodeSnap = (): string => JSON.stringify({ issues: node.board.readAll(), memory: node.memory.list() })
    await waitFor(async () => {
      const snaps = await Promise.all(pages.map(pageSnapshot))
      return snaps.every(s => s === nodeSnap())
    }, { timeout: DEADLINE, interval: 500, message: 'two tabs and the Node peer to hold identical state' })
    assert.ok(node.board.list().length >= 30)
  })

  test('every tab shows who is online and what they look at', async () => {
    await pages[1].click(`[data-testid^=issue-] >> nth=0`)
    await pages[1].waitForSelector('[data-testid=issue-detail]')
    await waitFor(async () => {
      const who = await pages[0].$$eval('[data-testid=presence] .who', els => els.map(e => e.textContent ?? ''))
      return who.length >= 3 && who.some(t => t.includes('issue:')) && who.some(t => t.includes('headless'))
    }, { timeout: DEADLINE, message: 'presence of 2 tabs and the Node peer, tab 1 looking at an issue' })
  })

  test('a reloaded tab gets its state back from IndexedDB, then stays in sync', async () => {
    const before = node.board.list().length
    const held = await pages[1].evaluate('globalThis.__novacronState.provider.replica.log.size') as number
    assert.ok(held > 0)
    await pages[1].reload()
    await pages[1].waitForSelector('[data-testid=board]', { timeout: DEADLINE })
    const restored = await pages[1].evaluate('globalThis.__novacronState.restoredIssues')
    assert.equal(restored, before)
    // its signed entries came back from IndexedDB too: the tab relays what it held
    await waitFor(async () => await pages[1].evaluate('globalThis.__novacronState?.provider.replica.log.size') as number >= held, { timeout: DEADLINE, message: 'signed entries restored' })
    const late = node.board.create({ title: 'after the reload' })
    await pages[1].waitForSelector(`[data-testid=issue-${late.id}]`, { timeout: DEADLINE })
  })

  test('screenshot of the board and memory panels', async () => {
    const page = pages[0]
    await page.click('[data-testid=issue-' + node.board.list().find(i => i.title === 'Made on the Node peer')?.id + ']')
    await page.waitForSelector('[data-testid=issue-detail]')
    await page.fill('[data-testid=comment-text]', 'Reproduced on the Node peer too.')
    await page.click('[data-testid=comment-add]')
    await page.waitForSelector('[data-testid=comments] li')
    await page.click('[data-testid=link-add]') // depends-on the first other issue, through the form
    await waitFor(async () => (await page.textContent('[data-testid=deps]'))?.includes('blocked by'), { timeout: DEADLINE, message: 'dependency shown' })
    const board = await page.$('[data-testid=panel-board]')
    assert.ok(board != null)
    // NOVACRON_SCREENSHOTS=1 retakes the docs' pictures (a plain test run leaves docs/ alone)
    if (process.env.NOVACRON_SCREENSHOTS != null) {
      mkdirSync(join(root, 'docs/screenshots'), { recursive: true })
      // the page's sticky nav bar would be drawn over a scrolled-to panel's picture
      await page.addStyleTag({ content: '.nav { position: static }' })
      await board.screenshot({ path: join(root, 'docs/screenshots/state.png') })
      const memory = await page.$('[data-testid=panel-memory]')
      await memory?.screenshot({ path: join(root, 'docs/screenshots/state-memory.png') })
    }
  })
})
