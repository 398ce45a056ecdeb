/**
 * Auto-converge (issue 20): a migration whose pre-copy does not converge slows the task.
 * - The task side (core/migration/checkpoint-run.ts `throttle`): a throttled task sleeps its share
 *   of the time at WASI calls, the sleeps are not on its monotonic clock (a task pacing itself by
 *   that clock does not catch up), and its output is exactly the unthrottled one. In the Node task
 *   runner the sleeps are not charged against the task's wall-clock limit either: a task whose
 *   sleeps alone exceed its limit finishes (the worker counts them in the control word's fifth
 *   element, the runner leaves them out), and with no counter the same run times out.
 * - The source side (core/migration/outgoing.ts): rounds that do not shrink raise the throttle
 *   step by step instead of stopping pre-copy, and it is set back to 0 when the move fails; over a
 *   path slower than the task dirties memory the throttle is set while a round is still going out
 *   (`convergeRatio`, auto-converge from the first round: round-budget.ts `throttleFor`), and the
 *   rounds then shrink.
 */
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { initCoreWasm } from '../../core-wasm/index.ts'
import { runInSandbox } from '../../core/jobs/sandbox.ts'
import { resolveLimits } from '../../core/jobs/task-types.ts'
import { runCheckpointable } from '../../core/migration/checkpoint-run.ts'
import { DirtyTracker } from '../../core/migration/dirty.ts'
import { migrateOut, type OutgoingContext } from '../../core/migration/outgoing.ts'
import { decodeRequest, encodeResponse } from '../../core/migration/protocol-codec.ts'
import { createInstrumenter } from '../../node-runtime/migration/instrumenter.ts'
import { createNodeTaskRunner } from '../../node-runtime/jobs/runner.ts'
import type { CheckpointLink } from '../../core/jobs/runner.ts'
import type { InstrumentedModule } from '../../core/migration/instrument.ts'
import { exampleWasm } from '../jobs/_examples.ts'
import { seededInts } from '../_support/seeded-bytes.ts'

const N = '20000000' // ~0.3 s, 200 progress lines
const limits = resolveLimits({ memoryBytes: 16 * 1024 * 1024 })
const text = (b: Uint8Array): string => new TextDecoder().decode(b)
const instrumenter = createInstrumenter()
after(async () => { await instrumenter.stop() })

test('a throttled task sleeps most of its time, not on its clock, and its output is exact', async () => {
  const counter = exampleWasm('counter')
  const plain = text((await runInSandbox(counter, { args: [N] }, limits)).stdout)
  const mod = await instrumenter.instrument(counter)
  const t0 = performance.now()
  const paused = await runCheckpointable(mod, { args: [N] }, limits, { throttle: () => 80, shouldPause: at => at.calls === 150 })
  const wallMs = performance.now() - t0
  assert.equal(paused.kind, 'paused')
  if (paused.kind !== 'paused') return
  const clockMs = Number(paused.snapshot.clockNs) / 1e6
  assert.ok(clockMs * 2 < wallMs, `at 80 % the task's clock (${clockMs.toFixed(0)} ms) is well under the wall time (${wallMs.toFixed(0)} ms): the sleeps are not on it`)
  const done = await paused.resume()
  assert.equal(done.kind, 'done')
  if (done.kind === 'done') assert.equal(text(done.output.stdout), plain)
})

test('the throttle\'s sleeps are not charged against the wall-clock limit; without the counter the same run times out', async () => {
  const counter = exampleWasm('counter')
  const runner = await createNodeTaskRunner({ capacity: 1 })
  let mod: InstrumentedModule
  try {
    mod = await instrumenter.instrument(counter)
    const unthrottled = await runner.run(mod.bytes, { args: [N] }, limits, { checkpoint: link(0).link })
    const plain = text(unthrottled.stdout)
    // at 95 % the task sleeps 10–19× its run time (measured: 11× under load): the limit, 3× the
    // unthrottled run's, is far below what the sleeps take and far above what the run itself takes
    const timeoutMs = Math.round(Math.max(1000, 3 * unthrottled.runMs))
    const counted = link(95)
    const out = await runner.run(mod.bytes, { args: [N] }, { ...limits, timeoutMs }, { checkpoint: { ...counted.link, sleptMs: () => Atomics.load(counted.control, 4) } })
    assert.equal(text(out.stdout), plain)
    const slept = Atomics.load(counted.control, 4)
    assert.ok(slept > timeoutMs, `the sleeps (${slept} ms) alone exceed the limit (${timeoutMs} ms)`)
    await assert.rejects(runner.run(mod.bytes, { args: [N] }, { ...limits, timeoutMs }, { checkpoint: link(95).link }), { name: 'JobTimeoutError' }, 'a runner not told the sleeps charges them')
  } finally {
    runner.stop()
  }

  /** a checkpoint link whose control word has the throttle at `pct` and room for the sleep counter */
  function link (pct: number): { link: CheckpointLink, control: Int32Array } {
    const sab = new SharedArrayBuffer(20)
    const control = new Int32Array(sab)
    Atomics.store(control, 3, pct)
    return { control, link: { spec: { globals: mod.globals, control: sab }, onReply: () => {}, onPaused: async () => ({ leave: 'unexpected pause' }) } }
  }
})

test('rounds that do not shrink raise the throttle step by step; a failed move sets it back to 0', async () => {
  await initCoreWasm()
  const memory = new Uint8Array(1 << 20)
  const r = seededInts(7)
  const scribble = (pages: number): void => { for (let k = 0; k < pages; k++) memory[(r() % 256) * 4096 + (r() % 4096)] ^= 1 + (r() % 255) }
  scribble(4096)
  const tracker = new DirtyTracker() // the chunk size the offer announces (4 KiB)
  const throttles: number[] = []
  const ctx: OutgoingContext = {
    self: 'src',
    // the target takes every chunk; the task "ends" at the pause: the move fails after pre-copy
    request: async (_peer, payload) => encodeResponse(decodeRequest(payload).type === 'offer' ? { type: 'accept', have: [] } : { type: 'resend', hashes: [] }),
    submitHandover: async () => ({ handedOver: false }),
    // the task rewrites about the same share of memory whatever the round sent: never converges
    copyMemory: async () => { scribble(40); return tracker.delta(memory, 1) },
    pause: async () => undefined,
    decide: () => {},
    throttle: pct => { throttles.push(pct) },
    log: () => {}
  }
  const err = await migrateOut(ctx, { id: 'm', job: '1.0', task: 0, replica: 0, token: { epoch: 1, slot: 2 } }, ['dst'], { throttleAbove: 0, convergeRatio: 0 }).then(() => undefined, (e: unknown) => e)
  assert.ok(err instanceof Error)
  assert.deepEqual(throttles.slice(0, 1), [50], `the first stalled round throttles to 50 % (${throttles.join(', ')})`)
  assert.ok(throttles.every((p, i) => i === 0 || p > throttles[i - 1] || (i === throttles.length - 1 && p === 0)), `the throttle only rises, then goes back to 0: ${throttles.join(', ')}`)
  assert.equal(throttles.at(-1), 0)
})

test('a round that did not shrink but is small stops pre-copy without throttling', async () => {
  await initCoreWasm()
  const memory = new Uint8Array(1 << 20)
  const r = seededInts(9)
  const random = (end: number): void => { for (let i = 0; i < end; i += 4) new DataView(memory.buffer).setUint32(i, r()) }
  random(memory.length)
  const tracker = new DirtyTracker() // the chunk size the offer announces (4 KiB)
  const throttles: number[] = []
  let copies = 0
  const ctx: OutgoingContext = {
    self: 'src',
    request: async (_peer, payload) => encodeResponse(decodeRequest(payload).type === 'offer' ? { type: 'accept', have: [] } : { type: 'resend', hashes: [] }),
    submitHandover: async () => ({ handedOver: false }),
    copyMemory: async () => { if (copies++ > 0) random(65536); return tracker.delta(memory, 1) }, // the same 64 KiB rewritten each round
    pause: async () => undefined,
    decide: () => {},
    throttle: pct => { throttles.push(pct) },
    log: () => {}
  }
  await migrateOut(ctx, { id: 'm', job: '1.0', task: 0, replica: 0, token: { epoch: 1, slot: 2 } }, ['dst'], {}).catch(() => {})
  assert.deepEqual(throttles, [], 'never throttled: 64 KiB rounds are under the default 4 MiB')
  assert.equal(copies, 3, `the whole memory, then 64 KiB twice: the second is not smaller, and pre-copy stops (${copies} copies)`)
})

test('over a path slower than the task dirties memory, the throttle is set while a round goes out, and the rounds shrink', async () => {
  await initCoreWasm()
  const pages = 1024 // 4 MiB of 4 KiB pages
  const memory = new Uint8Array(pages * 4096)
  const r = seededInts(11)
  // the task dirties pages at a steady rate on its own clock, which its throttle slows (as dirty.c
  // paces itself by CLOCK_MONOTONIC, which leaves the throttle's sleeps out)
  let throttle = 0
  let clock = performance.now()
  let owed = 0
  const PAGES_PER_MS = 1 // ~4 MB/s of pages: about what the link below carries
  const run = (): void => {
    const now = performance.now()
    owed += (now - clock) * PAGES_PER_MS * (1 - throttle / 100)
    clock = now
    // the LCG's high bits (its low ones cycle: every page once per 1024 writes)
    for (; owed >= 1; owed--) memory[((r() >>> 12) % pages) * 4096 + ((r() >>> 12) % 4096)] ^= 1 + ((r() >>> 12) % 255)
  }
  for (let i = 0; i < memory.length; i += 4) new DataView(memory.buffer).setUint32(i, r())
  const tracker = new DirtyTracker()
  const throttles: Array<{ pct: number, round: number, batchesBefore: number }> = []
  const batches: number[] = [] // chunk requests per round
  const ctx: OutgoingContext = {
    self: 'src',
    // a link of ~64 KiB per 16 ms (~4 MB/s): each chunk request waits for its bytes
    request: async (_peer, payload) => {
      const req = decodeRequest(payload)
      if (req.type === 'chunks') {
        batches[batches.length - 1]++
        await new Promise(resolve => setTimeout(resolve, Math.ceil(payload.length / 4096)))
      }
      run()
      return encodeResponse(req.type === 'offer' ? { type: 'accept', have: [] } : { type: 'resend', hashes: [] })
    },
    submitHandover: async () => ({ handedOver: false }),
    copyMemory: async () => { run(); batches.push(0); return tracker.delta(memory, 1) },
    pause: async () => undefined, // the move fails after pre-copy: the throttle goes back to 0
    decide: () => {},
    throttle: pct => { throttle = pct; throttles.push({ pct, round: batches.length, batchesBefore: batches.at(-1) ?? 0 }) },
    log: () => {}
  }
  const err = await migrateOut(ctx, { id: 'm', job: '1.0', task: 0, replica: 0, token: { epoch: 1, slot: 2 } }, ['dst'], { throttleAbove: 0, batchBytes: 64 * 1024, maxRounds: 5 }).then(() => undefined, (e: unknown) => e)
  assert.ok(err instanceof Error)
  console.log(`# chunk requests per round ${batches.join(', ')}; throttles ${throttles.map(t => `${t.pct} % (round ${t.round}, after ${t.batchesBefore})`).join(', ')}`)
  const first = throttles[0]
  assert.ok(first != null && first.pct > 0, `throttled (${JSON.stringify(throttles)})`)
  // the first delta is all of memory (no rate yet); the second gives the rate, and the throttle is
  // set after that round's first batches, not once the whole round has gone out
  assert.equal(first.round, 2, `set during the second round (${JSON.stringify(throttles)}; batches ${batches.join(', ')})`)
  assert.ok(first.batchesBefore < batches[1], `set while the round's chunks still went out (${first.batchesBefore} of ${batches[1]} batches)`)
  assert.ok(throttles.every((t, i) => i === 0 || t.pct > throttles[i - 1].pct || (i === throttles.length - 1 && t.pct === 0)), `the throttle only rises, then goes back to 0: ${throttles.map(t => t.pct).join(', ')}`)
  assert.equal(throttles.at(-1)?.pct, 0)
  // with the throttle the third round is well under the second (unthrottled it would be about as large)
  assert.ok(batches[2] < 0.75 * batches[1], `rounds shrink once throttled: ${batches.join(", ")} batches; throttles ${JSON.stringify(throttles)}`)
})
