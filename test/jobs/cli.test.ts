/**
 * `novacron job run` as a user runs it (the bin, through its shebang, in a child process): the
 * clang-built Mandelbrot's output equals the native program's for args and for --input -, the
 * module's exit code and stderr come through, a looping module ends with JobTimeoutError (exit 1),
 * a non-wasm file with InvalidModuleError, bad flags with a usage error naming the flag (exit 2).
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { cleanup, startCli, stopAll } from '../_support/processes.ts'
import { loopModule } from '../_support/wasm-builder.ts'
import { examplePath } from './_examples.ts'

const dir = mkdtempSync(join(tmpdir(), 'novacron-job-cli-'))
after(async () => { await cleanup(stopAll, () => { rmSync(dir, { recursive: true, force: true }) }) })
const wasm = examplePath('mandelbrot', 'wasm')

async function cli (args: string[], stdin?: string): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const p = startCli(args)
  p.child.stdin?.end(stdin ?? '')
  const code = await p.exited
  return { code, stdout: p.stdout, stderr: p.stderr }
}

test('args after -- and --input - reach the module; output equals the native build', async () => {
  const native = spawnSync(examplePath('mandelbrot', 'native'), ['--checksum', '300', '200', '0', '0', '300', '200']).stdout.toString()
  const a = await cli(['job', 'run', wasm, '--', '--checksum', '300', '200', '0', '0', '300', '200'])
  assert.equal(a.code, 0, a.stderr)
  assert.equal(a.stdout, native)
  const b = await cli(['job', 'run', wasm, '--input', '-'], '--checksum 300 200 0 0 300 200\n')
  assert.equal(b.code, 0, b.stderr)
  assert.equal(b.stdout, native)
})

test('the module\'s exit code and stderr are ours; --json reports them', async () => {
  const r = await cli(['job', 'run', wasm, '--', '5', 'x'])
  assert.equal(r.code, 2)
  assert.equal(r.stderr, "mandelbrot: bad number 'x'\n")
  const j = await cli(['job', 'run', wasm, '--json', '--', '5', 'x'])
  assert.equal(j.code, 0)
  const out = JSON.parse(j.stdout) as { exitCode: number, stderr: string }
  assert.equal(out.exitCode, 2)
  assert.equal(Buffer.from(out.stderr, 'base64').toString(), "mandelbrot: bad number 'x'\n")
})

test('a looping module times out, a non-wasm file is refused, bad flags name themselves', async () => {
  const loop = join(dir, 'loop.wasm')
  writeFileSync(loop, loopModule())
  // --json errors carry the error's name (docs/cli.md); the human line is the message alone
  const errorOf = (stderr: string): { name: string, message: string } => (JSON.parse(stderr) as { error: { name: string, message: string } }).error
  const t = await cli(['job', 'run', loop, '--timeout', '1s', '--json'])
  assert.equal(t.code, 1)
  assert.equal(errorOf(t.stderr).name, 'JobTimeoutError')
  assert.match(errorOf(t.stderr).message, /the task ran past its wall-clock limit of 1000 ms/)
  const bad = await cli(['job', 'run', 'package.json', '--json'])
  assert.equal(bad.code, 1)
  assert.equal(errorOf(bad.stderr).name, 'InvalidModuleError')
  const flag = await cli(['job', 'run', wasm, '--memory', 'lots'])
  assert.equal(flag.code, 2)
  assert.match(flag.stderr, /--memory expects a size/)
})

test('job submit|status|result|list|cancel: --help for each; typed errors without a running peer; bad flags exit 2', async () => {
  for (const sub of ['submit', 'status', 'result', 'list', 'cancel']) {
    const h = await cli(['job', sub, '--help'])
    assert.equal(h.code, 0, h.stderr)
    assert.match(h.stdout, /--data-dir/)
  }
  const help = await cli(['job', 'submit', '--help'])
  for (const flag of ['--input', '--args', '--tasks', '--split', '--replicas', '--timeout', '--memory', '--lease', '--retain', '--json']) assert.match(help.stdout, new RegExp(flag))
  assert.match((await cli(['job', 'result', '--help'])).stdout, /--peek/)
  const errorOf = (stderr: string): { name: string } => (JSON.parse(stderr) as { error: { name: string } }).error
  const none = await cli(['job', 'submit', wasm, '--tasks', '2', '--json', '--data-dir', join(dir, 'no-peer')])
  assert.equal(none.code, 1)
  assert.equal(errorOf(none.stderr).name, 'LedgerNotRunningError')
  const st = await cli(['job', 'status', '1.0', '--json', '--data-dir', join(dir, 'no-peer')])
  assert.equal(errorOf(st.stderr).name, 'LedgerNotRunningError')
  const split = join(dir, 'tasks.jsonl')
  writeFileSync(split, '{"args": ["1"]}\n')
  const both = await cli(['job', 'submit', wasm, '--tasks', '2', '--split', split, '--data-dir', join(dir, 'no-peer')])
  assert.equal(both.code, 2)
  assert.match(both.stderr, /--tasks N or --split/)
  writeFileSync(split, '{"args": [1]}\n')
  const badLine = await cli(['job', 'submit', wasm, '--split', split, '--data-dir', join(dir, 'no-peer')])
  assert.equal(badLine.code, 2)
  assert.match(badLine.stderr, /split line 1: args must be a list of strings/)
  for (const retain of ['soon', '31d']) {
    const r = await cli(['job', 'submit', wasm, '--retain', retain, '--data-dir', join(dir, 'no-peer')])
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /--retain/)
  }
  const reps = await cli(['job', 'submit', wasm, '--replicas', '9'])
  assert.equal(reps.code, 2)
  assert.match(reps.stderr, /--replicas/)
})
