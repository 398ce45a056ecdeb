/**
 * `npm run bench -- cli`: how long a short `novacron` command takes from exec to exit, next to a
 * bare `node -e 1` in the same run (the floor: Node's own start-up on this machine).
 *
 * Each command runs through the bin as a user runs it (`bin/novacron.mjs …`, its shebang's V8
 * flags included; with `npm link` that is what `novacron` is), interleaved with the baseline so
 * machine load hits all of them alike. `issues list` lists a board of 50 issues in a temporary
 * NOVACRON_HOME twice: with `novacron start` running (the first-hour case: the CLI finds the peer
 * and asks its control endpoint) and with no peer running (the CLI opens the stored LevelDB
 * itself). Target (issue 18): `--help` and `issues list` ≤ 200 ms (median), stated where `node -e 1`
 * took 60 ms; the ratio to `node -e 1` is the number that travels between machines, so the result
 * also judges ≤ 3.33x that baseline (`ratioTargetMet`). `--runs N` (default 11).
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Board } from '../core/state/board.ts'
import { freshBundleEntry } from '../node-runtime/bundle.mjs'
import { openPersistentDoc } from '../node-runtime/state/persistence.ts'
import { median, percentile, writeResult } from './_results.ts'

const root = new URL('..', import.meta.url).pathname
const runsFlag = process.argv.indexOf('--runs')
const RUNS = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 11
const home = mkdtempSync(join(tmpdir(), 'nc-bench-cli-'))
const env = { ...process.env, NOVACRON_HOME: home }
for (const first of ['--help', 'issues', 'start']) {
  if (freshBundleEntry(root, first) == null) throw new Error(`the bundle is missing or stale for '${first}': run npm run build first (npm run bench does)`)
}

// a stored board, as a stopped `novacron start` leaves it
const store = await openPersistentDoc(join(home, 'bootstrap'))
const board = new Board({ doc: store.doc, actor: 'bench', random: (n) => new Uint8Array(n).map((_, i) => (i * 31 + 7) & 255), now: (() => { let t = 1_700_000_000_000; return () => t++ })() })
for (let i = 0; i < 50; i++) board.create({ title: `issue ${i}`, priority: i % 5 })
await store.close()

interface Case { name: string, cmd: string, args: string[] }
const bin = join(root, 'bin/novacron.mjs')
const node: Case = { name: 'node -e 1', cmd: process.execPath, args: ['-e', '1'] }
const times = new Map<string, number[]>()

/** Runs the cases round-robin, `RUNS` times each after one uncounted warm-up round. */
function measure (cases: Case[]): void {
  for (let r = -1; r < RUNS; r++) {
    for (const c of cases) {
      const t0 = performance.now()
      const p = spawnSync(c.cmd, c.args, { cwd: root, env, encoding: 'utf8' })
      const ms = performance.now() - t0
      if (p.status !== 0) throw new Error(`${c.name} exited ${p.status}: ${p.stderr}`)
      if (c.args[0] === 'issues' && !p.stdout.includes('issue 49')) throw new Error(`issues list did not list the board: ${p.stdout}`)
      if (r >= 0) times.set(c.name, [...(times.get(c.name) ?? []), ms])
    }
  }
}

measure([
  node,
  { name: 'novacron --help', cmd: bin, args: ['--help'] },
  { name: 'novacron --version', cmd: bin, args: ['--version'] },
  { name: 'novacron issues list (no peer running: stored state)', cmd: bin, args: ['issues', 'list'] }
])

// the first-hour case: `novacron start` runs and the CLI goes through it
const boot = spawn(bin, ['start', '--port', '0', '--ws-port', '0'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
let bootOut = ''
boot.stdout.setEncoding('utf8').on('data', (d: string) => { bootOut += d })
const deadline = Date.now() + 120_000
while (!bootOut.includes('Next steps')) {
  if (Date.now() > deadline || boot.exitCode != null) throw new Error(`novacron start did not come up: ${bootOut}`)
  await new Promise(resolve => setTimeout(resolve, 100)) // polling a condition with a deadline
}
try {
  measure([node, { name: 'novacron issues list (novacron start running)', cmd: bin, args: ['issues', 'list'] }])
} finally {
  boot.kill('SIGTERM')
  await new Promise(resolve => boot.once('exit', resolve))
}
rmSync(home, { recursive: true, force: true })

const baseline = median(times.get('node -e 1') ?? [])
const cases = [...times.keys()].map(name => ({ name }))
const rows = cases.map(c => {
  const t = times.get(c.name) ?? []
  return { command: c.name, medianMs: Math.round(median(t)), p90Ms: Math.round(percentile(t, 90)), vsNode: Number((median(t) / baseline).toFixed(2)), runs: t.length }
})
const targetMs = 200
// The issue states 0.2 s on a machine where `node -e 1` took 0.06 s (3.3x); Node's own start-up
// differs between machines by more than our share of it, so the same target is also judged as
// that ratio to the `node -e 1` measured in this run.
const ISSUE_NODE_MS = 60
const ratioTarget = Number((targetMs / ISSUE_NODE_MS).toFixed(2))
const judged = rows.filter(r => r.command === 'novacron --help' || r.command.startsWith('novacron issues list'))
const result = {
  baseline: 'node -e 1',
  baselineMs: Math.round(baseline),
  targetMs,
  rows,
  targetMet: judged.every(r => r.medianMs <= targetMs),
  ratioTarget,
  ratioTargetMet: judged.every(r => r.vsNode <= ratioTarget)
}
console.table(rows)
console.log(`target ≤ ${targetMs} ms for --help and issues list: ${result.targetMet ? 'met' : 'NOT met'} (node -e 1 took ${Math.round(baseline)} ms here)`)
console.log(`as a ratio to node -e 1 (≤ ${ratioTarget}x, the issue's ${targetMs} ms over its ${ISSUE_NODE_MS} ms node): ${result.ratioTargetMet ? 'met' : 'NOT met'}`)
console.log(`wrote ${writeResult('cli', result)}`)
