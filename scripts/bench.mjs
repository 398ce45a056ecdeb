#!/usr/bin/env node
/**
 * `npm run bench [-- name ... --flag value ...]`: runs `bench/<name>.bench.ts` (all of them when
 * no name is given) with the flags passed on. Each benchmark writes its JSON to
 * `bench/results/<name>.json` and prints a short table.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const available = readdirSync(join(root, 'bench')).filter(f => f.endsWith('.bench.ts')).map(f => f.slice(0, -'.bench.ts'.length)).sort()
const args = process.argv.slice(2)
// a word is a benchmark name when it names one; any other word right after a flag is that
// flag's value (`--fed-cnn-rounds 20` as well as `--fed-cnn-rounds=20`), passed on with it
const names = []
const passthrough = []
for (const [i, a] of args.entries()) {
  if (a.startsWith('--') || (i > 0 && args[i - 1].startsWith('--') && !args[i - 1].includes('=') && !available.includes(a))) passthrough.push(a)
  else names.push(a)
}
if (args.includes('--help')) {
  console.log(`Usage: npm run bench [-- <name> ... [--flag value | --flag=value] ...]\n\nBenchmarks: ${available.join(', ')}\nResults: bench/results/<name>.json`)
  process.exit(0)
}
const chosen = names.length > 0 ? names : available
let failed = 0
for (const name of chosen) {
  const file = join(root, 'bench', `${name}.bench.ts`)
  if (!existsSync(file)) {
    console.error(`bench: unknown benchmark '${name}' (available: ${available.join(', ')})`)
    process.exit(2)
  }
  console.log(`bench: ${name}`)
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--import', './node-runtime/polyfills.mjs', file, ...passthrough], { cwd: root, stdio: 'inherit' })
  if (r.status !== 0) { failed++; console.error(`bench: ${name} failed (exit ${r.status})`) }
}
process.exit(failed > 0 ? 1 : 0)
