/**
 * Whether a target has room for an arriving task (core/migration/service.ts, `hasRoom`): a claim
 * of its own still in flight for a slot another peer already holds has lost (it is only
 * unwinding) and takes no task slot — mesh.test.ts's SIGTERM case once failed with "at capacity"
 * because the staying peer's losing claim on the leaving peer's job was still settling — while a
 * claim in flight for a slot nobody holds yet, or a task it runs, still counts.
 */
import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { initCoreWasm } from '../../core-wasm/index.ts'
import { encodeJobEntry, type JobEntry } from '../../core/jobs/entries.ts'
import { JobsState } from '../../core/jobs/state.ts'
import type { InstrumentedModule } from '../../core/migration/instrument.ts'
import { decodeResponse, encodeRequest, MIGRATION_PROTOCOL } from '../../core/migration/protocol-codec.ts'
import { createMigrationService } from '../../core/migration/service.ts'

const SRC = '12D3KooWSourceSourceSourceSourceSourceSourceSource1'
const ME = '12D3KooWTargetTargetTargetTargetTargetTargetTarget1'

before(async () => { await initCoreWasm() })

async function offerWith (active: string[]): Promise<{ type: string, reason?: string }> {
  const state = new JobsState()
  const apply = (slot: number, author: string, e: JobEntry): void => { const { kind, data } = encodeJobEntry(e); assert.ok(state.apply({ slot, index: 0, author, kind, data }).applied) }
  for (const [slot, job] of [[1, '1.0'], [3, '3.0']] as const) {
    apply(slot, SRC, { kind: 'job.submit', body: { at: 1000, module: 'a'.repeat(64), count: 1, replicas: 1, timeoutMs: 60_000, memoryBytes: 1 << 20, leaseTtlMs: 60_000 } })
    if (job === '1.0') apply(2, SRC, { kind: 'job.claim', body: { at: 1001, job, task: 0, replica: 0, capacity: 1 } })
  }
  let handler: ((req: Uint8Array, ctx: { peerId: string }) => Promise<Uint8Array>) | undefined
  const service = createMigrationService({
    self: ME,
    handle: async (protocol, h) => { if (protocol === MIGRATION_PROTOCOL) handler = h },
    unhandle: async () => {},
    request: async () => { throw new Error('no network in this test') },
    jobs: { state, submit: async () => { throw new Error('no ledger in this test') } },
    worker: () => ({ active, capacity: 1, adopt: () => false }),
    fetchBlob: async () => new Uint8Array([0, 97, 115, 109]),
    putBlob: () => 'x',
    instrument: async () => ({ bytes: new Uint8Array(0), globals: [] }) as unknown as InstrumentedModule,
    peers: () => []
  }, { checkpointIntervalMs: 0 })
  await service.start()
  assert.ok(handler != null)
  const res = decodeResponse(await handler(encodeRequest({ type: 'offer', id: 'm1', job: '1.0', task: 0, replica: 0, token: { epoch: 1, slot: 2 }, memoryBytes: 0, chunkBytes: 4096 }), { peerId: SRC }))
  await service.stop()
  return res as { type: string, reason?: string }
}

test('a losing claim of ours on a slot another peer holds leaves room; a pending or running one does not', async () => {
  assert.equal((await offerWith([])).type, 'accept')
  assert.equal((await offerWith(['1.0/0/0'])).type, 'accept', 'our claim on the offered slot itself lost: SRC holds it')
  const pending = await offerWith(['3.0/0/0'])
  assert.equal(pending.type, 'refuse', 'a claim on a slot nobody holds yet may still win')
  assert.match(pending.reason ?? '', /^at capacity/)
})
