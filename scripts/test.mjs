#!/usr/bin/env node
/**
 * `npm test`: type-checks the project, then runs every `test/**\/*.test.ts` with node's test runner
 * (TypeScript through tsx, Node 20 polyfills preloaded), and ends with `N passed, N failed`.
 *
 *   node scripts/test.mjs              the default suite (everything except *.slow.test.ts)
 *   node scripts/test.mjs --slow       only the slow suite (*.slow.test.ts)
 *   node scripts/test.mjs test/net     only files under the given paths (no type-check)
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const argv = process.argv.slice(2)
const slow = argv.includes('--slow')
const paths = argv.filter(a => !a.startsWith('--'))

function find (dir, out = []) {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e)
    if (statSync(p).isDirectory()) find(p, out)
    else if (p.endsWith('.test.ts')) out.push(p)
  }
  return out
}

const targets = paths.length > 0 ? paths.map(p => join(root, p)) : [join(root, 'test')]
const files = targets.flatMap(t => statSync(t).isDirectory() ? find(t) : [t])
  .filter(f => paths.length > 0 || slow === f.endsWith('.slow.test.ts'))
  .sort()

let typeFailed = false
if (paths.length === 0) {
  console.log('test: type-checking (tsc --noEmit) ...')
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', root], { stdio: 'inherit' })
  typeFailed = tsc.status !== 0
  console.log(typeFailed ? 'test: type-check FAILED' : 'test: type-check passed')
}

const tapDir = mkdtempSync(join(tmpdir(), 'novacron-test-'))
const tapFile = join(tapDir, 'report.tap')
// peers and the CLI default to ~/.novacron: tests never touch the real one (CI runs as root)
console.log(`test: running ${files.length} files: ${files.map(f => relative(root, f)).join(' ')}`)
const child = spawn(process.execPath, [
  '--import', 'tsx',
  '--import', './node-runtime/polyfills.mjs',
  '--test',
  '--test-timeout=900000',
  // no --test-force-exit: it ends the run before the TAP reporter has written the file the counts
  // below come from. A file that leaves a handle open hangs the run instead, so tests release what
  // they start (stopAll, releaseWebRTC for node-datachannel: js-libp2p#2625).
  '--test-reporter=spec', '--test-reporter-destination=stdout',
  '--test-reporter=tap', `--test-reporter-destination=${tapFile}`,
  ...files
], { cwd: root, stdio: 'inherit', env: { ...process.env, NOVACRON_TEST: '1', NOVACRON_HOME: join(tapDir, 'home') } })

const code = await new Promise(resolve => child.on('exit', (c, s) => resolve(c ?? (s != null ? 1 : 0))))
const tap = existsSync(tapFile) ? readFileSync(tapFile, 'utf8') : ''
rmSync(tapDir, { recursive: true, force: true })
const count = (key) => Number(new RegExp(`^# ${key} (\\d+)$`, 'm').exec(tap)?.[1] ?? 0)
let passed = count('pass')
let failed = count('fail') + count('cancelled')
if (paths.length === 0) {
  if (typeFailed) failed += 1
  else passed += 1
}
if (code !== 0 && failed === 0) failed = 1
console.log(`${passed} passed, ${failed} failed`)
process.exit(failed > 0 ? 1 : 0)
