/**
 * Choosing the tfjs backend: try the candidates in order, keep the first that initialises, and say
 * which one it was. The platform-specific part (registering the wasm/webgpu backends and telling
 * wasm where its `.wasm` files are) lives in node-runtime/learning/backend.ts and
 * app/learning/backend.ts; this file only does the ordered attempt, so both use the same rule.
 */
import * as tf from '@tensorflow/tfjs'
import { BackendUnavailableError } from './errors.ts'

export type BackendName = 'webgpu' | 'wasm' | 'webgl' | 'cpu'
export const BACKENDS: readonly BackendName[] = ['webgpu', 'wasm', 'webgl', 'cpu']

export interface BackendChoice {
  backend: BackendName
  /** Backends tried before it and why they failed. */
  skipped: Array<{ backend: BackendName, reason: string }>
}

export async function chooseBackend (candidates: readonly BackendName[]): Promise<BackendChoice> {
  const skipped: BackendChoice['skipped'] = []
  for (const name of candidates) {
    if (tf.findBackendFactory(name) == null) {
      skipped.push({ backend: name, reason: 'not registered' })
      continue
    }
    try {
      if (await tf.setBackend(name)) {
        await tf.ready()
        return { backend: name, skipped }
      }
      skipped.push({ backend: name, reason: 'setBackend returned false' })
    } catch (err) {
      skipped.push({ backend: name, reason: err instanceof Error ? err.message : String(err) })
    }
  }
  throw new BackendUnavailableError(`no tfjs backend available (tried ${skipped.map(s => `${s.backend}: ${s.reason}`).join('; ')})`)
}

export function currentBackend (): string {
  return tf.getBackend()
}
