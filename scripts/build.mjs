#!/usr/bin/env node
/**
 * Builds what needs building before start/test/bench: the WASM core (core-wasm/build.mjs, when it
 * exists), the C examples of the jobs sandbox (examples/jobs/build.mjs, clang) and the browser
 * app (vite, when index.html exists). Each step is skipped when its outputs
 * are newer than its inputs, so repeated runs are fast. `--force` rebuilds everything.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const force = process.argv.includes('--force')

function newest (paths) {
  let t = 0
  const walk = (p) => {
    if (!existsSync(p)) return
    const st = statSync(p)
    if (st.isDirectory()) {
      for (const e of readdirSync(p)) if (e !== 'node_modules' && e !== 'dist') walk(join(p, e))
    } else if (st.mtimeMs > t) t = st.mtimeMs
  }
  for (const p of paths) walk(join(root, p))
  return t
}

function step (label, inputs, outputs, cmd, args) {
  const outT = outputs.every(o => existsSync(join(root, o))) ? Math.min(...outputs.map(o => statSync(join(root, o)).mtimeMs)) : 0
  if (!force && outT > 0 && outT >= newest(inputs)) {
    console.log(`build: ${label} is up to date`)
    return
  }
  console.log(`build: ${label} ...`)
  const started = Date.now()
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' })
  if (r.status !== 0) {
    console.error(`build: ${label} failed (exit ${r.status})`)
    process.exit(r.status ?? 1)
  }
  console.log(`build: ${label} done in ${((Date.now() - started) / 1000).toFixed(1)} s`)
}

if (existsSync(join(root, 'core-wasm/build.mjs'))) {
  step('core-wasm', ['core-wasm/assembly', 'core-wasm/build.mjs'], ['core-wasm/build/.stamp'], process.execPath, ['core-wasm/build.mjs'])
}
if (existsSync(join(root, 'examples/jobs/build.mjs'))) {
  // C programs for the jobs sandbox, to wasm32-wasi and native; a clear message when clang is missing
  step('jobs examples (clang)', ['examples/jobs'], ['examples/jobs/build/.stamp'], process.execPath, ['examples/jobs/build.mjs'])
}
if (existsSync(join(root, 'node-runtime/build.mjs'))) {
  step('node runtime bundle', ['core', 'node-runtime', 'core-wasm'], ['dist/node/stamp.json'], process.execPath, ['node-runtime/build.mjs'])
}
if (existsSync(join(root, 'index.html'))) {
  step('app', ['index.html', 'app', 'core', 'core-wasm/build', 'vite.config.ts', 'package.json'], ['dist/app/index.html'], process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'warn'])
}
