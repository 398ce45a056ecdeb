/**
 * The sandbox on real worker threads (node-runtime/jobs): a hand-made hello world and a clang-built
 * probe see exactly their stdin, args, env and `/input`, and nothing of the host; every hostile
 * module (infinite loop, memory bomb, initial memory over the cap, trap, bytes that are not wasm,
 * unknown imports, no `_start`, output flood) fails with its typed error while the runner keeps
 * serving other tasks, including one that runs next to a looping task.
 */
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { createNodeTaskRunner } from '../../node-runtime/jobs/runner.ts'
import { buildModule, FD_WRITE, helloModule, loopModule, memoryBombModule, OP, sleb, trapModule } from '../_support/wasm-builder.ts'
import { exampleWasm } from './_examples.ts'
import type { JobError } from '../../core/jobs/errors.ts'

const runner = await createNodeTaskRunner({ capacity: 2 })
after(() => { runner.stop() })
const text = (b: Uint8Array): string => new TextDecoder().decode(b)
const MiB = 1024 * 1024

async function failsWith (p: Promise<unknown>, name: string, message?: RegExp): Promise<void> {
  await assert.rejects(p, (e: JobError) => {
    assert.equal(e.name, name, `expected ${name}, got ${e.name}: ${e.message}`)
    if (message != null) assert.match(e.message, message)
    return true
  })
}

test('a hand-made module writes stdout and exits with its code', async () => {
  const out = await runner.run(helloModule('hello, mesh\n', 7))
  assert.equal(text(out.stdout), 'hello, mesh\n')
  assert.equal(out.exitCode, 7)
  assert.equal(out.stderr.length, 0)
})

test('a clang-built program sees its stdin, args, env and /input, and nothing of the host', async () => {
  const stdin = new TextEncoder().encode('abc\n'.repeat(1000))
  const out = await runner.run(exampleWasm('sandbox-probe'), {
    stdin, args: ['5', 'naïve ✓'], env: { PROBE: 'yes' }, files: { 'data.txt': new TextEncoder().encode('input file body') }
  })
  const lines = text(out.stdout).split('\n')
  let sum = 0
  for (const b of stdin) sum = (sum * 31 + b) % 1000000007
  assert.deepEqual(lines.slice(0, 11), [
    'arg[0]=task.wasm', 'arg[1]=5', 'arg[2]=naïve ✓', 'env PROBE=yes', 'env HOME=(unset)',
    `stdin ${stdin.length} bytes sum ${sum}`, 'input data.txt (15): input file body',
    'host /etc/hostname: denied', 'escape /input/../etc/hostname: denied', 'create /tmp/x: denied', ''
  ])
  assert.equal(text(out.stderr), 'probe done\n')
  assert.equal(out.exitCode, 5)
})

test('an infinite loop is a JobTimeoutError, and a task next to it completes', async () => {
  const looping = runner.run(loopModule(), {}, { timeoutMs: 1500 })
  const hello = await runner.run(helloModule('still here\n'))
  assert.equal(text(hello.stdout), 'still here\n')
  await failsWith(looping, 'JobTimeoutError', /1500 ms/)
})

test('a memory bomb stops at the cap: JobMemoryError', async () => {
  await failsWith(runner.run(memoryBombModule(), {}, { memoryBytes: 16 * MiB }), 'JobMemoryError', /at the cap of 16777216 bytes/)
})

test('a module that declares more initial memory than the cap is refused before it runs', async () => {
  const big = buildModule({ memory: { min: 2000 }, body: [] })
  await failsWith(runner.run(big, {}, { memoryBytes: 64 * MiB }), 'JobMemoryError', /initial memory/)
})

test('a module whose own maximum is below the cap traps as a plain JobTrapError when it runs out', async () => {
  await failsWith(runner.run(memoryBombModule(4), {}, { memoryBytes: 64 * MiB }), 'JobTrapError', /unreachable/)
})

test('a trap is a JobTrapError', async () => {
  await failsWith(runner.run(trapModule()), 'JobTrapError', /divide by zero/)
})

test('bytes that are not WebAssembly are an InvalidModuleError', async () => {
  await failsWith(runner.run(new TextEncoder().encode('#!/bin/sh\nrm -rf /\n')), 'InvalidModuleError', /magic/)
  const truncated = helloModule('x').subarray(0, 30)
  await failsWith(runner.run(truncated), 'InvalidModuleError')
  const noStart = buildModule({ memory: { min: 1 }, body: [] })
  noStart[noStart.indexOf(0x5f)] = 0x78 // rename the export `_start` to `xstart`
  await failsWith(runner.run(noStart), 'InvalidModuleError', /no _start/)
  await failsWith(runner.run(buildModule({ body: [] })), 'InvalidModuleError', /no memory/)
})

test('imports the sandbox does not provide are an UnsupportedImportError naming them', async () => {
  const m = buildModule({ imports: [FD_WRITE, { module: 'env', name: 'open_socket', params: 1, results: 1 }], memory: { min: 1 }, body: [] })
  await failsWith(runner.run(m), 'UnsupportedImportError', /env\.open_socket \(function\)/)
  const unknownWasi = buildModule({ imports: [{ module: 'wasi_snapshot_preview1', name: 'thread_spawn', params: 1, results: 1 }], memory: { min: 1 }, body: [] })
  await failsWith(runner.run(unknownWasi), 'UnsupportedImportError', /thread_spawn/)
})

test('an output flood is a JobOutputLimitError', async () => {
  // fd_write the same 4 KiB iovec forever
  const flood = buildModule({
    imports: [FD_WRITE],
    memory: { min: 1 },
    data: { offset: 0, bytes: new Uint8Array([16, 0, 0, 0, 0, 16, 0, 0]) },
    body: [OP.loop, OP.void, OP.i32Const, ...sleb(1), OP.i32Const, ...sleb(0), OP.i32Const, ...sleb(1), OP.i32Const, ...sleb(8), OP.call, 0, OP.drop, OP.br, 0, OP.end]
  })
  await failsWith(runner.run(flood, {}, { maxOutputBytes: MiB }), 'JobOutputLimitError', /stdout exceeds/)
})

test('bad limits and task fields are an InvalidJobError before any worker starts', async () => {
  await failsWith(runner.run(helloModule('x'), {}, { timeoutMs: 0 }), 'InvalidJobError', /timeoutMs/)
  await failsWith(runner.run(helloModule('x'), { args: ['a\0b'] }), 'InvalidJobError', /args/)
  await failsWith(runner.run(helloModule('x'), { files: { '../etc': new Uint8Array(1) } }), 'InvalidJobError', /plain file name/)
  await failsWith(runner.run(helloModule('x'), { env: { 'A=B': 'c' } }), 'InvalidJobError', /env/)
})

test('the runner still works after every failure above, and stop() fails waiting tasks', async () => {
  const out = await runner.run(helloModule('alive\n'))
  assert.equal(text(out.stdout), 'alive\n')
  const small = await createNodeTaskRunner({ capacity: 1 })
  const first = small.run(loopModule(), {}, { timeoutMs: 60_000 })
  const second = small.run(helloModule('never\n'))
  assert.equal(small.queued, 1)
  small.stop()
  await failsWith(first, 'RunnerStoppedError')
  await failsWith(second, 'RunnerStoppedError')
  assert.equal(small.running, 0)
})
