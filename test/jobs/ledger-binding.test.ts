/**
 * core/jobs/ledger-binding.ts against a stand-in ledger (this file's `FakeLedger`: an EventTarget
 * that orders submissions into one-entry blocks and runs the registered validators the way the
 * ledger's chain does): the seven kinds are registered, malformed bytes are refused by the
 * validator, committed job entries reach `JobsState` in order, and jobs-level refusals are
 * reported, not thrown.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { bindJobs, type JobEvent } from '../../core/jobs/index.ts'
import type { CommittedEntry } from '../../core/ledger/types.ts'

type Listener = (e: CustomEvent<{ height: number, entries: CommittedEntry[] }>) => void

class FakeLedger {
  readonly kinds = new Map<string, (data: Uint8Array, author: string) => string | null>()
  private readonly target = new EventTarget()
  height = 0
  constructor (readonly self: string) {}
  registerKind (kind: string, validate: (data: Uint8Array, author: string) => string | null): void { this.kinds.set(kind, validate) }
  addEventListener (type: 'commit', listener: Listener): void { this.target.addEventListener(type, listener as EventListener) }
  removeEventListener (type: 'commit', listener: Listener): void { this.target.removeEventListener(type, listener as EventListener) }
  async submit (entry: { kind: string, data: Uint8Array }): Promise<CommittedEntry> { return await this.submitAs(entry, this.self) }
  async submitAs (entry: { kind: string, data: Uint8Array }, author: string): Promise<CommittedEntry> {
    const refusal = this.kinds.get(entry.kind)?.(entry.data, author) ?? null
    const committed: CommittedEntry = {
      slot: this.height++, index: 0, epoch: 0, kind: entry.kind, author, data: entry.data, summary: entry.kind, committedAt: 0, applied: refusal == null,
      ...(refusal != null ? { refusal } : {})
    }
    this.target.dispatchEvent(new CustomEvent('commit', { detail: { height: committed.slot, entries: [committed] } }))
    return committed
  }
}

test('job kinds are registered, validated, and their commits drive JobsState', async () => {
  const ledger = new FakeLedger('alice')
  const seen: Array<{ events: JobEvent[], refusal?: string }> = []
  const jobs = bindJobs(ledger, undefined, (events, _entry, refusal) => { seen.push({ events, ...(refusal != null ? { refusal } : {}) }) })
  assert.deepEqual([...ledger.kinds.keys()].sort(), ['job.cancel', 'job.checkpoint', 'job.claim', 'job.fetched', 'job.handover', 'job.renew', 'job.result', 'job.submit'])

  const bad = await ledger.submit({ kind: 'job.submit', data: new TextEncoder().encode('{"at":1}') })
  assert.equal(bad.applied, false)
  assert.match(bad.refusal ?? '', /must be/)
  assert.equal(seen.length, 0, 'an entry the ledger refused never reaches the state machine')

  const s = await jobs.submit({ kind: 'job.submit', body: { at: 1000, module: 'b'.repeat(64), count: 1, replicas: 1, timeoutMs: 1000, memoryBytes: 65536, leaseTtlMs: 5000 } })
  const job = `${s.slot}.0`
  assert.equal(jobs.state.jobs.get(job)?.tasks.length, 1)
  const claim = await ledger.submitAs({ kind: 'job.claim', data: new TextEncoder().encode(JSON.stringify({ at: 1100, job, task: 0, replica: 0, capacity: 1 })) }, 'w1')
  const again = await ledger.submitAs({ kind: 'job.claim', data: new TextEncoder().encode(JSON.stringify({ at: 1200, job, task: 0, replica: 0, capacity: 1 })) }, 'w2')
  assert.equal(claim.applied && again.applied, true, 'both are well-formed ledger entries')
  assert.equal(seen.at(-2)?.events[0]?.type, 'claimed')
  assert.match(seen.at(-1)?.refusal ?? '', /slot leased/, 'the second is refused by the jobs layer, alike on every peer')
  jobs.unbind()
  await ledger.submit({ kind: 'job.cancel', data: new TextEncoder().encode(JSON.stringify({ at: 1300, job })) })
  assert.equal(jobs.state.jobs.get(job)?.status, 'active', 'unbound: commits no longer applied')
})
