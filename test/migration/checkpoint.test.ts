/**
 * Checkpointable execution (core/migration): the clang-built counter (examples/jobs/counter.c),
 * asyncified by binaryen, paused at seeded WASI calls and resumed each time in a fresh instance
 * from its snapshot (through the snapshot codec's bytes), prints exactly what an uninterrupted
 * run in the ordinary sandbox prints — and what the native build prints. Modules that cannot be
 * checkpointed get a typed reason.
 *
 * The pass runs through the Node peer's instrumenter (its worker thread runs core's
 * `instrumentForCheckpoint`), as a peer runs it: that thread imports binaryen with Node's own
 * loader, while in this file tsx's loader would take ~20 s of CPU to load the 13 MB module.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { after, test } from 'node:test'
import { runInSandbox } from '../../core/jobs/sandbox.ts'
import { resolveLimits } from '../../core/jobs/task-types.ts'
import { runCheckpointable, type CheckpointRunResult } from '../../core/migration/checkpoint-run.ts'
import { NotCheckpointableError } from '../../core/migration/errors.ts'
import type { InstrumentedModule } from '../../core/migration/instrument.ts'
import { createInstrumenter } from '../../node-runtime/migration/instrumenter.ts'
import { decodeSnapshot, encodeSnapshot } from '../../core/migration/snapshot-codec.ts'
import type { TaskSnapshot } from '../../core/migration/snapshot.ts'
import { exampleWasm, examplePath } from '../jobs/_examples.ts'
import { helloModule } from '../_support/wasm-builder.ts'
import { seeded } from '../state/_helpers.ts'

const N = '100000' // 200 progress lines, ~205 WASI calls
const limits = resolveLimits({ memoryBytes: 16 * 1024 * 1024 })
const counter = exampleWasm('counter')
const text = (b: Uint8Array): string => new TextDecoder().decode(b)

const instrumenter = createInstrumenter()
after(async () => { await instrumenter.stop() })
const instrumentForCheckpoint = async (b: Uint8Array): Promise<InstrumentedModule> => await instrumenter.instrument(b)
/** core's `checkpointability`, over the instrumenter */
async function checkpointability (b: Uint8Array): Promise<{ ok: true } | { ok: false, reason: NotCheckpointableError['reason'], message: string }> {
  try {
    await instrumenter.instrument(b)
    return { ok: true }
  } catch (err) {
    if (err instanceof NotCheckpointableError) return { ok: false, reason: err.reason, message: err.message }
    throw err
  }
}

test('the counter paused and resumed at seeded points prints exactly the uninterrupted output', async () => {
  const plain = await runInSandbox(counter, { args: [N] }, limits)
  assert.equal(plain.exitCode, 0)
  const native = execFileSync(examplePath('counter', 'native'), [N])
  assert.equal(text(plain.stdout), native.toString('utf8'))
  assert.match(text(plain.stdout), /^done 100000 table [0-9a-f]{16}\n$/m)

  const mod = await instrumentForCheckpoint(counter)
  assert.ok(mod.globals.length >= 1, 'clang modules have at least __stack_pointer')
  let total = 0
  const whole = await runCheckpointable(mod, { args: [N] }, limits, { shouldPause: at => { total = at.calls; return false } })
  assert.equal(whole.kind, 'done')
  assert.ok(total > 200, `the counter makes ${total} WASI calls`)
  for (const seed of [1, 2, 3]) {
    const rand = seeded(seed) // the pause points
    const points = new Set<number>()
    while (points.size < 8) points.add(1 + Math.floor(rand() * (total - 1)))
    let snapshot: TaskSnapshot | undefined
    let result: CheckpointRunResult
    const pausedAt: number[] = []
    let instances = 0
    for (;;) {
      instances++
      const opts = snapshot == null ? {} : { from: snapshot }
      result = await runCheckpointable(mod, { args: [N] }, limits, { ...opts, shouldPause: at => points.has(at.calls) })
      if (result.kind === 'done') break
      pausedAt.push(result.snapshot.calls)
      // every resume goes through the wire format, into a fresh instance
      snapshot = decodeSnapshot(encodeSnapshot(result.snapshot))
      assert.deepEqual(snapshot.stdout, result.snapshot.stdout)
    }
    assert.deepEqual(pausedAt, [...points].sort((a, b) => a - b), `seed ${seed}: paused at every chosen call`)
    assert.equal(result.pauses, 8)
    assert.equal(instances, 9)
    assert.equal(result.output.exitCode, 0)
    assert.equal(text(result.output.stdout), text(plain.stdout), `seed ${seed}: output after 8 pauses`)
    assert.equal(result.output.stderr.length, 0)
  }
})

test('a paused snapshot resumed twice (a lost handover retried) gives the same output both times', async () => {
  const mod = await instrumentForCheckpoint(counter)
  const first = await runCheckpointable(mod, { args: [N] }, limits, { shouldPause: at => at.calls === 100 })
  assert.equal(first.kind, 'paused')
  if (first.kind !== 'paused') return
  const a = await runCheckpointable(mod, { args: [N] }, limits, { from: first.snapshot })
  const b = await runCheckpointable(mod, { args: [N] }, limits, { from: decodeSnapshot(encodeSnapshot(first.snapshot)) })
  assert.equal(a.kind, 'done'); assert.equal(b.kind, 'done')
  if (a.kind === 'done' && b.kind === 'done') assert.equal(text(a.output.stdout), text(b.output.stdout))
})

test('a snapshot resumed with the wrong module is a typed ResumeError', async () => {
  const mod = await instrumentForCheckpoint(counter)
  const paused = await runCheckpointable(mod, { args: [N] }, limits, { shouldPause: at => at.calls === 50 })
  assert.equal(paused.kind, 'paused')
  if (paused.kind !== 'paused') return
  const other = await instrumentForCheckpoint(exampleWasm('mandelbrot'))
  await assert.rejects(runCheckpointable(other, {}, limits, { from: paused.snapshot }), (e: Error) => e.name === 'ResumeError' || e.name === 'JobTrapError')
  const wrongGlobals = { ...paused.snapshot, globals: [] }
  await assert.rejects(runCheckpointable(mod, { args: [N] }, limits, { from: wrongGlobals }), { name: 'ResumeError' })
})

test('modules that cannot be checkpointed say why; one our instrumenting made is refused as an ordinary task', async () => {
  const garbage = await checkpointability(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0xff, 0xff]))
  assert.equal(garbage.ok, false)
  if (!garbage.ok) assert.equal(garbage.reason, 'parse-failed')

  const twice = (await instrumentForCheckpoint(counter)).bytes
  const again = await checkpointability(twice)
  assert.equal(again.ok, false)
  if (!again.ok) assert.equal(again.reason, 'already-instrumented')
  // it imports the poll point (novacron.poll), which only a checkpointable run provides: as an
  // ordinary task it is refused with a typed error, as any module importing more than WASI is
  await assert.rejects(runInSandbox(twice, { args: [N] }, limits), { name: 'UnsupportedImportError' })

  const hello = helloModule('hi\n', 0) // a hand-made module with its own memory: checkpointable
  assert.deepEqual(await checkpointability(hello), { ok: true })
})
