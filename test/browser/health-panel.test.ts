/**
 * The Health panel in a real Chromium tab: `novacron start` serves the built app, the tab joins,
 * and its Health panel (app/panels/health.ts) shows the tab's live metrics — its WebSocket link to
 * the bootstrap, the bootstrap's gossipsub score — from the same registry a Node peer serves at
 * /metrics, which the bootstrap serves on its HTTP port (checked here too).
 */
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import type { Browser } from 'playwright-core'
import { launchChromium } from '../_support/chromium.ts'
import { startCli, stopAll } from '../_support/processes.ts'
import { waitFor } from '../_support/wait.ts'

let browser: Browser | undefined
after(async () => {
  await browser?.close()
  await stopAll()
})

test('the Health panel shows the tab\'s live connection, stream and score metrics; the bootstrap serves /metrics', async () => {
  const boot = startCli(['start', '--port', '0', '--ws-port', '0', '--json'])
  await boot.waitForOutput(/"event":"listening"/, 90_000)
  const ev = JSON.parse(boot.stdout.split('\n').find(l => l.includes('"event":"listening"')) ?? '{}') as { url: string, metricsUrl: string }
  const text = await (await fetch(ev.metricsUrl)).text()
  assert.match(text, /# TYPE novacron_connections gauge/)
  assert.match(text, /# TYPE novacron_rejected_messages_total counter/)
  assert.match(text, /novacron_process_resident_memory_bytes \d+/)

  browser = await launchChromium()
  const page = await browser.newPage()
  await page.goto(ev.url)
  const value = async (metric: string, labels: string): Promise<number | undefined> => {
    const rows = await page.$$eval(`[data-testid=health-table] tr[data-metric="${metric}"]`, els => els.map(e => [...e.querySelectorAll('td')].map(td => td.textContent ?? '')))
    const row = rows.find(r => r[1] === labels)
    return row == null ? undefined : Number(row[2])
  }
  await waitFor(async () => (await value('novacron_connections', 'websocket') ?? 0) >= 1, { timeout: 90_000, message: 'the Health panel to show the WebSocket link' })
  await waitFor(async () => (await value('novacron_streams_open', '/meshsub/1.2.0') ?? 0) >= 1, { timeout: 60_000, message: 'the gossipsub stream in the Health panel' })
  const rowNames = await page.$$eval('[data-testid=health-table] tr[data-metric]', els => [...new Set(els.map(e => e.getAttribute('data-metric')))])
  for (const name of ['novacron_rejected_messages_total', 'novacron_peer_disconnects_total', 'novacron_peer_score', 'novacron_data_channels_open']) {
    assert.ok(rowNames.includes(name), `${name} shown (${rowNames.join(', ')})`)
  }
})
