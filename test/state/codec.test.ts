/**
 * The state wire codec (y-protocols sync/awareness inside /novacron/state/1.0.0): round trips,
 * a shared list of junk inputs and fast-check fuzzing of every reader, and a provider fed garbage
 * through an in-memory mesh (a test double of core/net's node, used only here) never throws.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import * as awarenessProtocol from 'y-protocols/awareness'
import * as syncProtocol from 'y-protocols/sync'
import * as Y from 'yjs'
import {
  encodeAwareness, encodeBatch, encodeStep1, encodeStep2, encodeUpdate, MAX_BATCH, MSG_AWARENESS, MSG_SYNC,
  readBatch, readFrame, SYNC_STEP1, SYNC_STEP2, SYNC_UPDATE
} from '../../core/state/codec.ts'
import { StateProvider, type StateMesh } from '../../core/state/provider.ts'
import { presenceList, readPresence } from '../../core/state/presence.ts'
import { waitFor } from '../_support/wait.ts'

const JUNK: Uint8Array[] = [
  new Uint8Array([]), new Uint8Array([0]), new Uint8Array([2]), new Uint8Array([0, 3, 0]), new Uint8Array([0, 0, 5, 1]),
  new Uint8Array([1, 200]), new Uint8Array([0, 1, 0, 99]), new Uint8Array([255, 255, 255, 255, 255, 255, 255, 255, 255, 1]),
  new Uint8Array([9, 1, 2, 3]), new Uint8Array(1000).fill(0xff)
]

function docWithText (text: string): Y.Doc {
  const d = new Y.Doc()
  d.getMap('m').set('k', text)
  return d
}

describe('state codec', () => {
  test('frames round-trip with y-protocols messages unchanged inside', () => {
    const d = docWithText('hello')
    const s1 = readFrame(encodeStep1(d))
    assert.ok(s1.type === MSG_SYNC && s1.step === SYNC_STEP1)
    assert.deepEqual(s1.stateVector, Y.encodeStateVector(d))
    const s2 = readFrame(encodeStep2(d, new Uint8Array([0])))
    assert.ok(s2.type === MSG_SYNC && s2.step === SYNC_STEP2)
    const other = new Y.Doc(); Y.applyUpdate(other, s2.update)
    assert.equal(other.getMap('m').get('k'), 'hello')
    const up = readFrame(encodeUpdate(new Uint8Array([1, 2, 3])))
    assert.ok(up.type === MSG_SYNC && up.step === SYNC_UPDATE); assert.deepEqual(up.update, new Uint8Array([1, 2, 3]))
    const aw = readFrame(encodeAwareness(new Uint8Array([7])))
    assert.ok(aw.type === MSG_AWARENESS); assert.deepEqual(aw.update, new Uint8Array([7]))
    // The bytes after our one-byte type are exactly a y-protocols sync message: y-protocols reads them.
    const fresh = new Y.Doc()
    syncProtocol.readSyncMessage(decoding.createDecoder(encodeStep2(d).subarray(1)), encoding.createEncoder(), fresh, null)
    assert.equal(fresh.getMap('m').get('k'), 'hello')
  })

  test('batches round-trip (property) and are bounded', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: MAX_BATCH }), frames => {
      assert.deepEqual(readBatch(encodeBatch(frames)), frames)
    }), { seed: 7, numRuns: 200 })
    assert.throws(() => encodeBatch(Array.from({ length: MAX_BATCH + 1 }, () => new Uint8Array())), RangeError)
    assert.throws(() => readBatch(new Uint8Array([MAX_BATCH + 1])), { name: 'StateProtocolError' })
    assert.throws(() => readFrame(new Uint8Array(100), 10), { name: 'MessageTooLargeError' })
    assert.throws(() => readFrame(new Uint8Array([...encodeUpdate(new Uint8Array([1])), 0])), { name: 'StateProtocolError' })
  })

  test('junk and random bytes: readers return or throw StateProtocolError, nothing else', () => {
    const check = (bytes: Uint8Array): void => {
      for (const read of [readFrame, readBatch]) {
        try { read(bytes) } catch (err) { assert.ok(['StateProtocolError', 'MessageTooLargeError'].includes((err as Error).name), (err as Error).name) }
      }
    }
    JUNK.forEach(check)
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), check), { seed: 11, numRuns: 2000 })
    // a frame that is a view into a larger buffer cannot read past its own end
    const big = new Uint8Array([0, 2, 50, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13])
    assert.throws(() => readFrame(big.subarray(0, 5)), { name: 'StateProtocolError' })
  })

  test('presence: one entry per peer, the newest client wins (a reloaded tab)', () => {
    const a = new awarenessProtocol.Awareness(new Y.Doc())
    const old = new awarenessProtocol.Awareness(new Y.Doc())
    const fresh = new awarenessProtocol.Awareness(new Y.Doc())
    try {
      a.setLocalState({ peerId: 'A', name: 'a', view: 'board', kind: 'node' })
      old.setLocalState({ peerId: 'T', name: 'tab', view: 'board', kind: 'browser' })
      fresh.setLocalState({ peerId: 'T', name: 'tab', view: 'memory', kind: 'browser' })
      awarenessProtocol.applyAwarenessUpdate(a, awarenessProtocol.encodeAwarenessUpdate(old, [old.clientID]), 'test')
      awarenessProtocol.applyAwarenessUpdate(a, awarenessProtocol.encodeAwarenessUpdate(fresh, [fresh.clientID]), 'test')
      const meta = a.meta.get(old.clientID)
      if (meta != null) meta.lastUpdated -= 1000 // the old client was heard from earlier
      const list = presenceList(a)
      assert.deepEqual(list.map(p => [p.peerId, p.view, p.self]), [['A', 'board', true], ['T', 'memory', false]])
    } finally {
      a.destroy(); old.destroy(); fresh.destroy()
    }
  })

  test('presence states from peers are read defensively', () => {
    assert.deepEqual(readPresence({ peerId: 'p', name: 'n', view: 'board', kind: 'node' }), { peerId: 'p', name: 'n', view: 'board', kind: 'node' })
    for (const bad of [null, 'x', { peerId: 1 }, { peerId: 'p', name: 'n'.repeat(100), view: 'v', kind: 'k' }]) assert.equal(readPresence(bad), null)
  })
})

/** Two providers joined by an in-memory mesh; `deliver` runs queued gossip in a seeded order. */
function pair (): { a: StateProvider, b: StateProvider, inject: (to: 'a' | 'b', data: Uint8Array) => void, request: (to: 'a' | 'b', data: Uint8Array) => Promise<Uint8Array> } {
  const handlers = new Map<string, (req: Uint8Array, ctx: { peerId: string }) => Promise<Uint8Array> | Uint8Array>()
  const subs = new Map<string, (msg: { from: string, data: Uint8Array }) => void>()
  const mesh = (self: string, other: string): StateMesh => ({
    peerId: self,
    handle: async (_p, h) => { handlers.set(self, h) },
    unhandle: async () => { handlers.delete(self) },
    request: async (peer, _p, payload) => await (handlers.get(peer) as NonNullable<ReturnType<typeof handlers.get>>)(payload, { peerId: self }),
    publish: async (_t, data) => { subs.get(other)?.({ from: self, data }) },
    subscribe: (_t, h) => { subs.set(self, h); return () => { subs.delete(self) } },
    onPeer: () => () => {},
    connectedPeers: () => [other]
  })
  const a = new StateProvider({ doc: new Y.Doc(), flushDelayMs: 0 }, { mesh: mesh('A', 'B') })
  const b = new StateProvider({ doc: new Y.Doc(), flushDelayMs: 0 }, { mesh: mesh('B', 'A') })
  return {
    a, b,
    inject: (to, data) => { subs.get(to === 'a' ? 'A' : 'B')?.({ from: 'EVIL', data }) },
    request: async (to, data) => await (handlers.get(to === 'a' ? 'A' : 'B') as NonNullable<ReturnType<typeof handlers.get>>)(data, { peerId: 'EVIL' })
  }
}

describe('state provider (in-memory mesh)', () => {
  test('handshake brings two diverged documents level, in both directions', async () => {
    const { a, b } = pair()
    a.doc.getMap('m').set('a', 1)
    b.doc.getMap('m').set('b', 2)
    await a.start(); await b.start()
    try {
      await a.syncWith('B')
      assert.deepEqual(a.doc.getMap('m').toJSON(), { a: 1, b: 2 })
      assert.deepEqual(b.doc.getMap('m').toJSON(), { a: 1, b: 2 })
    } finally {
      await a.stop(); await b.stop()
    }
  })

  test('fuzzed gossip and requests never throw and never corrupt the document', async () => {
    const { a, b, inject, request } = pair()
    await a.start(); await b.start()
    try {
    a.doc.getMap('m').set('x', 'kept')
    await a.syncWith('B')
    const before = JSON.stringify(b.doc.getMap('m').toJSON())
    const aw = new awarenessProtocol.Awareness(new Y.Doc())
    aw.setLocalState({ peerId: 'EVIL', name: 'x'.repeat(10), view: 'v', kind: 'node' })
    const validAwareness = awarenessProtocol.encodeAwarenessUpdate(aw, [aw.clientID])
    aw.destroy()
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), fc.nat(4), async (bytes, kind) => {
      const payload = [
        bytes,
        encodeUpdate(bytes),
        encodeAwareness(bytes),
        encodeBatch([encodeUpdate(bytes), encodeAwareness(validAwareness.slice(0, bytes.length % validAwareness.length))]),
        encodeBatch([encodeStep1(new Y.Doc()), bytes])
      ][kind]
      inject('b', payload)
      try { await request('b', payload) } catch (err) { assert.ok(['StateProtocolError', 'MessageTooLargeError'].includes((err as Error).name)) }
    }), { seed: 3, numRuns: 300 })
    assert.ok(b.stats.badMessages > 0)
    assert.equal(b.doc.getMap('m').get('x'), 'kept')
    assert.equal(JSON.stringify(b.doc.getMap('m').toJSON()), before)
    // and still replicates
    a.doc.getMap('m').set('y', 'after')
    await waitFor(() => b.doc.getMap('m').get('y') === 'after', { timeout: 5000 })
    } finally {
      await a.stop(); await b.stop()
    }
  })
})
