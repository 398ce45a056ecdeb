/**
 * The state wire codec (/novacron/state/2.0.0: signed entries, entry vectors, y-protocols awareness): round trips,
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
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import {
  encodeAwareness, encodeBatch, encodeEntries, encodeEntry, encodeStep1, entrySigningBytes, MAX_BATCH, MSG_AWARENESS, MSG_ENTRIES, MSG_STEP1,
  readBatch, readEntry, readFrame
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
  test('frames and entries round-trip', () => {
    const v = new Map([[1, 3], [2 ** 53 - 1, 0]])
    const s1 = readFrame(encodeStep1(v))
    assert.ok(s1.type === MSG_STEP1); assert.deepEqual(s1.vector, v)
    const sig = new Uint8Array(64).fill(7)
    const entry = encodeEntry('12D3KooWtest', 42, 5, new Uint8Array([1, 2, 3]), sig)
    const e = readEntry(entry)
    assert.deepEqual([e.author, e.session, e.seq, [...e.update], [...e.sig]], ['12D3KooWtest', 42, 5, [1, 2, 3], [...sig]])
    // the signed bytes are the entry without its signature, behind a domain string
    const signed = entrySigningBytes('12D3KooWtest', 42, 5, new Uint8Array([1, 2, 3]))
    assert.deepEqual(signed.subarray(signed.length - (entry.length - 64)), entry.subarray(0, entry.length - 64))
    const f = readFrame(encodeEntries([entry, entry]))
    assert.ok(f.type === MSG_ENTRIES); assert.deepEqual(f.entries, [entry, entry])
    const aw = readFrame(encodeAwareness(new Uint8Array([7])))
    assert.ok(aw.type === MSG_AWARENESS); assert.deepEqual(aw.update, new Uint8Array([7]))
    assert.throws(() => readEntry(entry.subarray(0, entry.length - 1)), { name: 'StateProtocolError' })
    assert.throws(() => readEntry(new Uint8Array([...entry, 0])), { name: 'StateProtocolError' })
    assert.throws(() => encodeEntry('a', 1, 1, new Uint8Array(), new Uint8Array(63)), RangeError)
  })

  test('batches round-trip (property) and are bounded', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: MAX_BATCH }), frames => {
      assert.deepEqual(readBatch(encodeBatch(frames)), frames)
    }), { seed: 7, numRuns: 200 })
    assert.throws(() => encodeBatch(Array.from({ length: MAX_BATCH + 1 }, () => new Uint8Array())), RangeError)
    assert.throws(() => readBatch(new Uint8Array([MAX_BATCH + 1])), { name: 'StateProtocolError' })
    assert.throws(() => readFrame(new Uint8Array(100), 10), { name: 'MessageTooLargeError' })
    assert.throws(() => readFrame(new Uint8Array([...encodeAwareness(new Uint8Array([1])), 0])), { name: 'StateProtocolError' })
  })

  test('junk and random bytes: readers return or throw StateProtocolError, nothing else', () => {
    const check = (bytes: Uint8Array): void => {
      for (const read of [readFrame, readBatch, readEntry]) {
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

interface Pair {
  a: StateProvider
  b: StateProvider
  ids: { A: string, B: string }
  inject: (to: 'a' | 'b', data: Uint8Array) => void
  request: (to: 'a' | 'b', data: Uint8Array) => Promise<Uint8Array>
  /** Whether each side knows the other subscribed (gossip reaches only a known subscriber). */
  known: { A: boolean, B: boolean }
  /** Tells `self` that the other side subscribed to the state topic. */
  subscribed: (self: 'A' | 'B') => void
}

/** Two providers joined by an in-memory mesh (gossip is delivered at once, to a known subscriber). */
async function pair (): Promise<Pair> {
  const known = { A: true, B: true }
  const onSubscribe = new Map<string, (peer: string) => void>()
  const handlers = new Map<string, (req: Uint8Array, ctx: { peerId: string }) => Promise<Uint8Array> | Uint8Array>()
  const subs = new Map<string, (msg: { from: string, data: Uint8Array }) => void>()
  const keys = { A: await generateKeyPair('Ed25519'), B: await generateKeyPair('Ed25519') }
  const ids = { A: peerIdFromPrivateKey(keys.A).toString(), B: peerIdFromPrivateKey(keys.B).toString() }
  const mesh = (self: 'A' | 'B', other: 'A' | 'B'): StateMesh => ({
    peerId: ids[self],
    sign: data => keys[self].sign(data),
    handle: async (_p, h) => { handlers.set(self, h) },
    unhandle: async () => { handlers.delete(self) },
    request: async (peer, _p, payload) => await (handlers.get(peer === ids.A ? 'A' : 'B') as NonNullable<ReturnType<typeof handlers.get>>)(payload, { peerId: ids[self] }),
    publish: async (_t, data) => {
      if (!known[self]) return []
      subs.get(other)?.({ from: ids[self], data })
      return [ids[other]]
    },
    subscribe: (_t, h) => { subs.set(self, h); return () => { subs.delete(self) } },
    onPeer: () => () => {},
    onSubscribe: (_t, fn) => { onSubscribe.set(self, fn); return () => { onSubscribe.delete(self) } },
    connectedPeers: () => [ids[other]]
  })
  const a = new StateProvider({ doc: new Y.Doc(), flushDelayMs: 0 }, { mesh: mesh('A', 'B') })
  const b = new StateProvider({ doc: new Y.Doc(), flushDelayMs: 0 }, { mesh: mesh('B', 'A') })
  return {
    a, b, ids, known,
    subscribed: self => { known[self] = true; onSubscribe.get(self)?.(ids[self === 'A' ? 'B' : 'A']) },
    inject: (to, data) => { subs.get(to === 'a' ? 'A' : 'B')?.({ from: 'EVIL', data }) },
    request: async (to, data) => await (handlers.get(to === 'a' ? 'A' : 'B') as NonNullable<ReturnType<typeof handlers.get>>)(data, { peerId: 'EVIL' })
  }
}

describe('state provider (in-memory mesh)', () => {
  test('handshake brings two diverged documents level, in both directions', async () => {
    const { a, b, ids } = await pair()
    a.doc.getMap('m').set('a', 1)
    b.doc.getMap('m').set('b', 2)
    await a.start(); await b.start()
    try {
      await a.syncWith(ids.B)
      assert.deepEqual(a.doc.getMap('m').toJSON(), { a: 1, b: 2 })
      assert.deepEqual(b.doc.getMap('m').toJSON(), { a: 1, b: 2 })
    } finally {
      await a.stop(); await b.stop()
    }
  })

  test('a local write gossiped before the other side\'s subscription was known reaches it when the subscription arrives, once', async () => {
    const { a, b, ids, known, subscribed } = await pair()
    known.A = false // a new link: A does not yet know that B subscribed
    await a.start(); await b.start()
    try {
      await a.syncWith(ids.B) // the handshake on connect, before the write
      a.doc.getMap('m').set('early', 1)
      await waitFor(() => a.stats.gossipSent >= 1, { timeout: 5000, message: 'A gossiped its write' })
      assert.equal(b.doc.getMap('m').get('early'), undefined) // it reached nobody
      subscribed('A')
      await waitFor(() => b.doc.getMap('m').get('early') === 1, { timeout: 5000, message: 'B caught up' })
      assert.equal(a.stats.catchUps, 1)
      // B is covered now: another subscription event (a re-subscribe) costs nothing
      const syncs = a.stats.syncs
      subscribed('A')
      assert.equal(a.stats.catchUps, 1)
      // and a write gossiped to B directly is not handed over again either
      a.doc.getMap('m').set('later', 2)
      await waitFor(() => b.doc.getMap('m').get('later') === 2, { timeout: 5000, message: 'gossip reached B' })
      subscribed('A')
      assert.equal(a.stats.catchUps, 1)
      assert.equal(a.stats.syncs, syncs)
    } finally {
      await a.stop(); await b.stop()
    }
  })

  test('fuzzed gossip and requests never throw and never corrupt the document', async () => {
    const { a, b, ids, inject, request } = await pair()
    await a.start(); await b.start()
    try {
    a.doc.getMap('m').set('x', 'kept')
    await a.syncWith(ids.B)
    const before = JSON.stringify(b.doc.getMap('m').toJSON())
    const aw = new awarenessProtocol.Awareness(new Y.Doc())
    aw.setLocalState({ peerId: 'EVIL', name: 'x'.repeat(10), view: 'v', kind: 'node' })
    const validAwareness = awarenessProtocol.encodeAwarenessUpdate(aw, [aw.clientID])
    aw.destroy()
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), fc.nat(4), async (bytes, kind) => {
      const payload = [
        bytes,
        encodeEntries([bytes]),
        encodeAwareness(bytes),
        encodeBatch([encodeEntries([encodeEntry('12D3KooWevil', 1, 0, bytes, new Uint8Array(64))]), encodeAwareness(validAwareness.slice(0, bytes.length % validAwareness.length))]),
        encodeBatch([encodeStep1(new Map([[1, 2]])), bytes])
      ][kind]
      inject('b', payload)
      try { await request('b', payload) } catch (err) { assert.ok(['StateProtocolError', 'MessageTooLargeError', 'RateLimitedError'].includes((err as Error).name), (err as Error).name) }
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
