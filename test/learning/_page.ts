/**
 * Builds the learning test pages (test/learning/browser/*.html) with vite's programmatic API into a
 * temp dir and serves them from 127.0.0.1 — shared by the browser test and the learning bench.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build } from 'vite'
import { serveDir } from './_static.ts'

const pages = new URL('./browser/', import.meta.url).pathname

export interface LearningPages { url: string, close: () => Promise<void> }

export async function buildAndServePages (): Promise<LearningPages> {
  const outDir = mkdtempSync(join(tmpdir(), 'novacron-learning-page-'))
  try {
    await build({
      root: pages, configFile: false, logLevel: 'error', base: './', worker: { format: 'es' },
      build: { outDir, emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 8192, rollupOptions: { input: { index: join(pages, 'index.html'), panel: join(pages, 'panel.html') } } }
    })
    const server = await serveDir(outDir)
    return { url: server.url, close: async () => { await server.close(); rmSync(outDir, { recursive: true, force: true }) } }
  } catch (err) {
    rmSync(outDir, { recursive: true, force: true })
    throw err
  }
}
