/**
 * The tab's runner (app/jobs, Web Workers) in real Chromium, bundled by Vite: the clang-built
 * Mandelbrot tile equals the native build's bytes, and the hostile modules fail with the same
 * typed errors as in Node (loop → JobTimeoutError, memory bomb → JobMemoryError, trap →
 * JobTrapError, bad bytes → InvalidModuleError, unknown import → UnsupportedImportError) while the
 * page keeps running tasks.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import type { Browser } from 'playwright-core'
import { build } from 'vite'
import { launchChromium } from '../_support/chromium.ts'
import { serveDir } from '../learning/_static.ts'
import { buildModule, FD_WRITE, helloModule, loopModule, memoryBombModule, trapModule } from '../_support/wasm-builder.ts'
import { examplePath, exampleWasm } from './_examples.ts'

const root = new URL('../..', import.meta.url).pathname
let browser: Browser | undefined
let server: { url: string, close: () => Promise<void> } | undefined
const dir = mkdtempSync(join(tmpdir(), 'novacron-jobs-browser-'))
after(async () => {
  await browser?.close()
  await server?.close()
  rmSync(dir, { recursive: true, force: true })
})

interface PageResult { ok: boolean, name?: string, message?: string, exitCode?: number, stdout?: number[] }

test('tasks in Web Workers: native-equal output, typed errors, the page unaffected', async () => {
  writeFileSync(join(dir, 'entry.ts'), [
    `import { createBrowserTaskRunner } from '${root}app/jobs/runner.ts'`,
    'const runner = createBrowserTaskRunner({ capacity: 2 })',
    'async function run (module: number[], task: { args?: string[] }, limits: Record<string, number>) {',
    '  try {',
    '    const out = await runner.run(new Uint8Array(module), task, limits)',
    '    return { ok: true, exitCode: out.exitCode, stdout: Array.from(out.stdout) }',
    '  } catch (e) { return { ok: false, name: (e as Error).name, message: (e as Error).message } }',
    '}',
    '(globalThis as any).runTask = run'
  ].join('\n'))
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>jobs</title><script type="module" src="./entry.ts"></script>')
  await build({ configFile: false, root: dir, base: './', logLevel: 'silent', build: { outDir: join(dir, 'dist'), target: 'es2022', minify: false } })
  server = await serveDir(join(dir, 'dist'))
  browser = await launchChromium()
  const page = await browser.newPage()
  const errors: string[] = []
  page.on('pageerror', e => errors.push(e.message))
  await page.goto(server.url)
  await page.waitForFunction(() => 'runTask' in globalThis, undefined, { timeout: 60_000 })
  const run = async (module: Uint8Array, task: { args?: string[] } = {}, limits: Record<string, number> = {}): Promise<PageResult> =>
    await page.evaluate(async ([m, t, l]) => await (globalThis as unknown as { runTask: (...a: unknown[]) => Promise<PageResult> }).runTask(m, t, l), [Array.from(module), task, limits] as const)

  const args = ['200', '150', '20', '30', '80', '60', '200']
  const want = spawnSync(examplePath('mandelbrot', 'native'), args).stdout
  const looping = run(loopModule(), {}, { timeoutMs: 2000 })
  const tile = await run(exampleWasm('mandelbrot'), { args })
  assert.equal(tile.ok, true, tile.message)
  assert.deepEqual(Buffer.from(tile.stdout ?? []), want)

  const expectFail = (r: PageResult, name: string): void => { assert.equal(r.ok, false); assert.equal(r.name, name, r.message) }
  expectFail(await looping, 'JobTimeoutError')
  expectFail(await run(memoryBombModule(), {}, { memoryBytes: 8 << 20 }), 'JobMemoryError')
  expectFail(await run(trapModule()), 'JobTrapError')
  expectFail(await run(new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 8])), 'InvalidModuleError')
  expectFail(await run(buildModule({ imports: [FD_WRITE, { module: 'env', name: 'fetch', params: 1, results: 1 }], memory: { min: 1 }, body: [] })), 'UnsupportedImportError')
  const hello = await run(helloModule('tab alive\n', 4))
  assert.equal(hello.exitCode, 4)
  assert.equal(Buffer.from(hello.stdout ?? []).toString(), 'tab alive\n')
  assert.deepEqual(errors, [])
})
