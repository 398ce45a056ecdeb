#!/usr/bin/env node
/**
 * Builds the C examples of the jobs layer (examples/jobs/*.c) twice each: to wasm32-wasi with
 * clang and Debian's wasi-libc (`clang --target=wasm32-wasi --sysroot=/usr`), and natively for
 * the host, so tests can compare the sandbox's output with the native program's. Outputs go to
 * examples/jobs/build/ (gitignored): `<name>.wasm` and `<name>.native`.
 *
 * Needs Debian's `clang`, `lld`, `wasi-libc` and `libclang-rt-14-dev-wasm32` (.ci/run installs
 * them). Without clang it says so and exits 0: the rest of the project builds and runs; the tests
 * that run these programs then fail naming this script.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const dir = new URL('.', import.meta.url).pathname
const out = join(dir, 'build')
const CLANG = process.env.CLANG ?? 'clang'
const COMMON = ['-O2', '-ffp-contract=off', '-Wall', '-Werror']

const probe = spawnSync(CLANG, ['--version'], { encoding: 'utf8' })
if (probe.status !== 0) {
  console.warn('build: jobs examples skipped: clang not found (apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32)')
  process.exit(0)
}
mkdirSync(out, { recursive: true })
for (const file of readdirSync(dir).filter(f => f.endsWith('.c')).sort()) {
  const name = file.slice(0, -2)
  const builds = [
    [join(out, `${name}.wasm`), ['--target=wasm32-wasi', '--sysroot=/usr', ...COMMON, '-Wl,--strip-all', '-o', join(out, `${name}.wasm`), join(dir, file)]],
    [join(out, `${name}.native`), [...COMMON, '-o', join(out, `${name}.native`), join(dir, file)]]
  ]
  for (const [target, args] of builds) {
    const r = spawnSync(CLANG, args, { encoding: 'utf8' })
    if (r.status !== 0 || !existsSync(target)) {
      console.error(`build: ${CLANG} ${args.join(' ')} failed:\n${r.stderr}`)
      process.exit(1)
    }
  }
}
writeFileSync(join(out, '.stamp'), new Date().toISOString() + '\n')
