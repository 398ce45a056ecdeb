/**
 * The one loader, unchanged, in a browser: Vite bundles core-wasm/index.ts into an ES module, real
 * Chromium runs it, and the page's results must equal Node's byte for byte (the same LZ4 frame, the
 * same quorum, the same chunk ids) — so both peers of the mesh speak identical formats.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import type { Browser } from 'playwright-core'
import { build } from 'vite'
import { chunkData, compressFrame, initCoreWasm, solveQuorum } from '../../core-wasm/index.ts'
import { launchChromium } from '../_support/chromium.ts'

const root = new URL('../..', import.meta.url).pathname
let browser: Browser | undefined
let dir = ''

before(async () => { await initCoreWasm() })
after(async () => {
  await browser?.close()
  if (dir !== '') rmSync(dir, { recursive: true, force: true })
})

/** What the page computes, and Node recomputes. */
const SAMPLE = 'quorum replica commit prepare view leader '.repeat(400)

test('the Vite-bundled loader in Chromium matches Node byte for byte', async () => {
  dir = mkdtempSync(join(tmpdir(), 'novacron-wasm-browser-'))
  const entry = join(dir, 'entry.ts')
  writeFileSync(entry, [
    `import { initCoreWasm, compressFrame, decompressFrame, solveQuorum, chunkData } from '${root}core-wasm/index.ts'`,
    'export async function run (text: string) {',
    '  await initCoreWasm()',
    '  const data = new TextEncoder().encode(text)',
    '  const frame = compressFrame(data, { level: 9 })',
    '  const back = new TextDecoder().decode(decompressFrame(frame))',
    '  const q = solveQuorum({ n: 1000, f: 100, sampleSize: 506, targetFailure: 1e-6 })',
    '  return { frame: Array.from(frame), roundTrip: back === text, q: q.q, safety: q.logSafetyFailure, chunks: chunkData(data, { min: 256, avg: 1024, max: 4096 }).map(c => c.hash) }',
    '}'
  ].join('\n'))
  const out = await build({
    configFile: false,
    root: dir,
    logLevel: 'silent',
    build: { write: false, minify: false, lib: { entry, formats: ['es'], fileName: 'bundle' } }
  })
  const outputs = (Array.isArray(out) ? out : [out]) as Array<{ output: Array<{ type: string, code?: string }> }>
  const code = outputs[0].output.find(o => o.type === 'chunk')?.code
  assert.ok(code != null && code.length > 10_000, 'vite produced no bundle')
  assert.doesNotMatch(code, /from\s*["']node:/, 'the bundle must not import Node built-ins')

  browser = await launchChromium()
  const page = await browser.newPage()
  const errors: string[] = []
  page.on('pageerror', e => errors.push(e.message))
  await page.setContent('<!doctype html><title>core-wasm</title>')
  const moduleUrl = `data:text/javascript;base64,${Buffer.from(code).toString('base64')}`
  const result = await page.evaluate(async ([url, text]) => {
    const mod = await import(url) as { run: (t: string) => Promise<unknown> }
    return await mod.run(text)
  }, [moduleUrl, SAMPLE] as const) as { frame: number[], roundTrip: boolean, q: number, safety: number, chunks: string[] }
  assert.deepEqual(errors, [])

  const data = new TextEncoder().encode(SAMPLE)
  assert.equal(result.roundTrip, true)
  assert.deepEqual(Buffer.from(result.frame), Buffer.from(compressFrame(data, { level: 9 })))
  const node = solveQuorum({ n: 1000, f: 100, sampleSize: 506, targetFailure: 1e-6 })
  assert.equal(result.q, node.q)
  assert.equal(result.safety, node.logSafetyFailure)
  assert.deepEqual(result.chunks, chunkData(data, { min: 256, avg: 1024, max: 4096 }).map(c => c.hash))
})
