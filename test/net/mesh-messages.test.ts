/**
 * onMeshMessage (core/net/mesh-messages.ts): what a peer does with the mesh's own pubsub messages,
 * on a real TopologyView with the real codec; the node's other parts are recorded. The live
 * behaviour (a closed tab dropped through its bootstrap's list, goodbyes, broadcasts) is covered by
 * test/net/mesh.test.ts and departure.test.ts.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Message } from '@libp2p/gossipsub'
import { onMeshMessage, type MeshMessageParts } from '../../core/net/mesh-messages.ts'
import { TopologyView } from '../../core/net/topology.ts'
import { encodeMessage, MSG_BROADCAST, MSG_LEAVE, MSG_TOPOLOGY, type MeshMessage, type TopologyMessage } from '../../core/net/mesh-codec.ts'
import { BROADCAST_TOPIC, TOPOLOGY_TOPIC } from '../../core/net/topics.ts'

const SELF = '12D3KooWHXR8HYW3w36jSJPdoA9NxsA22GgctbCP4XBLKGwzzNFN'
const BOOT = '12D3KooWDWjt7WDpp2bnxtxQe8NhoXGV8hKUFzGYWCnQs5VtQ2jY'
const PEER = '12D3KooWQxixrrjGFAfkNi8GR6LPDrbsCx2Con7NZJkDy2MHpLvm'
const OTHER = '12D3KooWJDXJKgfX8w2SLfmNuTDsNYgBDNvbthksDMb7DrX1k31H'

function signed (from: string, topic: string, m: MeshMessage | Uint8Array): Message {
  const data = m instanceof Uint8Array ? m : encodeMessage(m)
  return { type: 'signed', from: peerIdFromString(from), topic, data, sequenceNumber: 1n, signature: new Uint8Array(64), key: undefined } as unknown as Message
}

function node () {
  const view = new TopologyView(SELF, 60_000)
  const seen = { gone: [] as string[], hungUp: [] as string[], broadcasts: [] as string[], delivered: [] as string[], viewChanges: 0 }
  const stats = { badMessages: 0 }
  const parts: MeshMessageParts = {
    view,
    guard: { meshMessage: () => undefined },
    vouches: { vouch: () => false },
    appTopics: { deliver: msg => { seen.delivered.push(`${msg.topic}<-${msg.from}`) } },
    bootstrapIds: new Set([BOOT]),
    checkGone: id => { seen.gone.push(id) },
    hangUp: async id => { seen.hungUp.push(id) },
    broadcast: (from, text) => { seen.broadcasts.push(`${from}:${text}`) },
    viewChanged: () => { seen.viewChanges++ },
    stats,
    log: Object.assign(() => {}, { enabled: false, trace: () => {}, error: () => {}, newScope: () => { throw new Error('unused') } }) as never
  }
  return { view, seen, stats, handle: (msg: Message) => { onMeshMessage(parts, msg) } }
}

const topology = (seq: number, neighbours: string[], role: TopologyMessage['role'] = 'peer'): TopologyMessage => ({ type: MSG_TOPOLOGY, role, seq, neighbours: neighbours.map(peerId => ({ peerId, transport: 'webrtc' })) })

test('a bootstrap\'s list that no longer names a peer has that peer checked; another peer\'s list does not', () => {
  const n = node()
  n.handle(signed(BOOT, TOPOLOGY_TOPIC, topology(1, [PEER, OTHER], 'bootstrap')))
  n.handle(signed(PEER, TOPOLOGY_TOPIC, topology(1, [OTHER])))
  assert.deepEqual([...n.view.snapshot().peers.map(p => p.peerId)].sort(), [BOOT, PEER].sort())
  n.handle(signed(PEER, TOPOLOGY_TOPIC, topology(2, [])))
  assert.deepEqual(n.seen.gone, [], 'a plain peer dropping a neighbour says nothing about it')
  n.handle(signed(BOOT, TOPOLOGY_TOPIC, topology(2, [PEER], 'bootstrap')))
  assert.deepEqual(n.seen.gone, [OTHER])
  assert.equal(n.seen.viewChanges, 4)
  n.handle(signed(BOOT, TOPOLOGY_TOPIC, topology(2, [PEER], 'bootstrap')))
  assert.equal(n.seen.viewChanges, 4, 'a repeated announcement changes nothing')
})

test('a goodbye drops its author and closes our links to it; a broadcast reaches the listeners', () => {
  const n = node()
  n.handle(signed(PEER, TOPOLOGY_TOPIC, topology(1, [])))
  n.handle(signed(PEER, BROADCAST_TOPIC, { type: MSG_BROADCAST, text: 'hello' }))
  n.handle(signed(PEER, TOPOLOGY_TOPIC, { type: MSG_LEAVE }))
  assert.deepEqual(n.seen.broadcasts, [`${PEER}:hello`])
  assert.deepEqual(n.seen.hungUp, [PEER])
  assert.equal(n.view.get(PEER), undefined)
})

test('unsigned and undecodable mesh messages are counted and dropped; other topics go to the application', () => {
  const n = node()
  n.handle({ type: 'unsigned', topic: TOPOLOGY_TOPIC, data: encodeMessage(topology(1, [])) } as Message)
  n.handle(signed(PEER, TOPOLOGY_TOPIC, new Uint8Array([0xff, 0xff, 0xff])))
  assert.equal(n.stats.badMessages, 2)
  assert.equal(n.view.get(PEER), undefined)
  n.handle(signed(PEER, 'novacron/app/1', new Uint8Array([1])))
  n.handle({ type: 'unsigned', topic: 'novacron/app/1', data: new Uint8Array([1]) } as Message)
  assert.deepEqual(n.seen.delivered, [`novacron/app/1<-${PEER}`], 'an unsigned app message has no author to deliver under')
})
