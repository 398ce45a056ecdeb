/**
 * The one loader, unchanged, in a browser: Vite bundles core-wasm/index.ts into an ES module, real
 * Chromium runs it, and the page's results must equal Node's byte for byte (the same LZ4 frame, the
 * same quorum, the same chunk ids) — so both peers of the mesh speak identical formats. The page
 * also checks ECVRF proofs through core/vrf's `verify`, which must take the WASM path there and
 * give @noble/curves' verdicts and betas (a tab's ledger checks votes with it).
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import type { Browser } from 'playwright-core'
import { build } from 'vite'
import { chunkData, compressFrame, initCoreWasm, solveQuorum } from '../../core-wasm/index.ts'
import { keygen, prove, verifyNoble } from '../../core/vrf/index.ts'
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
    `import { verify, verifyBackend } from '${root}core/vrf/index.ts'`,
    'export async function run (text: string, proofs: Array<[number[], number[], number[]]>) {',
    '  await initCoreWasm()',
    '  const betas = proofs.map(([pk, alpha, pi]) => { const b = verify(\'TAI\', Uint8Array.from(pk), Uint8Array.from(alpha), Uint8Array.from(pi)); return b == null ? null : Array.from(b) })',
    '  const data = new TextEncoder().encode(text)',
    '  const frame = compressFrame(data, { level: 9 })',
    '  const back = new TextDecoder().decode(decompressFrame(frame))',
    '  const q = solveQuorum({ n: 1000, f: 100, sampleSize: 506, targetFailure: 1e-6 })',
    '  return { frame: Array.from(frame), roundTrip: back === text, q: q.q, safety: q.logSafetyFailure, chunks: chunkData(data, { min: 256, avg: 1024, max: 4096 }).map(c => c.hash), betas, vrfPath: verifyBackend(\'TAI\') }',
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
  // valid proofs, and each with one bit of Γ, c or s flipped
  const proofs: Array<[number[], number[], number[]]> = []
  for (let i = 0; i < 8; i++) {
    const k = keygen(new Uint8Array(32).fill(i + 1))
    const alpha = Uint8Array.of(i, 1, 2)
    const pi = prove('TAI', k.secretKey, alpha)
    const bad = pi.slice(); bad[(i * 11) % 80] ^= 1 << (i % 8)
    proofs.push([Array.from(k.publicKey), Array.from(alpha), Array.from(pi)], [Array.from(k.publicKey), Array.from(alpha), Array.from(bad)])
  }
  const result = await page.evaluate(async ([url, text, proofs]) => {
    const mod = await import(url) as { run: (t: string, p: typeof proofs) => Promise<unknown> }
    return await mod.run(text, proofs)
  }, [moduleUrl, SAMPLE, proofs] as const) as { frame: number[], roundTrip: boolean, q: number, safety: number, chunks: string[], betas: Array<number[] | null>, vrfPath: string }
  assert.deepEqual(errors, [])

  const data = new TextEncoder().encode(SAMPLE)
  assert.equal(result.roundTrip, true)
  assert.deepEqual(Buffer.from(result.frame), Buffer.from(compressFrame(data, { level: 9 })))
  const node = solveQuorum({ n: 1000, f: 100, sampleSize: 506, targetFailure: 1e-6 })
  assert.equal(result.q, node.q)
  assert.equal(result.safety, node.logSafetyFailure)
  assert.deepEqual(result.chunks, chunkData(data, { min: 256, avg: 1024, max: 4096 }).map(c => c.hash))
  assert.equal(result.vrfPath, 'wasm')
  const expected = proofs.map(([pk, alpha, pi]) => { const b = verifyNoble('TAI', Uint8Array.from(pk), Uint8Array.from(alpha), Uint8Array.from(pi)); return b == null ? null : Array.from(b) })
  assert.deepEqual(result.betas, expected)
  assert.equal(expected.filter(b => b != null).length, 8)
})
