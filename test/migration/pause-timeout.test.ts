/**
 * A task that makes no WASI call for longer than the reply timeout (a loop without one) cannot be
 * stopped inside it: `migrate` fails with `PauseTimeoutError` and the task runs on. The request is
 * withdrawn from the control word, and if the task stops at a WASI call after all, it goes on at
 * once (before, the late pause found a stale waiter and the task waited forever).
 *
 * The service runs with its real outgoing and codec; the task's side (the checkpoint link a
 * worker thread would drive) is played by the test: it never answers the pause, then pauses late.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { initCoreWasm } from '../../core-wasm/index.ts'
import { encodeJobEntry, type JobEntry } from '../../core/jobs/entries.ts'
import { JobsState } from '../../core/jobs/state.ts'
import type { CheckpointLink } from '../../core/jobs/runner.ts'
import { decodeRequest, encodeResponse } from '../../core/migration/protocol-codec.ts'
import { createMigrationService } from '../../core/migration/service.ts'
import { CONTROL_NONE, CONTROL_PAUSE } from '../../core/migration/worker-run.ts'

const ME = '12D3KooWSourceSourceSourceSourceSourceSourceSource1'
const THEM = '12D3KooWTargetTargetTargetTargetTargetTargetTarget1'

test('a task that reaches no WASI call in time: PauseTimeoutError, the request withdrawn, a late pause goes on', async () => {
  await initCoreWasm()
  const state = new JobsState()
  const apply = (slot: number, e: JobEntry): void => { const { kind, data } = encodeJobEntry(e); assert.ok(state.apply({ slot, index: 0, author: ME, kind, data }).applied) }
  apply(1, { kind: 'job.submit', body: { at: 1000, module: 'a'.repeat(64), count: 1, replicas: 1, timeoutMs: 600_000, memoryBytes: 1 << 20, leaseTtlMs: 600_000 } })
  apply(2, { kind: 'job.claim', body: { at: 1001, job: '1.0', task: 0, replica: 0, capacity: 1 } })
  const asked: string[] = []
  const unused = async (): Promise<never> => { throw new Error('not used by this test') }
  const svc = createMigrationService({
    self: ME,
    handle: async () => {},
    unhandle: async () => {},
    // the target accepts and takes chunks; it never gets further in this test
    request: async (_peer, _protocol, payload) => {
      const req = decodeRequest(payload)
      asked.push(req.type)
      return encodeResponse(req.type === 'offer' ? { type: 'accept', have: [] } : req.type === 'chunks' ? { type: 'resend', hashes: [] } : { type: 'ok' })
    },
    jobs: { state, submit: unused },
    worker: () => ({ adopt: () => true, capacity: 1, active: [] }),
    fetchBlob: unused,
    putBlob: () => 'x',
    instrument: async () => ({ bytes: new Uint8Array(8), globals: [], originalBytes: 8 }),
    peers: () => [THEM]
  }, { replyTimeoutMs: 300, checkpointIntervalMs: 0, maxRounds: 0 })
  await svc.start()
  const prepared = await svc.hooks.prepare({ job: '1.0', task: 0, replica: 0, token: { epoch: 1, slot: 2 }, moduleId: 'a'.repeat(64), module: new Uint8Array(8) })
  assert.ok(prepared != null)
  const link: CheckpointLink = prepared.checkpoint
  const control = new Int32Array(link.spec.control)

  // the task is in a loop without WASI calls: it never reads the control word
  await assert.rejects(svc.migrate({ job: '1.0', task: 0 }, THEM), (e: Error) => e.name === 'PauseTimeoutError' && /WASI call/.test(e.message))
  assert.deepEqual(asked, ['offer', 'abort'], 'offered, then the target was told to drop the session')
  assert.equal(Atomics.load(control, 0), CONTROL_NONE, 'the pause request is withdrawn')
  assert.equal(svc.records.at(-1)?.status, 'failed')
  assert.deepEqual(svc.movable, ['1.0/0/0'], 'the task is still here, movable')

  // it reaches a WASI call after all and stops there (had it read the request): it goes on at once
  Atomics.store(control, 0, CONTROL_PAUSE)
  const delta = { memoryBytes: 0, chunkBytes: 8192, full: false, indices: new Uint32Array(0), hashes: new BigUint64Array(0), bytes: new Uint8Array(0) }
  const decision = await Promise.race([link.onPaused({ type: 'paused', snapshot: new Uint8Array([1, 2, 3]), delta }), new Promise(resolve => setTimeout(resolve, 5000, 'still waiting'))])
  assert.deepEqual(decision, { resume: true }, 'it goes on in its paused instance')
  await svc.stop()
})
