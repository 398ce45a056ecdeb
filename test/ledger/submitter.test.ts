/**
 * The submitter's batching (core/ledger/submitter.ts): entries submitted in one synchronous loop —
 * as `ledger.submitMany` does, or any caller's loop — leave in one microblock, not the first alone
 * and the rest a decision later; a microblock holds at most `maxBatchBytes` of entries; an entry
 * submitted alone leaves alone, within a microtask.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Microblock } from '../../core/ledger/codec.ts'
import { realClock } from '../../core/ledger/live-replica.ts'
import { Submitter } from '../../core/ledger/submitter.ts'
import { waitFor } from '../_support/wait.ts'
import { seededKey } from './_memnet.ts'

async function submitter (maxBatchBytes: number, sent: Microblock[]): Promise<Submitter> {
  return new Submitter({
    self: 'me', privateKey: await seededKey('submitter batching'), clock: realClock, maxBatchBytes: () => maxBatchBytes, submitTimeoutMs: 5_000,
    lastSeq: () => -1, dispatch: mb => { sent.push(mb) }, ready: () => true, log: () => {}
  })
}

const note = (i: number): { kind: string, data: Uint8Array } => ({ kind: 'note', data: new TextEncoder().encode(JSON.stringify({ i })) })

test('entries submitted in one loop leave in one microblock', async () => {
  const sent: Microblock[] = []
  const s = await submitter(36_864, sent)
  const waiting = Array.from({ length: 300 }, (_, i) => s.submit(note(i)).catch(() => undefined))
  await waitFor(() => sent.length >= 1, { timeout: 10_000, message: 'a microblock dispatched' })
  assert.equal(sent[0].entries.length, 300, `the first microblock holds ${sent[0].entries.length} of 300 entries`)
  assert.equal(s.pending, 300)
  await Promise.all(waiting) // time out (nothing commits here) so no timer is left behind
})

test('a loop larger than maxBatchBytes fills the first microblock to the cap', async () => {
  const sent: Microblock[] = []
  const s = await submitter(1024, sent)
  const waiting = Array.from({ length: 300 }, (_, i) => s.submit(note(i)).catch(() => undefined))
  await waitFor(() => sent.length >= 1, { timeout: 10_000, message: 'a microblock dispatched' })
  const bytes = sent[0].entries.reduce((a, e) => a + e.data.length + e.kind.length + 8, 0)
  assert.ok(sent[0].entries.length > 1 && bytes <= 1024, `${sent[0].entries.length} entries, ${bytes} bytes`)
  await Promise.all(waiting)
})

test('an entry submitted alone leaves alone, and the next one rides the following microblock', async () => {
  const sent: Microblock[] = []
  const s = await submitter(36_864, sent)
  const first = s.submit(note(0)).catch(() => undefined)
  await waitFor(() => sent.length >= 1, { timeout: 10_000, message: 'a microblock dispatched' })
  assert.equal(sent[0].entries.length, 1)
  // one microblock in flight per author: a later entry waits for it (it times out here)
  const second = s.submit(note(1)).catch(() => undefined)
  await new Promise(resolve => { queueMicrotask(() => { resolve(undefined) }) })
  assert.equal(sent.length, 1, 'the second entry waits while the first microblock is in flight')
  assert.equal(s.pending, 2)
  await Promise.all([first, second])
})
