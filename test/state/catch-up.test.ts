/**
 * Catch-up (core/state/catch-up.ts): a linked subscriber that our own gossip missed — gossipsub had
 * no stream to it at that moment — gets the entries by a handshake shortly after, one handshake
 * however many writes missed it; a peer that got them, or is not linked, costs nothing. First with
 * providers over the in-memory mesh double (gossip to one peer dropped, as with no stream), then
 * the rules alone.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import * as Y from 'yjs'
import { Board } from '../../core/state/board.ts'
import { CatchUp } from '../../core/state/catch-up.ts'
import { StateProvider } from '../../core/state/provider.ts'
import { waitFor } from '../_support/wait.ts'
import { loopMesh, type LoopNode } from './_loop-mesh.ts'
import { seededBytes } from './_helpers.ts'

test('entries whose gossip missed a linked subscriber reach it by one handshake, however many there were', async () => {
  const nodes: LoopNode[] = []
  const meshA = await loopMesh(nodes)
  const meshB = await loopMesh(nodes)
  const b = meshB.node.id
  // A's gossip never reaches B, but A knows B is linked and subscribed (no stream to it)
  const publish = meshA.publish
  let muted = true
  meshA.publish = async (topic, data) => {
    if (!muted) return await publish(topic, data)
    return []
  }
  meshA.subscribers = () => [b]
  const docA = new Y.Doc()
  const docB = new Y.Doc()
  const init = { resyncIntervalMs: 600_000, catchUpDelayMs: 200 }
  const pa = new StateProvider({ doc: docA, ...init }, { mesh: meshA })
  const pb = new StateProvider({ doc: docB, ...init }, { mesh: meshB })
  await pa.start()
  await pb.start()
  try {
    const boardA = new Board({ doc: docA, actor: 'a', random: seededBytes(1) })
    const boardB = new Board({ doc: docB, actor: 'b', random: seededBytes(2) })
    const made: string[] = []
    for (let i = 0; i < 5; i++) {
      made.push(boardA.create({ title: `missed ${i}` }).id)
      await pa.settled()
    }
    await waitFor(() => made.every(id => boardB.list().some(x => x.id === id)), { timeout: 10_000, message: () => `B to hold A's 5 issues (has ${boardB.list().length}, catch-ups ${pa.stats.catchUps})` })
    assert.equal(pa.stats.catchUps, 1, 'one handshake for the five entries')
    // gossip that reached B costs nothing more
    muted = false
    meshA.subscribers = () => [b]
    const seen = boardA.create({ title: 'gossiped' }).id
    await waitFor(() => boardB.list().some(x => x.id === seen), { timeout: 10_000, message: 'the gossiped issue at B' })
    assert.equal(pa.stats.catchUps, 1)
  } finally {
    await pa.stop()
    await pb.stop()
  }
})

function rules (over: { subscribers?: string[] | undefined, linked?: string[] } = {}): { up: CatchUp, synced: string[] } {
  const synced: string[] = []
  const up = new CatchUp({
    sync: peer => { synced.push(peer) },
    subscribers: () => 'subscribers' in over ? over.subscribers : ['p', 'q', 'r'],
    linked: () => over.linked ?? ['p', 'q', 'r'],
    isStarted: () => true,
    counted: () => {}
  }, 20)
  return { up, synced }
}

test('only linked subscribers that were not recipients are caught up, once per peer', async () => {
  const { up, synced } = rules({ linked: ['p', 'q'] })
  up.gossiped(up.next(), ['p'])
  up.gossiped(up.next(), ['p'])
  // q missed both (one check), r is not linked
  assert.equal(up.pending, 1)
  await waitFor(() => synced.length === 1, { timeout: 5000, message: 'q caught up' })
  assert.deepEqual(synced, ['q'])
  // a handshake already covered it: the delayed check does nothing
  up.gossiped(up.next(), ['p'])
  up.handshakeStarting('q')
  await waitFor(() => up.pending === 0, { timeout: 5000, message: 'check ran' })
  assert.deepEqual(synced, ['q'])
})

test('a subscription after missed gossip is caught up; nothing is done without a subscriber list, after forget or stop', async () => {
  const { up, synced } = rules()
  up.subscribed('p')
  assert.deepEqual(synced, [], 'nothing written yet')
  up.next()
  up.subscribed('p')
  assert.deepEqual(synced, ['p'])
  const none = rules({ subscribers: undefined })
  none.up.gossiped(none.up.next(), [])
  assert.equal(none.up.pending, 0)
  const gone = rules()
  gone.up.gossiped(gone.up.next(), [])
  assert.equal(gone.up.pending, 3)
  gone.up.forget('p')
  assert.equal(gone.up.pending, 2)
  gone.up.stop()
  assert.equal(gone.up.pending, 0)
})
