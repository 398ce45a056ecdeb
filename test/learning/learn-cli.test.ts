/**
 * `novacron learn` and `novacron model` through the real CLI entry (`main`, in-process): help,
 * usage errors (exit 2, naming the flag) before anything joins the mesh, a malformed data source
 * as its typed error (exit 1), and `model` commands without a running learner.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { runMain } from '../_support/run-main.ts'

const dir = mkdtempSync(join(tmpdir(), 'novacron-learn-cli-'))
after(() => { rmSync(dir, { recursive: true, force: true }) })


test('learn --help documents its options; model --help its subcommands', async () => {
  const r = await runMain(['learn', '--help'])
  assert.equal(r.code, 0)
  for (const flag of ['--data', '--shard', '--partition', '--rounds', '--min-peers', '--min-updates', '--deadline', '--aggregate', '--quantize', '--topk', '--dp-clip', '--server-opt', '--server-lr', '--server-beta1', '--server-beta2', '--server-tau', '--per-round', '--bootstrap', '--json', '--no-ledger-join']) assert.ok(r.stdout.includes(flag), `help lacks ${flag}`)
  const m = await runMain(['model', '--help'])
  assert.equal(m.code, 0)
  for (const sub of ['status', 'export', 'predict', 'verify']) assert.ok(m.stdout.includes(sub))
})

test('bad learn flags are usage errors (exit 2) naming the flag, before any data or mesh', async () => {
  for (const [args, flag] of [
    [['--data', 'ftp://x'], '--data'],
    [['--shard', '3/3'], '--shard'],
    [['--shard', 'x'], '--shard'],
    [['--partition', 'dirichlet:0'], '--partition'],
    [['--per-round', '2', '--min-updates', '3'], '--min-updates'],
    [['--no-ledger'], '--no-ledger'],
    [['--aggregate', 'mean'], '--aggregate'],
    [['--quantize', '9'], '--quantize'],
    [['--server-opt', 'yogi'], '--server-opt'],
    [['--server-beta1', '1'], '--server-beta1']
  ] as const) {
    const r = await runMain(['learn', ...args])
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
    assert.ok(r.stderr.includes(flag), `${args.join(' ')}: ${r.stderr}`)
  }
})

test('a malformed data source is its typed error (exit 1) naming the file; nothing starts', async () => {
  const r = await runMain(['learn', '--data', `leaf:${join(dir, 'missing')}`, '--json'])
  assert.equal(r.code, 1)
  const { error } = JSON.parse(r.stderr.trim()) as { error: { name: string, message: string } }
  assert.equal(error.name, 'DataSourceError')
  assert.ok(error.message.includes(join(dir, 'missing')))
})

test('model commands without a running learner: LedgerNotRunningError (exit 1); export without --out: exit 2', async () => {
  const r = await runMain(['model', 'status', '--json', '--data-dir', dir])
  assert.equal(r.code, 1)
  assert.equal((JSON.parse(r.stderr.trim()) as { error: { name: string } }).error.name, 'LedgerNotRunningError')
  const e = await runMain(['model', 'export', '--data-dir', dir])
  assert.equal(e.code, 2)
  assert.ok(e.stderr.includes('--out'))
})
