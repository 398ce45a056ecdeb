/**
 * A fake ordered log for tests of the job state machine: it numbers entries in slots (one entry
 * per slot) and applies each to three independent `JobsState` peers in order, checking they give
 * the same result — the property the ledger exists for.
 */
import assert from 'node:assert/strict'
import { encodeJobEntry, JobsState, type ApplyResult, type JobEntry } from '../../core/jobs/index.ts'

export class Log {
  readonly peers = [new JobsState(), new JobsState(), new JobsState()]
  slot = 0
  append (author: string, entry: JobEntry): ApplyResult & { slot: number } {
    const { kind, data } = encodeJobEntry(entry)
    const slot = this.slot++
    const results = this.peers.map(p => p.apply({ slot, index: 0, author, kind, data }))
    for (const r of results.slice(1)) assert.deepEqual(r, results[0], 'every peer applies an entry alike')
    return { ...results[0], slot }
  }

  get state (): JobsState { return this.peers[0] }
  agree (): void {
    const s = JSON.stringify(this.peers[0].snapshot())
    for (const p of this.peers.slice(1)) assert.equal(JSON.stringify(p.snapshot()), s)
  }
}
