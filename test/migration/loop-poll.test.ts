/**
 * A loop that makes no WASI call can be paused (core/migration/loop-polls.ts): the runner's
 * instrumenting puts a poll point at every loop header, reached every `pollEvery` iterations, and
 * a pause lands there as it does at a WASI call.
 *
 * - spin (examples/jobs/spin.c: one line, a long pure compute loop, one line) in the Node task
 *   runner's worker threads, driven through the shared control word as a migration drives it: a
 *   memory copy (every chunk), then pauses until one lands at a poll point — inside the loop, with
 *   only the first line written; that task leaves, its memory is rebuilt from the copy and the
 *   pause's delta (what a target receives), and a new worker resumes it from there. The output is
 *   exactly the uninterrupted run's and the native build's.
 * - a hand-made module that loops forever and imports nothing (the WAT `loop br 0 end`) stops at a
 *   poll point, resumes in a fresh instance from its snapshot, and stops again.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { test } from 'node:test'
import type { CheckpointLink } from '../../core/jobs/runner.ts'
import { resolveLimits } from '../../core/jobs/task-types.ts'
import { POLL_CALL, runCheckpointable } from '../../core/migration/checkpoint-run.ts'
import { CONTROL_COPY_MEMORY, CONTROL_PAUSE } from '../../core/migration/worker-run.ts'
import { decodeSnapshot, encodeSnapshot, encodeSnapshotWith } from '../../core/migration/snapshot-codec.ts'
import { PreCopySender } from '../../core/migration/precopy.ts'
import { exampleWasm, examplePath } from '../jobs/_examples.ts'
import { loopModule } from '../_support/wasm-builder.ts'
import { runnerFixture } from './_runner-fixture.ts'

/** ~0.5 s of loop instrumented here: long enough that the pauses land inside it */
const N = '100000000'
const limits = { memoryBytes: 16 * 1024 * 1024, timeoutMs: 120_000 }
const text = (b: Uint8Array): string => new TextDecoder().decode(b)
const f = runnerFixture(exampleWasm('spin'), [N], limits)

test('every loop header gets a poll point; the walk knows every expression of a clang module', () => {
  assert.equal(f.plain, execFileSync(examplePath('spin', 'native'), [N]).toString('utf8'))
  assert.match(f.plain, /^spin 100000000\ndone 100000000 sum [0-9a-f]{16} table [0-9a-f]{16}\n$/)
  assert.ok(f.mod.polls != null && f.mod.polls.loops >= 2, `spin's loops and libc's have poll points (${f.mod.polls?.loops ?? 0})`)
  assert.equal(f.mod.polls.opaque, 0)
})

test('spin paused at a poll point inside its loop, rebuilt from a copy and the delta, resumes in a new worker with exactly the output', async () => {
  const sender = new PreCopySender()
  const sab = new SharedArrayBuffer(4)
  const control = new Int32Array(sab)
  Atomics.store(control, 0, CONTROL_COPY_MEMORY)
  const pausedIn: string[] = []
  let moved: Uint8Array | undefined
  let stdoutAtPause = ''
  const link: CheckpointLink = {
    spec: { globals: f.mod.globals, control: sab },
    onReply: r => {
      if (r.type !== 'memory') return
      sender.apply(r.delta)
      Atomics.store(control, 0, CONTROL_PAUSE)
    },
    onPaused: async reply => {
      const plan = sender.apply(reply.delta)
      const s = decodeSnapshot(reply.snapshot, { detachedMemory: true })
      pausedIn.push(s.pausedIn)
      if (s.pausedIn !== POLL_CALL) {
        // a WASI call before the loop: go on and ask again
        Atomics.store(control, 0, CONTROL_PAUSE)
        return { resume: true }
      }
      stdoutAtPause = text(s.stdout)
      moved = encodeSnapshotWith(s, plan.totalBytes, dst => {
        for (let i = 0, off = 0; off < dst.length; i++) { const c = sender.chunkAt(i); if (c == null) throw new RangeError(`chunk ${i} is not mirrored`); dst.set(c, off); off += c.length }
      })
      return { leave: 'rebuilt elsewhere' }
    }
  }
  await assert.rejects(f.runner.run(f.mod.bytes, { args: [N] }, limits, { checkpoint: link }), { name: 'TaskHandedOverError' })
  assert.equal(pausedIn.at(-1), POLL_CALL, `paused in ${pausedIn.join(', ')}`)
  assert.equal(stdoutAtPause, `spin ${N}\n`, 'inside the loop: its first line written, not its last')
  assert.ok(moved != null)
  const resumed: CheckpointLink = { spec: { globals: f.mod.globals, control: new SharedArrayBuffer(4), from: moved }, onReply: () => {}, onPaused: async () => ({ leave: 'unexpected pause' }) }
  assert.equal(text((await f.runner.run(f.mod.bytes, { args: [N] }, limits, { checkpoint: resumed })).stdout), f.plain)
})

test('a module that loops forever and imports nothing stops at a poll point, and again after a resume in a fresh instance', async () => {
  const loop = await f.instrumenter.instrument(loopModule())
  assert.equal(loop.polls?.loops, 1)
  const small = resolveLimits({ memoryBytes: 1 << 20 })
  const first = await runCheckpointable(loop, {}, small, { shouldPause: at => at.name === POLL_CALL })
  assert.equal(first.kind, 'paused')
  if (first.kind !== 'paused') return
  assert.equal(first.snapshot.pausedIn, POLL_CALL)
  const snap = decodeSnapshot(encodeSnapshot(first.snapshot))
  let polls = 0
  const again = await runCheckpointable(loop, {}, small, { from: snap, shouldPause: at => ++polls === 3 })
  assert.equal(again.kind, 'paused', 'it runs on from the snapshot and stops at its third poll')
  if (again.kind !== 'paused') return
  assert.equal(again.snapshot.calls, snap.calls + 3)
})
