/**
 * The offer stage of an outgoing migration (core/migration/outgoing.ts): a target that could not be
 * reached once (a fresh dial to a tab whose link had just closed timed out: seen in
 * test/migration/tab.test.ts) is asked again once, and the error names every attempt. The transport is a
 * stand-in that answers from a script; nothing else of the migration runs (no target accepts).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MigrationFailedError } from '../../core/migration/errors.ts'
import { migrateOut, type OutgoingContext } from '../../core/migration/outgoing.ts'
import { decodeRequest, encodeResponse } from '../../core/migration/protocol-codec.ts'

function context (answers: Array<Error | string>): { ctx: OutgoingContext, asked: string[] } {
  const asked: string[] = []
  const ctx: OutgoingContext = {
    self: 'source',
    request: async (peer, payload) => {
      asked.push(`${peer} ${decodeRequest(payload).type}`)
      const a = answers.shift() ?? 'no more answers'
      if (a instanceof Error) throw a
      return encodeResponse({ type: 'refuse', reason: a })
    },
    submitHandover: async () => { throw new Error('not reached') },
    copyMemory: async () => { throw new Error('not reached') },
    pause: async () => { throw new Error('not reached') },
    decide: () => { throw new Error('not reached') },
    log: () => {}
  }
  return { ctx, asked }
}

const task = { id: 'm1', job: '4.0', task: 0, replica: 0, token: { epoch: 1, slot: 5 } }

test('an offer that failed in transport is sent again; a refusal that is an answer is not', async () => {
  const { ctx, asked } = context([new DOMException('The operation was aborted due to timeout', 'TimeoutError'), 'at capacity: no free task slot'])
  const err = await migrateOut(ctx, task, ['tab'], {}).then(() => undefined, (e: unknown) => e)
  assert.ok(err instanceof MigrationFailedError)
  assert.deepEqual(asked, ['tab offer', 'tab offer'], 'asked again after the timeout, not after the refusal')
  assert.match(err.message, /tab: TimeoutError: The operation was aborted due to timeout; tab: at capacity/)
})

test('a target that cannot be reached twice is left for the next one (a leaving peer has a short grace period)', async () => {
  const down = (): Error => Object.assign(new Error('dial failed'), { name: 'DialError' })
  const { ctx, asked } = context([down(), down(), 'busy: too many migrations arriving'])
  const err = await migrateOut(ctx, task, ['a', 'b'], {}).then(() => undefined, (e: unknown) => e)
  assert.ok(err instanceof MigrationFailedError)
  assert.deepEqual(asked, ['a offer', 'a offer', 'b offer'])
})
