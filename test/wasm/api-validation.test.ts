/**
 * The loader's public boundary: a clear error before initCoreWasm(), idempotent init, TypeError for
 * wrong types and RangeError for wrong sizes/values on every entry point, and the browser-safety of
 * the loader (no Node built-ins reachable from core-wasm/*.ts, so Vite can bundle it unchanged).
 */
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { test } from 'node:test'
import {
  binomialSf, compressFrame, CoreWasmNotReadyError, decompressFrame, initCoreWasm, logHypergeomPmf,
  Lz4FrameDecoder, Lz4FrameEncoder, solveQuorum
} from '../../core-wasm/index.ts'

test('synchronous functions throw CoreWasmNotReadyError before initCoreWasm()', () => {
  assert.throws(() => compressFrame(new Uint8Array(1)), (e: unknown) => e instanceof CoreWasmNotReadyError && e.name === 'CoreWasmNotReadyError')
  assert.throws(() => binomialSf(10, 2, 0.5), CoreWasmNotReadyError)
})

test('initCoreWasm is idempotent and concurrent calls share one instance', async () => {
  await Promise.all([initCoreWasm(), initCoreWasm()])
  await initCoreWasm()
  assert.equal(decompressFrame(compressFrame(Uint8Array.of(1, 2, 3))).length, 3)
})

test('wrong types are TypeErrors, wrong sizes and values are RangeErrors', async () => {
  await initCoreWasm()
  const bad = (fn: () => unknown, type: typeof TypeError | typeof RangeError): void => { assert.throws(fn, (e: unknown) => e instanceof type && !(type === TypeError && e instanceof RangeError)) }
  bad(() => compressFrame('text' as unknown as Uint8Array), TypeError)
  bad(() => compressFrame([1, 2] as unknown as Uint8Array), TypeError)
  bad(() => compressFrame(new Uint8Array(1), { level: 13 }), RangeError)
  bad(() => compressFrame(new Uint8Array(1), { level: 1.5 }), RangeError)
  bad(() => compressFrame(new Uint8Array(1), { level: '3' as unknown as number }), TypeError)
  bad(() => compressFrame(new Uint8Array(1), { blockSize: 1000 as 65536 }), RangeError)
  bad(() => compressFrame(new Uint8Array(1), { blockChecksum: 1 as unknown as boolean }), TypeError)
  bad(() => compressFrame(new Uint8Array(1), null as unknown as undefined), TypeError)
  bad(() => decompressFrame(new ArrayBuffer(4) as unknown as Uint8Array), TypeError)
  bad(() => decompressFrame(new Uint8Array(4), { maxOutputSize: -1 }), RangeError)
  bad(() => decompressFrame(new Uint8Array(4), { maxOutputSize: Infinity }), RangeError)
  bad(() => new Lz4FrameEncoder({ contentSize: -5 }), RangeError)
  bad(() => new Lz4FrameDecoder().push('x' as unknown as Uint8Array), TypeError)
  bad(() => binomialSf(10.5, 2, 0.5), RangeError)
  bad(() => binomialSf(10, 2, 1.5), RangeError)
  bad(() => binomialSf(10, 2, Number.NaN), RangeError)
  bad(() => binomialSf('10' as unknown as number, 2, 0.5), TypeError)
  bad(() => logHypergeomPmf(10, 11, 3, 1), RangeError)
  bad(() => solveQuorum({ n: 10, f: 10, sampleSize: 3, targetFailure: 1e-3 }), RangeError)
  bad(() => solveQuorum({ n: 10, f: 1, sampleSize: 11, targetFailure: 1e-3 }), RangeError)
  bad(() => solveQuorum({ n: 10, f: 1, sampleSize: 3, targetFailure: 0 }), RangeError)
  bad(() => solveQuorum({ n: 10, f: 1, sampleSize: 3, targetFailure: 1 }), RangeError)
  bad(() => solveQuorum(undefined as unknown as { n: number, f: number, sampleSize: number, targetFailure: number }), TypeError)
})

test('an encoder checks the declared content size against what was pushed', async () => {
  await initCoreWasm()
  const enc = new Lz4FrameEncoder({ contentSize: 10 })
  enc.push(new Uint8Array(3))
  assert.throws(() => enc.finish(), (e: unknown) => e instanceof Error && e.name === 'Lz4Error')
  assert.throws(() => enc.push(new Uint8Array(1)), /finished or disposed/)
})

test('the loader reaches no Node built-ins (it is bundled for the browser unchanged)', () => {
  const dir = new URL('../../core-wasm/', import.meta.url)
  const files = readdirSync(dir).filter(f => f.endsWith('.ts'))
  assert.ok(files.includes('index.ts'))
  for (const f of files) {
    const text = readFileSync(new URL(f, dir), 'utf8')
    assert.doesNotMatch(text, /from\s+['"](node:|fs['"]|path['"]|os['"])/, `${f} imports a Node built-in`)
    assert.doesNotMatch(text, /\bBuffer\b|\bprocess\./, `${f} uses a Node global`)
  }
})
