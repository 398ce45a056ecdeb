/**
 * The browser mesh end to end: `novacron start` (bootstrap + relay + the built app), two headless
 * `novacron peer`s and three Chromium tabs, each in its own browser context (own storage, so own
 * identity). Checks: every tab lists the other four peers over direct WebRTC, sees the whole
 * mesh in its topology picture, gets broadcasts; a closed tab disappears; a reloaded tab keeps its
 * peer id; and with the bootstrap stopped the tabs keep talking over their direct links, then
 * reconnect when it returns. Everything is asserted on what the pages show (data-testid
 * attributes) and on the Node peers' `--json` events; every wait polls with a deadline.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { launchChromium, openTab } from '../_support/chromium.ts'
import { startCli, stopAll, type CliProcess } from '../_support/processes.ts'
import { waitFor } from '../_support/wait.ts'

const DEADLINE = 90_000

interface CliEvent { event: string, peerId?: string, transport?: string, from?: string, text?: string, multiaddrs?: string[], url?: string }

function events (p: CliProcess): CliEvent[] {
  return p.stdout.split('\n').filter(l => l.startsWith('{')).flatMap(l => {
    try { return [JSON.parse(l) as CliEvent] } catch { return [] }
  })
}

/** A port that is free now (the bootstrap is restarted on the same ports, so they are chosen up front). */
async function freePort (): Promise<number> {
  const srv = createServer()
  await new Promise<void>(resolve => srv.listen(0, '127.0.0.1', resolve))
  const { port } = srv.address() as { port: number }
  await new Promise(resolve => srv.close(resolve))
  return port
}

async function listening (p: CliProcess): Promise<{ peerId: string, multiaddrs: string[], url?: string }> {
  await p.waitForOutput(/"event":"listening"/, DEADLINE)
  const ev = events(p).find(e => e.event === 'listening')
  assert.ok(ev?.peerId != null && ev.multiaddrs != null, 'listening event has peerId and multiaddrs')
  return { peerId: ev.peerId, multiaddrs: ev.multiaddrs, ...(ev.url != null ? { url: ev.url } : {}) }
}

/** The rows of a page's peer table: peer id -> transport. */
async function peerRows (page: Page): Promise<Map<string, string>> {
  const rows = await page.$$eval('[data-testid=peer-row]', els => els.map(e => [(e as HTMLElement).dataset.peerId ?? '', (e as HTMLElement).dataset.transport ?? '']))
  return new Map(rows as Array<[string, string]>)
}

async function selfId (page: Page): Promise<string> {
  return (await waitFor(async () => await page.textContent('[data-testid=self-peer-id]'), { timeout: DEADLINE, message: 'own peer id on the page' })).trim()
}

/** Waits until `page` shows every id in `ids` as a direct WebRTC peer. */
async function waitForWebrtcPeers (page: Page, ids: string[], label: string): Promise<void> {
  await waitFor(async () => {
    const rows = await peerRows(page)
    if (ids.every(id => rows.get(id) === 'webrtc')) return true
    // thrown, not returned: a timeout then reports what the page showed last
    const status = await page.getAttribute('[data-testid=status]', 'data-status')
    throw new Error(`status ${status}; missing ${ids.filter(id => rows.get(id) !== 'webrtc').map(id => `${id.slice(-8)}=${rows.get(id) ?? 'absent'}`).join(', ')}`)
  }, { timeout: DEADLINE, interval: 250, message: `${label} to list ${ids.length} WebRTC peers` })
}

describe('browser mesh: 3 tabs and 2 Node peers', { timeout: 300_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'novacron-mesh-browser-'))
  let browser: Browser | undefined
  let url = ''
  let startArgs: string[] = []
  let server: CliProcess | undefined
  let bootId = ''
  let nodes: CliProcess[] = []
  let nodeIds: string[] = []
  const pages: Page[] = []
  const tabIds: string[] = []

  before(async () => {
    // free ports, never the default one a developer's `npm start` may hold; fixed for the run so the
    // bootstrap can be restarted where the tabs expect it
    const port = await freePort()
    let wsPort = await freePort()
    while (wsPort === port) wsPort = await freePort()
    startArgs = ['start', '--port', String(port), '--ws-port', String(wsPort), '--host', '127.0.0.1', '--data-dir', join(dataDir, 'boot'), '--json']
    server = startCli(startArgs)
    const boot = await listening(server)
    bootId = boot.peerId
    assert.match(boot.url ?? '', /^http:\/\/127\.0\.0\.1:\d+\/$/)
    url = boot.url ?? ''
    const bootAddr = boot.multiaddrs.find(a => a.includes('/ws/'))
    assert.ok(bootAddr != null, `bootstrap has a WebSockets address: ${boot.multiaddrs.join(' ')}`)
    nodes = [0, 1].map(i => startCli(['peer', '--bootstrap', bootAddr, '--data-dir', join(dataDir, `peer${i}`), '--json']))
    nodeIds = (await Promise.all(nodes.map(listening))).map(l => l.peerId)
    browser = await launchChromium()
    for (let i = 0; i < 3; i++) {
      const page = await openTab(browser, url, { name: `tab ${i}`, timeout: DEADLINE })
      pages.push(page)
      tabIds.push(await selfId(page))
    }
  })

  after(async () => {
    // every process is stopped even when closing the browser throws
    try {
      await browser?.close()
    } finally {
      await stopAll()
      rmSync(dataDir, { recursive: true, force: true })
    }
  })

  test('each tab lists the other 4 peers, tab<->tab and tab<->Node over direct WebRTC', async () => {
    assert.equal(new Set(tabIds).size, 3, 'three contexts, three identities')
    for (const page of pages) assert.equal(await page.getAttribute('[data-testid=identity-origin]', 'data-origin'), 'new')
    await Promise.all(pages.map(async (page, i) => {
      const others = [...tabIds.filter((_, j) => j !== i), ...nodeIds]
      await waitForWebrtcPeers(page, others, `tab ${i}`)
      const rows = await peerRows(page)
      assert.equal(rows.get(bootId), 'websocket', `tab ${i} reaches the bootstrap over WebSocket`)
      assert.equal(await page.getAttribute('[data-testid=status]', 'data-status'), 'connected')
    }))
    // the Node side sees the same links as WebRTC
    for (const [i, node] of nodes.entries()) {
      await waitFor(() => tabIds.every(id => events(node).some(e => e.event === 'peer:connect' && e.peerId === id && e.transport === 'webrtc')),
        { timeout: DEADLINE, message: `node ${i} to report WebRTC links to every tab` })
    }
  })

  test('the topology picture shows the whole mesh', async () => {
    for (const [i, page] of pages.entries()) {
      await waitFor(async () => {
        const ids = await page.$$eval('[data-testid=topology-node]', els => els.map(e => (e as SVGElement).dataset.peerId))
        return [bootId, ...nodeIds, ...tabIds].every(id => ids.includes(id))
      }, { timeout: DEADLINE, interval: 250, message: `tab ${i}'s topology to show all 6 peers` })
    }
  })

  test('a broadcast from one tab reaches every other tab and the Node peers', async () => {
    const text = `hello from tab 0 (${Date.now()})`
    await pages[0].fill('[data-testid=broadcast-input]', text)
    await pages[0].click('[data-testid=broadcast-send]')
    for (const [i, page] of pages.entries()) {
      await waitFor(async () => {
        const items = await page.$$eval('[data-testid=broadcast-item]', els => els.map(e => [(e as HTMLElement).dataset.from, e.querySelector('.text')?.textContent]))
        return items.some(([from, t]) => from === tabIds[0] && t === text)
      }, { timeout: DEADLINE, interval: 200, message: `tab ${i} to show the broadcast` })
    }
    for (const [i, node] of nodes.entries()) {
      await waitFor(() => events(node).some(e => e.event === 'broadcast' && e.from === tabIds[0] && e.text === text),
        { timeout: DEADLINE, message: `node ${i} to receive the broadcast` })
    }
  })

  test('closing a tab is reflected in the other tabs', async () => {
    const closed = tabIds[2]
    await pages[2].context().close()
    for (const i of [0, 1]) {
      await waitFor(async () => {
        const rows = await peerRows(pages[i])
        const inPicture = await pages[i].$(`[data-testid=topology-node][data-peer-id="${closed}"]`)
        return !rows.has(closed) && inPicture == null
      }, { timeout: DEADLINE, interval: 250, message: `tab ${i} to drop the closed tab` })
    }
  })

  test('a reloaded tab keeps its identity and rejoins', async (t) => {
    const id = tabIds[1]
    const seen = nodes.map(n => events(n).length)
    await pages[1].reload()
    await waitFor(async () => await pages[1].getAttribute('[data-testid=identity-origin]', 'data-origin') === 'tab', { timeout: DEADLINE, message: 'the tab\'s own identity taken back' })
    assert.equal(await selfId(pages[1]), id)
    // it is a working peer again: the page shows a direct link, and a Node peer sees the same id reconnect over WebRTC
    await waitFor(async () => [...(await peerRows(pages[1])).values()].includes('webrtc'), { timeout: DEADLINE, interval: 250, message: 'a WebRTC link after the reload' })
    await waitFor(() => nodes.some((n, i) => events(n).slice(seen[i]).some(e => e.event === 'peer:connect' && e.peerId === id && e.transport === 'webrtc')),
      { timeout: DEADLINE, message: 'a Node peer to see the reloaded tab reconnect over WebRTC' })
    // rejoined means linked again to every other peer, from both ends (the next test needs it:
    // without the bootstrap no new link can form). Each peer still holds the old page's link when
    // the new one dials in: the duplicate-link guard pings it, finds it dead and lets the new one in.
    const reloadedAt = Date.now()
    await waitForWebrtcPeers(pages[1], [tabIds[0], ...nodeIds], 'the reloaded tab')
    await waitForWebrtcPeers(pages[0], [id, ...nodeIds], 'tab 0 after the reload')
    t.diagnostic(`the reloaded tab linked to every other peer ${Date.now() - reloadedAt} ms after its first WebRTC link`)
  })

  test('without the bootstrap, tabs keep their direct links and still broadcast; they reconnect when it returns', async () => {
    await server?.stop()
    for (const i of [0, 1]) {
      await waitFor(async () => await pages[i].getAttribute('[data-testid=status]', 'data-status') === 'bootstrap-lost',
        { timeout: DEADLINE, interval: 250, message: `tab ${i} to report the lost bootstrap` })
    }
    // the relay only signalled: with it gone, the direct links carry the mesh
    await waitForWebrtcPeers(pages[0], [tabIds[1], ...nodeIds], 'tab 0 without the bootstrap')
    const text = `still here without the relay (${Date.now()})`
    await pages[1].fill('[data-testid=broadcast-input]', text)
    await pages[1].click('[data-testid=broadcast-send]')
    await waitFor(async () => (await pages[0].$$eval('[data-testid=broadcast-item] .text', els => els.map(e => e.textContent))).includes(text),
      { timeout: DEADLINE, interval: 200, message: 'tab 0 to show the broadcast sent without the bootstrap' })
    for (const [i, node] of nodes.entries()) {
      await waitFor(() => events(node).some(e => e.event === 'broadcast' && e.from === tabIds[1] && e.text === text),
        { timeout: DEADLINE, message: `node ${i} to receive the broadcast sent without the bootstrap` })
    }
    // same identity (--data-dir) and ports: the tabs' re-dial with backoff finds it again
    server = startCli(startArgs)
    assert.equal((await listening(server)).peerId, bootId)
    for (const i of [0, 1]) {
      await waitFor(async () => await pages[i].getAttribute('[data-testid=status]', 'data-status') === 'connected',
        { timeout: DEADLINE, interval: 250, message: `tab ${i} to reconnect to the restarted bootstrap` })
    }
  })
})
