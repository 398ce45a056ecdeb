#!/usr/bin/env node
/**
 * Builds what needs building before start/test/bench: the WASM core (core-wasm/build.mjs, when it
 * exists), the C examples of the jobs sandbox (examples/jobs/build.mjs, clang) and the browser
 * app (vite, when index.html exists). Each step is skipped when its outputs
 * are newer than its inputs, so repeated runs are fast. `--force` rebuilds everything. A step's
 * outputs are dated back to the moment it started, so a source saved while it ran (not in what it
 * built) is newer than them and the next run builds again.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync, utimesSync } from 'node:fs'
import { dirname, join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const force = process.argv.includes('--force')

/** The newest mtime under `paths`, leaving out node_modules, dist and the folders in `skip` (a step's own outputs). */
function newest (paths, skip = []) {
  let t = 0
  const skipped = new Set(skip.map(p => join(root, p)))
  const walk = (p) => {
    if (!existsSync(p) || skipped.has(p)) return
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
  if (!force && outT > 0 && outT >= newest(inputs, outputs.map(dirname))) {
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
  // dated back to the start: an input saved during the build stays newer than what was built
  for (const o of outputs) if (existsSync(join(root, o))) utimesSync(join(root, o), started / 1000, started / 1000)
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
