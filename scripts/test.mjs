#!/usr/bin/env node
/**
 * `npm test`: type-checks the project and runs every `test/**\/*.test.ts` with node's test runner
 * (TypeScript through tsx, Node 20 polyfills preloaded), then ends with `N passed, N failed`.
 *
 *   node scripts/test.mjs              the default suite (everything except *.slow.test.ts)
 *   node scripts/test.mjs --slow       only the slow suite (*.slow.test.ts)
 *   node scripts/test.mjs test/net     only files under the given paths (no type-check); a path is
 *                                      read from the working directory, else from the repository root
 *   --jobs=N                           light files run N at a time (default: 2, or 1 on one core;
 *                                      also NOVACRON_TEST_JOBS)
 *
 * Two phases. First the type-check and the **light** files (codecs, in-memory meshes, unit tests)
 * run `jobs` at a time; each file's output is printed whole when it ends. Then the **serial** files
 * (Chromium, `novacron` processes, real libp2p meshes: see `scripts/test-files.mjs`) run one after
 * another with their output streamed, exactly as every file ran before. Each file runs in its own
 * process with its own `NOVACRON_HOME`, so files never share a peer's default data dir. The run ends
 * with the slowest files and the counts.
 */
import { spawn } from 'node:child_process'
import { availableParallelism, tmpdir } from 'node:os'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { isAbsolute, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { findTests, isSerial } from './test-files.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const argv = process.argv.slice(2)
const slow = argv.includes('--slow')
const jobsFlag = argv.find(a => a.startsWith('--jobs='))
const unknown = argv.filter(a => a.startsWith('--') && a !== '--slow' && a !== jobsFlag)
if (unknown.length > 0) {
  console.error(`test: unknown flag ${unknown[0]} (flags: --slow, --jobs=N)`)
  process.exit(2)
}
const jobsText = jobsFlag?.slice('--jobs='.length) ?? process.env.NOVACRON_TEST_JOBS
const jobs = jobsText == null ? Math.min(2, availableParallelism()) : Number(jobsText)
if (!Number.isInteger(jobs) || jobs < 1 || jobs > 16) {
  console.error(`test: --jobs must be a whole number from 1 to 16, got ${JSON.stringify(jobsText)}`)
  process.exit(2)
}
/** A path as given: absolute, else from the working directory, else from the repository root. */
const located = p => [isAbsolute(p) ? p : resolve(p), join(root, p)].find(f => existsSync(f))
const paths = argv.filter(a => !a.startsWith('--'))
const found = paths.map(located)
const missing = paths.filter((_, i) => found[i] == null)
if (missing.length > 0) {
  console.error(`test: no such file or folder: ${missing.join(', ')} (paths are read from ${process.cwd()}, then from ${root})`)
  process.exit(2)
}

/** A file that has not ended after this long is killed (with everything it started) and failed. */
const FILE_LIMIT_MS = 30 * 60_000

const targets = paths.length > 0 ? found : [join(root, 'test')]
const files = targets.flatMap(t => statSync(t).isDirectory() ? findTests(t) : [t])
  .filter(f => paths.length > 0 || slow === f.endsWith('.slow.test.ts'))
  .sort()
const serial = files.filter(isSerial)
const light = files.filter(f => !serial.includes(f))

const tmp = mkdtempSync(join(tmpdir(), 'novacron-test-'))
const running = new Set()
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    for (const child of running) killGroup(child)
    rmSync(tmp, { recursive: true, force: true })
    process.exit(130)
  })
}

function killGroup (child) {
  try { process.kill(-child.pid, 'SIGKILL') } catch { /* already gone */ }
}

/**
 * Runs one command in its own process group. `stream`: output goes straight to ours; otherwise it
 * is collected and printed whole at the end, so files running side by side do not interleave.
 */
function run (label, args, env, stream) {
  const started = Date.now()
  return new Promise(resolve => {
    const child = spawn(process.execPath, args, { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    running.add(child)
    const chunks = []
    const take = (out) => (data) => { if (stream) out.write(data); else chunks.push(data) }
    child.stdout.on('data', take(process.stdout))
    child.stderr.on('data', take(process.stderr))
    if (stream) console.log(`\n── ${label}`)
    const limit = setTimeout(() => {
      const note = `\ntest: ${label} still running after ${FILE_LIMIT_MS / 60_000} min: killed\n`
      if (stream) process.stdout.write(note); else chunks.push(Buffer.from(note))
      killGroup(child)
    }, FILE_LIMIT_MS)
    child.on('close', (code, signal) => {
      clearTimeout(limit)
      running.delete(child)
      const ms = Date.now() - started
      if (!stream) process.stdout.write(`\n── ${label} (${(ms / 1000).toFixed(1)} s)\n${Buffer.concat(chunks).toString()}`)
      resolve({ label, code: code ?? (signal != null ? 1 : 0), ms })
    })
  })
}

let index = 0
/** Runs one test file; its counts come from its own TAP file. */
async function runFile (file, stream) {
  const i = index++
  const tap = join(tmp, `${i}.tap`)
  const home = join(tmp, `home-${i}`)
  mkdirSync(home)
  const label = relative(root, file)
  const result = await run(label, [
    '--import', 'tsx',
    '--import', './node-runtime/polyfills.mjs',
    '--test-timeout=900000',
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tap}`,
    file
  ], { ...process.env, NOVACRON_TEST: '1', NOVACRON_HOME: home }, stream)
  const text = existsSync(tap) ? readFileSync(tap, 'utf8') : ''
  const count = (key) => Number(new RegExp(`^# ${key} (\\d+)$`, 'm').exec(text)?.[1] ?? 0)
  let failed = count('fail') + count('cancelled')
  // a file that crashed before or after its tests (or was killed) counts as one failure
  if (result.code !== 0 && failed === 0) failed = 1
  return { ...result, passed: count('pass'), failed }
}

/** Runs `tasks` (functions returning promises) at most `n` at a time, in order. */
async function pool (tasks, n) {
  const results = []
  let next = 0
  const worker = async () => {
    while (next < tasks.length) {
      const t = tasks[next++]
      results.push(await t())
    }
  }
  await Promise.all(Array.from({ length: Math.min(n, tasks.length) }, worker))
  return results
}

const wallStart = Date.now()
console.log(`test: ${files.length} files: ${light.length} light (${jobs} at a time), then ${serial.length} one after another`)
const lightTasks = light.map(f => async () => await runFile(f, false))
let typeCheck = null
if (paths.length === 0) {
  lightTasks.unshift(async () => {
    typeCheck = await run('type-check (tsc --noEmit)', [join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', root], process.env, false)
    console.log(typeCheck.code === 0 ? 'test: type-check passed' : 'test: type-check FAILED')
    return null
  })
}
const results = (await pool(lightTasks, jobs)).filter(r => r != null)
for (const f of serial) results.push(await runFile(f, true))
rmSync(tmp, { recursive: true, force: true })

let passed = results.reduce((s, r) => s + r.passed, 0)
let failed = results.reduce((s, r) => s + r.failed, 0)
if (typeCheck != null) {
  if (typeCheck.code === 0) passed += 1
  else failed += 1
}
const slowest = [...results].sort((a, b) => b.ms - a.ms).slice(0, 10)
console.log(`\ntest: ${((Date.now() - wallStart) / 1000).toFixed(0)} s in all; slowest files:`)
for (const r of slowest) console.log(`  ${(r.ms / 1000).toFixed(1).padStart(6)} s  ${r.label}`)
const failedFiles = results.filter(r => r.failed > 0)
if (failedFiles.length > 0) console.log(`test: failures in ${failedFiles.map(r => r.label).join(', ')}`)
console.log(`${passed} passed, ${failed} failed`)
process.exit(failed > 0 ? 1 : 0)
