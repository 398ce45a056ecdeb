/**
 * Work the ledger starts without awaiting it (sync pulls, microblock checks, consensus frames) runs
 * through `background()`: a failure is counted as `internalError` and logged, and never becomes an
 * unhandled rejection, which would end a Node peer (Node's default) whatever a peer sent.
 */
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { MemNet, ready, seededKey } from './_memnet.ts'

const net = new MemNet(21)
after(async () => { await net.stopAll() })

test('a failing background task is counted and logged, not an unhandled rejection', async () => {
  await ready()
  const key = await seededKey('background genesis')
  const id = peerIdFromPrivateKey(key).toString()
  const { node } = await net.add('background genesis', { genesisPeerId: id }, { key })
  const unhandled: unknown[] = []
  const onUnhandled = (reason: unknown): void => { unhandled.push(reason) }
  process.on('unhandledRejection', onUnhandled)
  try {
    const before = node.status().rejected.internalError ?? 0
    ;(node as unknown as { background: (what: string, work: Promise<unknown>) => void }).background('test work', Promise.reject(new Error('boom')))
    // unhandled rejections are reported after the microtask queue drains: give it two macrotasks
    await new Promise(resolve => setImmediate(resolve))
    await new Promise(resolve => setImmediate(resolve))
    assert.equal(node.status().rejected.internalError, before + 1)
    assert.deepEqual(unhandled, [])
  } finally {
    process.off('unhandledRejection', onUnhandled)
  }
})
