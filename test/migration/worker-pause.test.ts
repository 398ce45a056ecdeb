/**
 * Pause and resume across worker threads (issue 20, step 1): the counter (examples/jobs/counter.c),
 * instrumented once by the peer's instrumenter thread (cached by module hash), runs in the Node
 * task runner's worker threads. The owner asks for a memory copy and then a pause through the
 * shared control word; the paused task resumes in a NEW worker (the runner's `onPaused`), or
 * leaves (`TaskHandedOverError`) and a later run starts from its snapshot in another fresh worker;
 * a checkpoint taken on the way lets a third run start from it. Every way ends with exactly the
 * output of an uninterrupted run.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { createNodeTaskRunner } from '../../node-runtime/jobs/runner.ts'
import { createInstrumenter, type Instrumenter } from '../../node-runtime/migration/instrumenter.ts'
import type { TaskRunner, CheckpointLink } from '../../core/jobs/runner.ts'
import type { InstrumentedModule } from '../../core/migration/instrument.ts'
import { CONTROL_CHECKPOINT, CONTROL_COPY_MEMORY, CONTROL_PAUSE } from '../../core/migration/worker-run.ts'
import { decodeSnapshot } from '../../core/migration/snapshot-codec.ts'
import { exampleWasm } from '../jobs/_examples.ts'

const N = '400000'
const limits = { memoryBytes: 16 * 1024 * 1024, timeoutMs: 120_000 }
const counter = exampleWasm('counter')
const text = (b: Uint8Array): string => new TextDecoder().decode(b)

let runner: TaskRunner
let instrumenter: Instrumenter
let mod: InstrumentedModule
let plain: string

before(async () => {
  runner = await createNodeTaskRunner({ capacity: 1 })
  instrumenter = createInstrumenter()
  plain = text((await runner.run(counter, { args: [N] }, limits)).stdout)
  mod = await instrumenter.instrument(counter)
})
after(async () => { runner.stop(); await instrumenter.stop() })

/** A link whose control word starts at `first`; each memory copy and pause goes to the callbacks. */
function link (first: number, on: Partial<Pick<CheckpointLink, 'onReply' | 'onPaused'>>, from?: Uint8Array): { link: CheckpointLink, control: Int32Array } {
  const sab = new SharedArrayBuffer(4)
  const control = new Int32Array(sab)
  Atomics.store(control, 0, first)
  return {
    control,
    link: {
      spec: { globals: mod.globals, control: sab, ...(from != null ? { from } : {}) },
      onReply: on.onReply ?? (() => {}),
      onPaused: on.onPaused ?? (async () => ({ leave: 'unexpected pause' }))
    }
  }
}

test('binaryen runs once per module: the second request is the cached result', async () => {
  const again = await instrumenter.instrument(counter)
  assert.equal(again, mod)
  assert.equal(instrumenter.passes, 1)
})

test('a task paused in one worker resumes in a new worker with exactly the uninterrupted output', async () => {
  const memories: number[] = []
  let pauses = 0
  const l = link(CONTROL_COPY_MEMORY, {
    onReply: r => {
      if (r.type !== 'memory') return
      memories.push(r.bytes.length)
      Atomics.store(l.control, 0, CONTROL_PAUSE) // after the copy, stop it
    },
    onPaused: async snapshot => {
      pauses++
      const s = decodeSnapshot(snapshot)
      assert.ok(s.calls >= 2 && s.stdout.length < plain.length, 'paused mid-run, after the copy')
      return { resume: snapshot }
    }
  })
  const out = await runner.run(mod.bytes, { args: [N] }, limits, { checkpoint: l.link })
  assert.equal(memories.length, 1)
  assert.ok(memories[0] >= 65536 && memories[0] % 65536 === 0)
  assert.equal(pauses, 1)
  assert.equal(text(out.stdout), plain)
})

test('a paused task that leaves rejects with TaskHandedOverError; a fresh run from its snapshot finishes it', async () => {
  let snap: Uint8Array | undefined
  const l = link(CONTROL_PAUSE, { onPaused: async s => { snap = s; return { leave: 'moved elsewhere' } } })
  await assert.rejects(runner.run(mod.bytes, { args: [N] }, limits, { checkpoint: l.link }), { name: 'TaskHandedOverError' })
  assert.ok(snap != null)
  const resumed = link(0, {}, snap)
  const out = await runner.run(mod.bytes, { args: [N] }, limits, { checkpoint: resumed.link })
  assert.equal(text(out.stdout), plain)
})

test('a checkpoint taken on the way: the task runs on, and a run from the checkpoint gives the same output', async () => {
  const checkpoints: Uint8Array[] = []
  const l = link(CONTROL_CHECKPOINT, { onReply: r => { if (r.type === 'checkpoint') checkpoints.push(r.snapshot) } })
  const out = await runner.run(mod.bytes, { args: [N] }, limits, { checkpoint: l.link })
  assert.equal(text(out.stdout), plain)
  assert.equal(checkpoints.length, 1)
  const fromCp = link(0, {}, checkpoints[0])
  assert.equal(text((await runner.run(mod.bytes, { args: [N] }, limits, { checkpoint: fromCp.link })).stdout), plain)
})
