/**
 * tfjs backend setup for Node. `@tensorflow/tfjs-node` cannot be installed here, so Node uses the
 * `wasm` backend, its `.wasm` binaries loaded from the installed package directory (no network);
 * `cpu` (pure JS) is the fallback and `--backend` can force either. Importing
 * `@tensorflow/tfjs-backend-wasm` registers the backend; `setWasmPaths` must run before it
 * initialises.
 */
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm'
import { chooseBackend, type BackendChoice, type BackendName } from '../../core/learning/index.ts'

const require = createRequire(import.meta.url)

export const NODE_BACKENDS: readonly BackendName[] = ['wasm', 'cpu']

let pathsSet = false

/** Directory of tfjs-backend-wasm's `.wasm` files (with a trailing slash, as setWasmPaths wants). */
export function wasmDir (): string {
  return join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/'
}

/** Initialises `forced` (or the first working of wasm, cpu) and reports the choice. */
export async function setupNodeBackend (forced?: BackendName): Promise<BackendChoice> {
  if (!pathsSet) {
    setWasmPaths(wasmDir())
    pathsSet = true
  }
  return await chooseBackend(forced != null ? [forced] : NODE_BACKENDS)
}
