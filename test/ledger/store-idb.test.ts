/**
 * The IndexedDB ledger store (app/ledger/idb-store.ts) against the shared store contract
 * (_store-contract.ts), inside real Chromium: the contract and the store are bundled with esbuild
 * and served on a routed origin (no port), and every case runs in the page on its own database.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { build } from 'esbuild'
import type { Browser, Page } from 'playwright-core'
import { launchChromium } from '../_support/chromium.ts'
import { storeCases } from './_store-contract.ts'

const root = new URL('../..', import.meta.url).pathname
const ORIGIN = 'http://ledger-store.test'

const ENTRY = `
import { openIdbStore, openIdbDatabase } from './app/ledger/idb-store.ts'
import { storeCases } from './test/ledger/_store-contract.ts'
let n = 0
globalThis.__runCase = async (name) => {
  const c = storeCases.find(c => c.name === name)
  if (c == null) throw new Error('no case ' + name)
  const db = 'contract-' + (n++)
  await c.run({
    open: () => openIdbStore(db),
    tamper: async (height, mutate) => {
      const raw = await openIdbDatabase(db)
      const get = raw.transaction('blocks').objectStore('blocks').get(height)
      const value = await new Promise((res, rej) => { get.onsuccess = () => res(get.result); get.onerror = () => rej(get.error) })
      const tx = raw.transaction('blocks', 'readwrite')
      tx.objectStore('blocks').put(mutate(value), height)
      await new Promise((res, rej) => { tx.oncomplete = res; tx.onerror = () => rej(tx.error) })
      raw.close()
    }
  })
  return 'ok'
}
`

describe('IndexedDB ledger store in Chromium: the store contract', { timeout: 180_000 }, () => {
  let browser: Browser | undefined
  let page: Page

  before(async () => {
    const out = await build({ stdin: { contents: ENTRY, resolveDir: root, loader: 'ts' }, bundle: true, format: 'iife', write: false, platform: 'browser', target: 'es2022' })
    const script = out.outputFiles[0].text
    browser = await launchChromium()
    page = await browser.newPage()
    page.setDefaultTimeout(60_000)
    await page.route(`${ORIGIN}/**`, async route => {
      const url = new URL(route.request().url())
      if (url.pathname === '/store.js') await route.fulfill({ contentType: 'text/javascript', body: script })
      else await route.fulfill({ contentType: 'text/html', body: '<!doctype html><script src="/store.js"></script>' })
    })
    await page.goto(`${ORIGIN}/`)
    await page.waitForFunction('typeof globalThis.__runCase === "function"')
  })
  after(async () => { await browser?.close() })

  for (const c of storeCases) {
    test(c.name, async () => {
      assert.equal(await page.evaluate(async name => await (globalThis as unknown as { __runCase: (n: string) => Promise<string> }).__runCase(name), c.name), 'ok')
    })
  }
})
