/// <reference types="vite/client" />
/**
 * tfjs backends in the browser: `webgpu` when the browser offers an adapter, else `wasm` (SIMD
 * when the engine supports it — tfjs picks the SIMD binary itself), else `webgl`, else `cpu`.
 * Importing the backend packages registers them; the `.wasm` binaries are bundled by vite as
 * assets (`?url`) and served by our own server — never fetched from a CDN.
 */
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-webgpu'
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm'
import wasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url'
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url'
import wasmThreadedUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url'
import { BACKENDS, chooseBackend, type BackendChoice, type BackendName } from '../../core/learning/index.ts'

let pathsSet = false

export interface BrowserBackend extends BackendChoice {
  /** For wasm: whether the SIMD binary is in use. */
  simd?: boolean
  /** For webgpu: the adapter's vendor/architecture, e.g. "google swiftshader" (software). */
  adapter?: string
}

async function adapterInfo (): Promise<string | null> {
  const gpu = (navigator as unknown as { gpu?: { requestAdapter: () => Promise<{ info?: { vendor?: string, architecture?: string } } | null> } }).gpu
  if (gpu == null) return null
  const a = await gpu.requestAdapter()
  if (a == null) return null
  return `${a.info?.vendor ?? ''} ${a.info?.architecture ?? ''}`.trim() || 'unknown adapter'
}

/** Initialises `forced`, or the first of webgpu → wasm → webgl → cpu that works, and reports it. */
export async function setupBrowserBackend (forced?: BackendName): Promise<BrowserBackend> {
  if (!pathsSet) {
    setWasmPaths({ 'tfjs-backend-wasm.wasm': wasmUrl, 'tfjs-backend-wasm-simd.wasm': wasmSimdUrl, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedUrl })
    // the app is served cross-origin isolated (live migration's SharedArrayBuffer), which makes
    // tfjs pick its threaded wasm build; its pthread workers do not load from our bundle
    // ("e is not defined"): stay on the single-threaded build, as before the isolation
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false)
    pathsSet = true
  }
  const adapter = await adapterInfo()
  const order = forced != null ? [forced] : BACKENDS.filter(b => b !== 'webgpu' || adapter != null)
  const choice: BrowserBackend = await chooseBackend(order)
  if (forced == null && adapter == null) choice.skipped.unshift({ backend: 'webgpu', reason: 'no WebGPU adapter' })
  if (choice.backend === 'wasm') choice.simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT') as boolean
  if (choice.backend === 'webgpu' && adapter != null) choice.adapter = adapter
  return choice
}

export function describeBackend (b: BrowserBackend): string {
  if (b.backend === 'wasm') return `wasm${b.simd === true ? ' (SIMD)' : ''}`
  if (b.backend === 'webgpu') return `webgpu${b.adapter != null ? ` (${b.adapter})` : ''}`
  return b.backend
}
