/**
 * `npm run bench -- cli`: how long a short `novacron` command takes from exec to exit, next to a
 * bare `node -e 1` in the same run (the floor: Node's own start-up on this machine).
 *
 * Each command runs through the bin as a user runs it (`bin/novacron.mjs …`, its shebang's V8
 * flags included; with `npm link` that is what `novacron` is), interleaved with the baseline so
 * machine load hits all of them alike. `issues list` reads a stored board of 50 issues in a
 * temporary NOVACRON_HOME (no peer running: the CLI opens the store itself). Target (issue 18):
 * `--help` and `issues list` ≤ 200 ms (median). `--runs N` (default 11).
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Board } from '../core/state/board.ts'
import { openPersistentDoc } from '../node-runtime/state/persistence.ts'
import { median, percentile, writeResult } from './_results.ts'

const root = new URL('..', import.meta.url).pathname
const runsFlag = process.argv.indexOf('--runs')
const RUNS = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 11
const home = mkdtempSync(join(tmpdir(), 'nc-bench-cli-'))
const env = { ...process.env, NOVACRON_HOME: home }

// a stored board, as a stopped `novacron start` leaves it
const store = await openPersistentDoc(join(home, 'bootstrap'))
const board = new Board({ doc: store.doc, actor: 'bench', random: (n) => new Uint8Array(n).map((_, i) => (i * 31 + 7) & 255), now: (() => { let t = 1_700_000_000_000; return () => t++ })() })
for (let i = 0; i < 50; i++) board.create({ title: `issue ${i}`, priority: i % 5 })
await store.close()

const cases: Array<{ name: string, cmd: string, args: string[] }> = [
  { name: 'node -e 1', cmd: process.execPath, args: ['-e', '1'] },
  { name: 'novacron --help', cmd: join(root, 'bin/novacron.mjs'), args: ['--help'] },
  { name: 'novacron issues list', cmd: join(root, 'bin/novacron.mjs'), args: ['issues', 'list'] },
  { name: 'novacron --version', cmd: join(root, 'bin/novacron.mjs'), args: ['--version'] }
]
const times = new Map(cases.map(c => [c.name, [] as number[]]))
// one warm-up round (page cache), not counted
for (let r = -1; r < RUNS; r++) {
  for (const c of cases) {
    const t0 = performance.now()
    const p = spawnSync(c.cmd, c.args, { cwd: root, env, encoding: 'utf8' })
    const ms = performance.now() - t0
    if (p.status !== 0) throw new Error(`${c.name} exited ${p.status}: ${p.stderr}`)
    if (c.name === 'novacron issues list' && !p.stdout.includes('issue 49')) throw new Error(`issues list did not list the board: ${p.stdout}`)
    if (r >= 0) times.get(c.name)?.push(ms)
  }
}
rmSync(home, { recursive: true, force: true })

const baseline = median(times.get('node -e 1') ?? [])
const rows = cases.map(c => {
  const t = times.get(c.name) ?? []
  return { command: c.name, medianMs: Math.round(median(t)), p90Ms: Math.round(percentile(t, 90)), vsNode: Number((median(t) / baseline).toFixed(2)), runs: t.length }
})
const targetMs = 200
const result = {
  baseline: 'node -e 1',
  targetMs,
  rows,
  targetMet: rows.filter(r => r.command === 'novacron --help' || r.command === 'novacron issues list').every(r => r.medianMs <= targetMs)
}
console.table(rows)
console.log(`target ≤ ${targetMs} ms for --help and issues list: ${result.targetMet ? 'met' : 'NOT met'}`)
console.log(`wrote ${writeResult('cli', result)}`)
