/**
 * Real Chromium (launchChromium({ webgpu: true }): SwiftShader's software WebGPU adapter headless)
 * trains the engine's MLP for a few SGD steps on the `webgpu` backend; the weights must match the
 * same steps on the browser's `cpu` backend and on Node's `wasm` backend within tolerance.
 * Then the learning panel (mounted alone on a test page) trains a few rounds in the tab on webgpu
 * and shows its chart and per-round bytes. The test pages are built with vite's programmatic API
 * into a temp dir and served from 127.0.0.1; MNIST comes from the `mnist` package's files, bundled
 * as assets by that build. NOVACRON_SCREENSHOTS=1 saves docs/screenshots/learning.png.
 */
import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { balancedSample, createRng, initParams, Trainer } from '../../core/learning/index.ts'
import { launchChromium } from '../_support/chromium.ts'
import { waitFor } from '../_support/wait.ts'
import { smallMnist } from './_mnist.ts'
import type { TrainPayload, TrainResult } from './browser/entry.ts'
import { buildAndServePages, type LearningPages } from './_page.ts'

const here = new URL('.', import.meta.url).pathname
let server: LearningPages | null = null
let browser: Browser | null = null
let page: Page

before(async () => {
  server = await buildAndServePages()
  browser = await launchChromium({ webgpu: true })
  page = await browser.newPage()
  await page.goto(server.url)
  await waitFor(async () => await page.evaluate(() => window.__learning != null), { timeout: 60_000, message: 'test page ready' })
})

after(async () => {
  await browser?.close()
  await server?.close()
})

test('webgpu training matches cpu (browser) and wasm (Node) within tolerance', async () => {
  const hidden = 16
  const { train } = await smallMnist(10, 1)
  const slice = balancedSample(train, 4, createRng(9))
  const init = initParams({ kind: 'mlp', inputDim: 784, classes: 10, hidden }, createRng(5))
  const payload: TrainPayload = { x: Array.from(slice.x), y: Array.from(slice.y), n: slice.n, init: Array.from(init), hidden, steps: 4, batchSize: 10, seed: 3 }
  const run = async (backend: 'webgpu' | 'cpu'): Promise<TrainResult> => await page.evaluate(async ([b, p]) => await window.__learning!.train(b, p), [backend, payload] as const)
  const gpu = await run('webgpu')
  assert.equal(gpu.backend, 'webgpu')
  assert.equal(gpu.steps, 4)
  const cpu = await run('cpu')
  assert.equal(cpu.backend, 'cpu')

  // the same steps in Node on wasm (smallMnist set the wasm backend up)
  const trainer = new Trainer({ kind: 'mlp', inputDim: 784, classes: 10, hidden }, init)
  await trainer.train(slice, { epochs: 1, batchSize: 10, learningRate: 0.1, maxSteps: 4 }, createRng(3))
  const node = await trainer.getWeights()
  trainer.dispose()

  const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => { let m = 0; for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i])); return m }
  const moved = maxDiff(node, init)
  assert.ok(moved > 1e-3, `training moved the weights (${moved})`)
  assert.ok(maxDiff(gpu.weights, node) < 1e-5, `webgpu vs node wasm: ${maxDiff(gpu.weights, node)}`)
  assert.ok(maxDiff(cpu.weights, node) < 1e-5, `browser cpu vs node wasm: ${maxDiff(cpu.weights, node)}`)
  assert.ok(Math.abs(gpu.loss - cpu.loss) < 1e-5)
  // every parameter group moved on the GPU (a stale readback once returned the initial biases)
  let off = 0
  for (const n of [784 * hidden, hidden, hidden * 10, 10]) {
    assert.ok(maxDiff(gpu.weights.slice(off, off + n), Array.from(init.slice(off, off + n))) > 1e-4, `group at ${off} did not move`)
    off += n
  }
})

test('learning panel trains in the tab on webgpu with a live chart and bytes per round', async () => {
  const panel = await browser!.newPage({ viewport: { width: 860, height: 820 } })
  try {
    await panel.goto(`${server!.url}panel.html`)
    await waitFor(async () => await panel.evaluate(() => document.body.dataset.mounted === 'true'), { timeout: 60_000, message: 'panel mounted' })
    const backend = panel.getByTestId('learning-backend')
    assert.equal(await backend.getAttribute('data-backend'), 'webgpu')
    assert.match(await backend.innerText(), /webgpu/)
    const rounds = process.env.NOVACRON_SCREENSHOTS != null ? 8 : 3
    await panel.getByTestId('learning-rounds').fill(String(rounds))
    await panel.getByTestId('learning-start').click()
    const status = panel.getByTestId('learning-status')
    await waitFor(async () => await status.getAttribute('data-done') === 'true' || /failed/.test(await status.innerText()), { timeout: 240_000, message: 'panel training done' })
    assert.match(await status.innerText(), /^Done on webgpu: accuracy \d+/)
    assert.equal(await panel.getByTestId('learning-rounds-table').locator('tr').count(), rounds + 1)
    // the chart drew something: some non-background pixels on the canvas
    const inked = await panel.evaluate(() => {
      const c = document.querySelector('canvas')
      const d = c?.getContext('2d')?.getImageData(0, 0, c.width, c.height).data
      let n = 0
      if (d != null) for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++
      return n
    })
    assert.ok(inked > 500, `chart pixels ${inked}`)
    if (process.env.NOVACRON_SCREENSHOTS != null) {
      const dir = join(here, '../../docs/screenshots')
      mkdirSync(dir, { recursive: true })
      await panel.getByTestId('panel-learning').screenshot({ path: join(dir, 'learning.png') })
    }
  } finally {
    await panel.close()
  }
})
