/**
 * Pause and resume across worker threads (issue 20, step 1): the counter (examples/jobs/counter.c),
 * instrumented once by the peer's instrumenter thread (cached by module hash), runs in the Node
 * task runner's worker threads. The owner asks for a memory copy (every chunk: a new epoch) and
 * then a pause (the chunks changed since) through the shared control word; the paused task goes on
 * in its own worker (the runner's `onPaused`), or leaves (`TaskHandedOverError`) and a later run
 * starts in a fresh worker from the memory rebuilt from the copy and the pause's delta, or from a
 * pause's whole snapshot (also after a `prepare` request: the full delta written into the buffer
 * made ready ahead); a checkpoint taken on the way lets a third run start from it. Every way ends
 * with exactly the output of an uninterrupted run.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { CheckpointLink } from '../../core/jobs/runner.ts'
import { CONTROL_CHECKPOINT, CONTROL_COPY_MEMORY, CONTROL_PAUSE, CONTROL_PREPARE } from '../../core/migration/worker-run.ts'
import { decodeSnapshot, encodeSnapshotWith } from '../../core/migration/snapshot-codec.ts'
import { wholeSnapshot } from '../../core/migration/dirty.ts'
import { PreCopySender } from '../../core/migration/precopy.ts'
import type { MemoryDelta } from '../../core/jobs/worker-protocol.ts'
import { exampleWasm } from '../jobs/_examples.ts'
import { runnerFixture } from './_runner-fixture.ts'
import { waitFor } from '../_support/wait.ts'

/**
 * steps of the counter: long enough (~0.3 s here) that a pause the test asks for when the worker's
 * memory copy reaches it lands before the task ends — at 400,000 (~5 ms) CI once saw the task finish
 * first under load, so the pause never came
 */
const N = '20000000'
const limits = { memoryBytes: 16 * 1024 * 1024, timeoutMs: 120_000 }
const counter = exampleWasm('counter')
const text = (b: Uint8Array): string => new TextDecoder().decode(b)
const f = runnerFixture(counter, [N], limits)

/** A link whose control word starts at `first`; each memory copy and pause goes to the callbacks. */
function link (first: number, on: Partial<Pick<CheckpointLink, 'onReply' | 'onPaused'>>, from?: Uint8Array): { link: CheckpointLink, control: Int32Array } {
  const sab = new SharedArrayBuffer(4)
  const control = new Int32Array(sab)
  Atomics.store(control, 0, first)
  return {
    control,
    link: {
      spec: { globals: f.mod.globals, control: sab, ...(from != null ? { from } : {}) },
      onReply: on.onReply ?? (() => {}),
      onPaused: on.onPaused ?? (async () => ({ leave: 'unexpected pause' }))
    }
  }
}

test('binaryen runs once per module: the second request is the cached result', async () => {
  const again = await f.instrumenter.instrument(counter)
  assert.equal(again, f.mod)
  assert.equal(f.instrumenter.passes, 1)
})

test('a task paused after a memory copy goes on in its own worker with exactly the uninterrupted output', async () => {
  const deltas: MemoryDelta[] = []
  let pauses = 0
  const l = link(CONTROL_COPY_MEMORY, {
    onReply: r => {
      if (r.type !== 'memory') return
      deltas.push(r.delta)
      Atomics.store(l.control, 0, CONTROL_PAUSE) // after the copy, stop it
    },
    onPaused: async reply => {
      pauses++
      deltas.push(reply.delta)
      const s = decodeSnapshot(reply.snapshot, { detachedMemory: true })
      assert.ok(s.calls >= 2 && s.stdout.length < f.plain.length, 'paused mid-run, after the copy')
      assert.equal(s.memory.length, 0, 'the paused snapshot comes without memory')
      return { resume: true }
    }
  })
  const out = await f.runner.run(f.mod.bytes, { args: [N] }, limits, { checkpoint: l.link })
  assert.equal(pauses, 1)
  const [copy, last] = deltas
  assert.ok(copy.full && copy.memoryBytes >= 65536 && copy.memoryBytes % 65536 === 0 && copy.bytes.length === copy.memoryBytes, 'the first copy lists every chunk')
  assert.ok(!last.full && last.bytes.length < last.memoryBytes, `the pause sends only the chunks changed since the copy (${last.bytes.length} of ${last.memoryBytes} bytes)`)
  assert.equal(text(out.stdout), f.plain)
})

test('the memory rebuilt from a copy and the pause\'s delta resumes the task in a new worker with exactly the output', async () => {
  const sender = new PreCopySender()
  let paused: Uint8Array | undefined
  let lastFull = true
  const l = link(CONTROL_COPY_MEMORY, {
    onReply: r => {
      if (r.type !== 'memory') return
      sender.apply(r.delta)
      Atomics.store(l.control, 0, CONTROL_PAUSE)
    },
    onPaused: async reply => {
      const plan = sender.apply(reply.delta)
      lastFull = reply.delta.full
      paused = encodeSnapshotWith(decodeSnapshot(reply.snapshot, { detachedMemory: true }), plan.totalBytes, dst => {
        for (let i = 0, off = 0; off < dst.length; i++) { const c = sender.chunkAt(i); if (c == null) throw new RangeError(`chunk ${i} is not mirrored`); dst.set(c, off); off += c.length }
      })
      return { leave: 'rebuilt elsewhere' }
    }
  })
  await assert.rejects(f.runner.run(f.mod.bytes, { args: [N] }, limits, { checkpoint: l.link }), { name: 'TaskHandedOverError' })
  assert.ok(paused != null)
  assert.equal(lastFull, false)
  const resumed = link(0, {}, paused)
  assert.equal(text((await f.runner.run(f.mod.bytes, { args: [N] }, limits, { checkpoint: resumed.link })).stdout), f.plain)
})

test('a paused task that leaves rejects with TaskHandedOverError; a fresh run from its snapshot finishes it', async () => {
  let snap: Uint8Array | undefined
  const l = link(CONTROL_PAUSE, { onPaused: async s => { snap = wholeSnapshot(s); return { leave: 'moved elsewhere' } } })
  l.link.onResumed = () => { assert.fail('a run not restored from a snapshot says nothing of resuming') }
  await assert.rejects(f.runner.run(f.mod.bytes, { args: [N] }, limits, { checkpoint: l.link }), { name: 'TaskHandedOverError' })
  assert.ok(snap != null)
  const resumed = link(0, {}, snap)
  resumed.link.moveFrom = true
  let resumedReplies = 0
  resumed.link.onResumed = () => { resumedReplies++ }
  const out = await f.runner.run(f.mod.bytes, { args: [N] }, limits, { checkpoint: resumed.link })
  assert.equal(text(out.stdout), f.plain)
  assert.equal(snap.byteLength, 0, 'the snapshot was moved to the worker (moveFrom), not cloned')
  assert.equal(resumedReplies, 1, 'the restored run said once that it runs again')
})

test('a checkpoint taken on the way: the task runs on, and a run from the checkpoint gives the same output', async () => {
  const checkpoints: Uint8Array[] = []
  const l = link(CONTROL_CHECKPOINT, { onReply: r => { if (r.type === 'checkpoint') checkpoints.push(r.snapshot) } })
  const out = await f.runner.run(f.mod.bytes, { args: [N] }, limits, { checkpoint: l.link })
  assert.equal(text(out.stdout), f.plain)
  assert.equal(checkpoints.length, 1)
  const fromCp = link(0, {}, checkpoints[0])
  assert.equal(text((await f.runner.run(f.mod.bytes, { args: [N] }, limits, { checkpoint: fromCp.link })).stdout), f.plain)
})

test('a run from a snapshot takes a warm worker and restores into its ready instance, with exactly the output; one that does not fit starts fresh', async () => {
  let snap: Uint8Array | undefined
  let memoryPages = 0
  const l = link(CONTROL_PAUSE, {})
  l.link.spec.control = new SharedArrayBuffer(12) // the worker publishes the memory size in element 2
  const control = new Int32Array(l.link.spec.control)
  Atomics.store(control, 0, CONTROL_PAUSE)
  l.link.onPaused = async s => { memoryPages = Atomics.load(control, 2); snap = wholeSnapshot(s); return { leave: 'moved elsewhere' } }
  await assert.rejects(f.runner.run(f.mod.bytes, { args: [N] }, limits, { checkpoint: l.link }), { name: 'TaskHandedOverError' })
  assert.ok(snap != null)
  const memoryBytes = decodeSnapshot(snap).memory.length
  assert.equal(memoryPages * 65536, memoryBytes, 'control[2] held the memory size in pages')

  const runFrom = async (warmBytes: number): Promise<{ out: string, warm: boolean | undefined, spent: boolean }> => {
    const warm = f.runner.warm({ module: f.mod.bytes, limits, memoryBytes: warmBytes })
    const r = link(0, {}, (snap as Uint8Array).slice())
    let resumedWarm: boolean | undefined
    r.link.onResumed = w => { resumedWarm = w }
    r.link.warm = warm
    const out = text((await f.runner.run(f.mod.bytes, { args: [N] }, limits, { checkpoint: r.link })).stdout)
    return { out, warm: resumedWarm, spent: warm.spent }
  }
  const fits = await runFrom(memoryBytes)
  assert.equal(fits.out, f.plain)
  assert.equal(fits.warm, true, 'restored into the warm instance')
  assert.ok(fits.spent)
  const larger = await runFrom(memoryBytes + 65536) // memory never shrinks: an instance larger than the snapshot's cannot hold it
  assert.equal(larger.out, f.plain)
  assert.equal(larger.warm, false, 'a fresh instance')

  const unused = f.runner.warm({ module: f.mod.bytes, limits, memoryBytes })
  const other = link(0, {}, (snap as Uint8Array).slice())
  other.link.warm = unused
  assert.equal(text((await f.runner.run(f.mod.bytes, { args: [N] }, { ...limits, memoryBytes: 2 * limits.memoryBytes }, { checkpoint: other.link })).stdout), f.plain, 'made for other limits: a fresh worker runs it')
  assert.ok(unused.spent, 'and the warm one is released')
})

test('after a prepare request, a stop-and-copy pause (a new epoch: every chunk) resumes elsewhere with exactly the output', async () => {
  let snap: Uint8Array | undefined
  let full = false
  const sab = new SharedArrayBuffer(8)
  const control = new Int32Array(sab)
  Atomics.store(control, 0, CONTROL_PREPARE)
  const l: CheckpointLink = {
    spec: { globals: f.mod.globals, control: sab },
    onReply: () => {},
    onPaused: async s => { full = s.delta.full; snap = wholeSnapshot(s); return { leave: 'moved elsewhere' } }
  }
  const run = f.runner.run(f.mod.bytes, { args: [N] }, limits, { checkpoint: l })
  // the worker takes the prepare request at its next call; then the pause, under a new epoch
  await waitFor(() => Atomics.load(control, 0) !== CONTROL_PREPARE, { interval: 5, message: 'the worker took the prepare request' })
  Atomics.add(control, 1, 1)
  Atomics.store(control, 0, CONTROL_PAUSE)
  await assert.rejects(run, { name: 'TaskHandedOverError' })
  assert.ok(full, 'the pause under a new epoch lists every chunk')
  assert.ok(snap != null)
  const resumed = link(0, {}, snap)
  assert.equal(text((await f.runner.run(f.mod.bytes, { args: [N] }, limits, { checkpoint: resumed.link })).stdout), f.plain)
})
