/**
 * The Ledger panel (app/panels/ledger.ts + app/ledger/panel-view.ts) in real Chromium, driven by a
 * scripted ledger inside this unit test only (the live one is covered by the browser mesh test):
 * it shows epoch, height, replicas with the leader, who is waiting to join (pending joiner,
 * cooling off), rejected counts by reason and the last entries; peer data stays text (a summary holding markup creates no element); the note form
 * submits a `note` entry and shows its slot; a `commit` event adds the row.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { build } from 'esbuild'
import type { Browser, Page } from 'playwright-core'
import { launchChromium } from '../_support/chromium.ts'

const root = new URL('../..', import.meta.url).pathname
const ORIGIN = 'http://ledger-panel.test'

const ENTRY = `
import { mountLedgerPanel } from './app/panels/ledger.ts'
import './app/styles.css'
const enc = s => new TextEncoder().encode(s)
const ids = ['12D3KooWGenesisAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', '12D3KooWSecondBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB', '12D3KooWThirdCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC', '12D3KooWFourthDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD']
const entry = (slot, kind, summary, extra = {}) => ({ slot, index: 0, epoch: 2, kind, author: ids[slot % 4], data: enc('{}'), summary, committedAt: Date.now(), applied: true, ...extra })
const submitted = []
const target = new EventTarget()
let height = 11
globalThis.__admission = { coolingOff: [{ peerId: ids[3], removals: 2, until: 40 }] }
const ledger = Object.assign(target, {
  status: () => ({ meshId: 'novacron', epoch: 2, epochStart: 9, replicas: ids.map((p, i) => ({ peerId: p, index: i, since: i === 0 ? -1 : 3 + i })), f: 1, protocol: 'probft', sampleSize: 4, quorum: 3, replica: true, height, head: 'ab12'.repeat(16), leader: ids[1], latency: { p50: 84, p99: 310, samples: 40 }, decisionsPerSecond: 3.5, entriesPerSecond: 41.2, rejected: { notReplica: 3, badSignature: 1, wrongEpoch: 0 }, wire: { framesSent: 1, bytesSent: 1, framesReceived: 1, bytesReceived: 1 }, pending: 2, admission: globalThis.__admission }),
  log: async (from, limit) => [entry(8, 'join', 'join …Second'), entry(9, 'config', 'mesh.maxPeers = 6', { latencyMs: 120 }), entry(10, 'note', '<img src=x onerror="window.__pwned=1">hello'), entry(11, 'config', 'mesh.maxPeers = -1', { applied: false, refusal: 'ConfigValueError: out of range' })].filter(e => e.slot >= from).slice(0, limit),
  submit: async e => { submitted.push({ kind: e.kind, data: new TextDecoder().decode(e.data) }); height = 12; const c = entry(12, e.kind, 'note from the form', { latencyMs: 97 }); target.dispatchEvent(new CustomEvent('commit', { detail: { height: 12, epoch: 2, entries: [c] } })); return c },
  verify: async () => ({ height, head: '', blocks: height + 1 }),
  config: () => undefined
})
globalThis.__submitted = submitted
globalThis.__mount = async () => {
  const card = document.createElement('section'); card.className = 'card'; card.style.maxWidth = '1100px'; card.style.margin = '1rem'
  const title = document.createElement('h2'); title.textContent = 'Ledger'
  const body = document.createElement('div'); card.append(title, body); document.body.append(card)
  await mountLedgerPanel(body, ledger, ids[2])
  return 'ok'
}
`

describe('Ledger panel with a scripted ledger (Chromium)', { timeout: 120_000 }, () => {
  let browser: Browser | undefined
  let page: Page

  before(async () => {
    const out = await build({ stdin: { contents: ENTRY, resolveDir: root, loader: 'ts' }, bundle: true, format: 'iife', write: false, outdir: '/virtual', platform: 'browser', target: 'es2022' })
    const js = out.outputFiles.find(f => f.path.endsWith('.js'))?.text ?? ''
    const css = out.outputFiles.find(f => f.path.endsWith('.css'))?.text ?? ''
    browser = await launchChromium()
    page = await browser.newPage({ viewport: { width: 1150, height: 800 } })
    page.setDefaultTimeout(60_000)
    await page.route(`${ORIGIN}/**`, async route => {
      const path = new URL(route.request().url()).pathname
      if (path === '/panel.js') await route.fulfill({ contentType: 'text/javascript', body: js })
      else if (path === '/panel.css') await route.fulfill({ contentType: 'text/css', body: css })
      else await route.fulfill({ contentType: 'text/html', body: '<!doctype html><link rel="stylesheet" href="/panel.css"><body></body><script src="/panel.js"></script>' })
    })
    await page.goto(`${ORIGIN}/`)
    assert.equal(await page.evaluate('globalThis.__mount()'), 'ok')
  })
  after(async () => { await browser?.close() })

  test('shows epoch, height, replicas with since and leader, rejected by reason, last entries', async () => {
    assert.equal(await page.textContent('[data-testid=ledger-epoch]'), '2 (from slot 9)')
    assert.equal(await page.textContent('[data-testid=ledger-height]'), '11')
    assert.equal(await page.textContent('[data-testid=ledger-latency]'), '84 ms / 310 ms')
    assert.equal(await page.locator('[data-testid=ledger-replicas] tbody tr').count(), 4)
    const leaderRow = await page.textContent('[data-testid=ledger-replicas] tr:has(.ledger-leader)')
    assert.match(leaderRow ?? '', /Second|BBBB/)
    assert.match(await page.textContent('[data-testid=ledger-replicas]') ?? '', /genesis[\s\S]*slot 4[\s\S]*\(this tab\)/)
    const rejected = await page.textContent('[data-testid=ledger-rejected]')
    assert.match(rejected ?? '', /badSignature 1/)
    assert.match(rejected ?? '', /notReplica 3/)
    assert.doesNotMatch(rejected ?? '', /wrongEpoch/)
    assert.equal(await page.locator('[data-testid=ledger-entries] tbody tr').count(), 4)
    assert.match(await page.textContent('[data-testid=ledger-entries] tr[data-slot="11"]') ?? '', /refused: ConfigValueError/)
  })

  test('shows who is waiting to join: peers cooling off, and the pending joiner once there is one', async () => {
    const fourth = '12D3KooWFourthDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD'
    const third = '12D3KooWThirdCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC'
    assert.equal(await page.locator('[data-testid=ledger-admission] li').count(), 1)
    assert.match(await page.textContent(`[data-testid=ledger-admission] li[data-peer="${fourth}"]`) ?? '', /^…D+: cooling off, may join from slot 40 \(removed 2 times\)$/)
    // the status is read again on every render (once a second): a pending joiner appears without an event
    await page.evaluate(`globalThis.__admission.pendingJoiner = '${third}'`)
    await page.waitForSelector(`[data-testid=ledger-admission] li[data-peer="${third}"]`)
    assert.match(await page.textContent(`[data-testid=ledger-admission] li[data-peer="${third}"]`) ?? '', /^…C+ \(this tab\): join pending, admitted with the next joiner$/)
    await page.evaluate('globalThis.__admission = { coolingOff: [] }')
    await page.waitForSelector('[data-testid=ledger-admission]:has-text("No joiner waiting; nobody cooling off.")')
    await page.evaluate(`globalThis.__admission = { coolingOff: [{ peerId: '${fourth}', removals: 2, until: 40 }] }`)
    await page.waitForSelector(`[data-testid=ledger-admission] li[data-peer="${fourth}"]`)
  })

  test('peer data is text: a summary holding markup creates no element and runs nothing', async () => {
    assert.match(await page.textContent('[data-testid=ledger-entries] tr[data-slot="10"]') ?? '', /<img src=x onerror=/)
    assert.equal(await page.locator('[data-testid=ledger-entries] img').count(), 0)
    assert.equal(await page.evaluate('globalThis.__pwned ?? 0'), 0)
  })

  test('the note form submits a note entry, shows its slot, and the commit event adds the row', async () => {
    await page.fill('[data-testid=ledger-note]', 'hello <b>mesh</b>')
    await page.click('[data-testid=ledger-submit]')
    await page.waitForSelector('[data-testid=ledger-submit-result]')
    assert.equal(await page.textContent('[data-testid=ledger-submit-result]'), 'Committed at slot 12 in 97 ms.')
    assert.deepEqual(await page.evaluate('globalThis.__submitted'), [{ kind: 'note', data: '{"text":"hello <b>mesh</b>"}' }])
    assert.equal(await page.locator('[data-testid=ledger-entries] tr[data-slot="12"]').count(), 1)
    assert.equal(await page.textContent('[data-testid=ledger-height]'), '12')
    if (process.env.LEDGER_PANEL_SHOT != null) await page.screenshot({ path: process.env.LEDGER_PANEL_SHOT, fullPage: true })
  })
})
