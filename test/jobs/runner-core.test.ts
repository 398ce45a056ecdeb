/**
 * core/jobs/runner.ts, the platform-neutral pool, with scripted workers (this file's `spawn`
 * stand-ins; the real worker threads and Web Workers are tested in sandbox.test.ts and
 * browser-runner.test.ts): a spawn that throws, a worker that never loads, a worker that dies,
 * a reply for a task, capacity and FIFO order, that every worker is terminated, and that an
 * abort signal terminates a running task's worker (TaskAbortedError).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createTaskRunner, JobMemoryError, type SpawnTaskWorker, type TaskWorkerEvents } from '../../core/jobs/index.ts'

const MOD = Uint8Array.of(0, 0x61, 0x73, 0x6d)
const output = (tag: string): { exitCode: number, stdout: Uint8Array, stderr: Uint8Array, memoryBytes: number, runMs: number } =>
  ({ exitCode: 0, stdout: new TextEncoder().encode(tag), stderr: new Uint8Array(0), memoryBytes: 65536, runMs: 1 })

test('a spawn that throws and a worker that never loads are JobWorkerErrors', async () => {
  const throwing = createTaskRunner(() => { throw new Error('no threads left') })
  await assert.rejects(throwing.run(MOD), { name: 'JobWorkerError', message: /could not be started: no threads left/ })
  assert.equal(throwing.running, 0)
  let terminated = 0
  const silent = createTaskRunner(() => ({ post: () => {}, terminate: () => { terminated++ } }), { startTimeoutMs: 50 })
  await assert.rejects(silent.run(MOD), { name: 'JobWorkerError', message: /did not start within 50 ms/ })
  assert.equal(terminated, 1)
})

test('a worker failure passes its typed error through; replies resolve in FIFO order within capacity', async () => {
  const dying = createTaskRunner((_l, ev) => { queueMicrotask(() => { ev.failure(new JobMemoryError('heap')) }); return { post: () => {}, terminate: () => {} } })
  await assert.rejects(dying.run(MOD), { name: 'JobMemoryError' })

  const pending: Array<{ ev: TaskWorkerEvents, tag: string }> = []
  let live = 0
  let maxLive = 0
  let terminated = 0
  const spawn: SpawnTaskWorker = (_limits, ev) => {
    live++
    maxLive = Math.max(maxLive, live)
    queueMicrotask(() => { ev.message({ type: 'ready' }) })
    return {
      post: msg => { pending.push({ ev, tag: msg.type === 'run' ? msg.task.args?.[0] ?? '' : '' }) },
      terminate: () => { terminated++; live-- }
    }
  }
  const runner = createTaskRunner(spawn, { capacity: 2 })
  const runs = ['a', 'b', 'c', 'd'].map(tag => runner.run(MOD, { args: [tag] }))
  const answer = async (): Promise<void> => {
    while (pending.length === 0) await new Promise(resolve => setImmediate(resolve))
    const p = pending.shift()
    p?.ev.message({ type: 'done', output: output(p.tag) })
  }
  for (let i = 0; i < 4; i++) await answer()
  const outs = await Promise.all(runs)
  assert.deepEqual(outs.map(o => new TextDecoder().decode(o.stdout)), ['a', 'b', 'c', 'd'])
  assert.equal(maxLive, 2, 'never more workers than the capacity')
  assert.equal(terminated, 4, 'every worker is terminated after its task')
})

test('an abort signal terminates the running task\'s worker with a TaskAbortedError; an aborted one never spawns', async () => {
  let spawned = 0
  let terminated = 0
  let posted = 0
  const runner = createTaskRunner((_l, ev) => {
    spawned++
    queueMicrotask(() => { ev.message({ type: 'ready' }) })
    return { post: () => { posted++ }, terminate: () => { terminated++ } } // never answers: a long task
  })
  const ctrl = new AbortController()
  const run = runner.run(MOD, {}, { timeoutMs: 60_000 }, { signal: ctrl.signal })
  while (posted === 0) await new Promise(resolve => setImmediate(resolve))
  ctrl.abort(new Error('lease lost'))
  await assert.rejects(run, { name: 'TaskAbortedError', message: /lease lost/ })
  assert.equal(terminated, 1)
  assert.equal(runner.running, 0)
  await assert.rejects(runner.run(MOD, {}, {}, { signal: ctrl.signal }), { name: 'TaskAbortedError' })
  assert.equal(spawned, 1, 'an already aborted task starts no worker')
})
