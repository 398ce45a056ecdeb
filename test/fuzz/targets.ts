/**
 * The fuzz targets: every wire decoder a peer's bytes reach, with valid seed encodings built by
 * the matching encoder, the typed errors it may throw, and how many mutated inputs it gets per
 * `npm test` run (115,000 in total; LZ4 frames also get their own 100,000 in
 * test/wasm/lz4-fuzz.test.ts). Decoders with a fuzz loop of their own: the ledger codec (12 readers ×
 * 10,000 in test/ledger/codec.test.ts), blobs (test/blobs/codec.test.ts), job results
 * (test/jobs/clock-result.test.ts) and job entries (test/jobs/state.test.ts).
 */
import * as Y from 'yjs'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { encodeMessage, MSG_BROADCAST, MSG_LEAVE, MSG_TOPOLOGY, readMeshMessage } from '../../core/net/mesh-codec.ts'
import { readPeerAnnouncement } from '../../core/net/discovery-codec.ts'
import { decodeFrames, decodeResponse, encodeFrame, encodeResponse, FrameDecoder } from '../../core/net/frame-codec.ts'
import { encodeAwareness, encodeBatch, encodeEntries, encodeEntry, encodeStep1, readBatch, readEntry, readFrame } from '../../core/state/codec.ts'
import {
  MSG_COMMIT, MSG_PREPARE, readMessage, seal, writeDecisionBody, writeDecisionRequestBody, writeHeaderBody, writeNewViewBody,
  writePropose, writeViewChangeBody, writeVoteBody
} from '../../core/consensus/codec.ts'
import { createRng, decodeUpdate, encodeUpdate, topK, type Compressor } from '../../core/learning/index.ts'
import { compressFrame, decodeDelta, decodeRecipe, decompressFrame, encodeDelta, encodeRecipe, createDelta, initCoreWasm } from '../../core-wasm/index.ts'
import { readMessage as readLiveMessage, writeMessage as writeLiveMessage } from '../../core/learning/live/codec.ts'
import { quantisedStep } from '../../core/learning/live/aggregate-round.ts'
import { applyDelta } from '../../core/learning/live/delta.ts'
import { peerAnnouncement } from '../_support/stock-node.ts'
import type { FuzzTarget } from './harness.ts'

const MESH_ERRORS = ['MalformedMessageError', 'FrameTooLargeError', 'TruncatedFrameError']
const bytes = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 131 + seed * 17) & 0xff)

function meshTarget (): FuzzTarget {
  const id = (i: number): string => `12D3KooW${'abcdefghij'[i % 10].repeat(44)}`
  return {
    name: 'mesh gossip (topology, leave, broadcast)',
    seeds: [
      encodeMessage({ type: MSG_TOPOLOGY, role: 'peer', seq: 1_733_000_000_000, neighbours: [{ peerId: id(1), transport: 'webrtc', rttMs: 12 }, { peerId: id(2), transport: 'relayed' }] }),
      encodeMessage({ type: MSG_TOPOLOGY, role: 'bootstrap', seq: 7, neighbours: [] }),
      encodeMessage({ type: MSG_LEAVE }),
      encodeMessage({ type: MSG_BROADCAST, text: 'hello mesh ✓' })
    ],
    decode: readMeshMessage,
    errors: MESH_ERRORS,
    iterations: 25_000
  }
}

async function discoveryTarget (): Promise<FuzzTarget> {
  const key = await generateKeyPair('Ed25519')
  const id = peerIdFromPrivateKey(key).toString()
  return {
    name: 'peer discovery announcement',
    seeds: [
      peerAnnouncement(key.publicKey, [multiaddr(`/ip4/127.0.0.1/tcp/7421/ws/p2p/${id}`).bytes, multiaddr(`/ip4/127.0.0.1/tcp/7421/ws/p2p/${id}/p2p-circuit/webrtc`).bytes]),
      peerAnnouncement(key.publicKey, [])
    ],
    decode: readPeerAnnouncement,
    errors: MESH_ERRORS,
    iterations: 10_000
  }
}

function frameTarget (): FuzzTarget {
  const max = 4096
  return {
    name: 'request/response frames',
    seeds: [
      encodeFrame(encodeResponse({ ok: true, payload: bytes(40, 1) }), max),
      encodeFrame(encodeResponse({ ok: false, message: 'RemoteError: nope' }), max),
      encodeFrame(encodeResponse({ ok: true, payload: bytes(300, 2) }), max),
      encodeFrame(encodeResponse({ ok: true, payload: new Uint8Array(0) }), max)
    ],
    decode: input => {
      // whole input at once, and the same bytes streamed in uneven chunks: both must agree on failing
      for (const frame of decodeFrames(input, max)) decodeResponse(frame)
      const d = new FrameDecoder(max)
      for (let i = 0; i < input.length; i += 1 + (i % 7)) d.push(input.subarray(i, i + 1 + (i % 7)))
      d.end()
    },
    errors: MESH_ERRORS,
    iterations: 15_000
  }
}

function stateTarget (): FuzzTarget {
  const doc = new Y.Doc()
  doc.getMap('issues').set('nc-aaaaaa', new Y.Map([['title', 'seed issue'], ['priority', 2]]))
  doc.getArray('log').push(['x', 'y'])
  const update = Y.encodeStateAsUpdate(doc)
  // a signed entry as protocol v2 carries it (the signature bytes need not verify: decoding comes first)
  const entry = encodeEntry('12D3KooWaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 7, 1, update, new Uint8Array(64).fill(5))
  const awareness = Uint8Array.from([1, 42, 3, ...new TextEncoder().encode('\x0f{"peerId":"a"}')])
  return {
    name: 'state frames and batches',
    seeds: [
      encodeBatch([encodeStep1(new Map([[1, 3], [99, 0]])), encodeAwareness(awareness)]),
      encodeBatch([encodeEntries([entry])]),
      encodeBatch([]),
      encodeEntries([entry, entry]),
      encodeAwareness(awareness)
    ],
    decode: input => {
      // a signed entry (what a frame of entries carries, and what is stored)
      try { readEntry(input) } catch (err) {
        if (!(err instanceof Error) || err.name !== 'StateProtocolError') throw err
      }
      // a request payload is a batch of frames; a gossip message is one frame
      try { for (const f of readBatch(input, 1 << 20)) readFrame(f, 1 << 20) } catch (err) {
        if (!(err instanceof Error) || err.name !== 'StateProtocolError') throw err
        readFrame(input, 1 << 20)
      }
    },
    errors: ['StateProtocolError', 'MessageTooLargeError'],
    iterations: 20_000
  }
}

function consensusTarget (): FuzzTarget {
  const header = seal(writeHeaderBody(3, 17, 2, bytes(32, 3)), bytes(64, 4))
  const prepare = seal(writeVoteBody(MSG_PREPARE, 5, header, bytes(80, 5)), bytes(64, 6))
  const commit = seal(writeVoteBody(MSG_COMMIT, 6, header, bytes(80, 7)), bytes(64, 8))
  const value = bytes(48, 9)
  const viewChange = seal(writeViewChangeBody(5, 17, 3, [prepare, prepare], value), bytes(64, 10))
  return {
    name: 'consensus messages',
    seeds: [
      header, prepare, commit, writePropose(header, value), viewChange,
      seal(writeNewViewBody(1, header, value, [viewChange]), bytes(64, 11)),
      seal(writeDecisionBody(2, 17, 6, [commit, commit], value), bytes(64, 12)),
      seal(writeDecisionRequestBody(4, 17), bytes(64, 13))
    ],
    decode: readMessage,
    errors: ['MessageDecodeError', 'UnknownMessageTypeError', 'NonCanonicalEncodingError'],
    iterations: 20_000
  }
}

function learningTarget (compressor: Compressor): FuzzTarget {
  const size = 64
  const values = Float32Array.from({ length: size }, (_, i) => Math.sin(i) * (i % 3))
  const rng = createRng(19)
  const enc = (v: Float32Array | ReturnType<typeof topK>, opts: Parameters<typeof encodeUpdate>[2] = {}): Uint8Array => encodeUpdate({ round: 4, sender: 2, samples: 100, clients: 1, values: v }, rng, opts).bytes
  return {
    name: 'learning updates (dense, sparse, quantised, LZ4 bodies)',
    seeds: [enc(values), enc(topK(values, 10)), enc(values, { bits: 4, chunkSize: 16 }), enc(topK(values, 20), { bits: 8 }), enc(new Float32Array(size), { compressor })],
    decode: input => decodeUpdate(input, { expectedSize: size, compressor }),
    errors: ['UpdateDecodeError'],
    iterations: 15_000
  }
}

/** Live learning's protocol messages; a `delta` answer's body, or a `start`'s delta, is also applied to a model (delta.ts), as a learner does. */
function liveLearningTarget (compressor: Compressor): FuzzTarget {
  const size = 300
  const base = Float32Array.from({ length: size }, (_, i) => Math.cos(i) / 10)
  const exact = Float32Array.from(base, (v, i) => v + Math.sin(i * 7) / 100)
  const h = Uint8Array.from({ length: 32 }, (_, i) => i * 7)
  const delta = (bits: number, c?: Compressor): Uint8Array => writeLiveMessage({ type: 'delta', hash: h, base: h, body: quantisedStep(base, exact, bits, createRng(bits), 3, c).delta })
  const limits = { maxUpdateBytes: 4 * 1024, maxModelBytes: 4 * size + 1024 }
  return {
    name: 'live learning messages and model deltas',
    seeds: [
      delta(8), delta(2, compressor), writeLiveMessage({ type: 'getDelta', hash: h }), writeLiveMessage({ type: 'start', task: 'a1b2c3d4e5f60718', round: 3, base: h, deadlineMs: 9000 }),
      writeLiveMessage({ type: 'start', task: 'a1b2c3d4e5f60718', round: 3, base: h, deadlineMs: 9000, delta: { from: h, body: quantisedStep(base, exact, 4, createRng(4), 3, compressor).delta } }),
      writeLiveMessage({ type: 'round', round: 2, base: h, updates: [{ peer: 'p1', body: Uint8Array.from([1, 2]), sig: new Uint8Array(64).fill(3) }] })
    ],
    decode: input => {
      const m = readLiveMessage(input, limits)
      if (m.type === 'delta') applyDelta(base, m.body, { maxBytes: limits.maxUpdateBytes, compressor })
      if (m.type === 'start' && m.delta != null) applyDelta(base, m.delta.body, { maxBytes: limits.maxUpdateBytes, compressor })
      return m
    },
    errors: ['LiveDecodeError', 'LiveRoundError'],
    iterations: 5_000
  }
}

function wasmTargets (): FuzzTarget[] {
  const data = new TextEncoder().encode('chunk recipe delta '.repeat(400))
  const delta = createDelta(data, [], { min: 256, avg: 1024, max: 4096 })
  return [{
    name: 'core-wasm chunk recipes and deltas',
    seeds: [encodeRecipe(delta.recipe), encodeDelta(delta)],
    decode: input => { try { decodeRecipe(input, { maxChunks: 1024, maxTotalLength: 1 << 20 }) } catch { decodeDelta(input, { maxChunks: 1024, maxTotalLength: 1 << 20 }) } },
    errors: ['DedupError'],
    iterations: 5_000
  }, {
    name: 'core-wasm LZ4 frames (short run; lz4-fuzz.test.ts has 100,000)',
    seeds: [compressFrame(data), compressFrame(data.subarray(0, 50), { blockChecksum: true, contentSize: false })],
    decode: input => decompressFrame(input, { maxOutputSize: 1 << 16 }),
    errors: ['Lz4Error'],
    iterations: 2_000
  }]
}

export async function allTargets (): Promise<FuzzTarget[]> {
  await initCoreWasm()
  const compressor: Compressor = {
    compress: d => compressFrame(d, { contentSize: true }),
    decompress: (f, max) => decompressFrame(f, { maxOutputSize: max })
  }
  return [meshTarget(), await discoveryTarget(), frameTarget(), stateTarget(), consensusTarget(), learningTarget(compressor), liveLearningTarget(compressor), ...wasmTargets()]
}
