/** The C examples built by examples/jobs/build.mjs (part of `npm run build`), for the jobs tests. */
import { existsSync, readFileSync } from 'node:fs'

const dir = new URL('../../examples/jobs/build/', import.meta.url).pathname

export function examplePath (name: string, kind: 'wasm' | 'native'): string {
  const p = `${dir}${name}.${kind}`
  if (!existsSync(p)) throw new Error(`${p} is missing: run \`node examples/jobs/build.mjs\` (needs clang, lld, wasi-libc, libclang-rt-14-dev-wasm32; .ci/run installs them)`)
  return p
}

export function exampleWasm (name: string): Uint8Array {
  return new Uint8Array(readFileSync(examplePath(name, 'wasm')))
}
