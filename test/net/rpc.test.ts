/**
 * Request/response on real libp2p stream objects (an in-memory yamux-free `streamPair` from
 * @libp2p/utils): success, remote handler failure, timeouts, oversize and malformed frames.
 * The end-to-end call between live peers is in mesh.test.ts.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { streamPair } from '@libp2p/utils'
import { exchange, serve, withTimeout } from '../../core/net/rpc.ts'
import { encodeFrame } from '../../core/net/frame-codec.ts'
import { RemoteError, RequestTimeoutError } from '../../core/net/index.ts'

const ctx = { peerId: 'peer-a', protocol: '/test/1' }
const enc = new TextEncoder()
const dec = new TextDecoder()

test('a request gets its response', async () => {
  const [a, b] = await streamPair()
  const served = serve(b, req => enc.encode(`echo:${dec.decode(req)}`), ctx, 1024, 5000)
  const res = await exchange(a, enc.encode('hi'), 1024)
  assert.equal(dec.decode(res), 'echo:hi')
  assert.equal(await served, undefined)
})

test('a failing handler becomes RemoteError at the caller, and the responder survives', async () => {
  const [a, b] = await streamPair()
  const served = serve(b, () => { throw new TypeError('bad input') }, ctx, 1024, 5000)
  await assert.rejects(exchange(a, enc.encode('x'), 1024), (e: Error) => e instanceof RemoteError && e.message.includes('TypeError: bad input'))
  assert.equal(await served, undefined)
})

test('an oversize request is refused by the responder without calling the handler', async () => {
  const [a, b] = await streamPair()
  let called = false
  const served = serve(b, () => { called = true; return new Uint8Array(0) }, ctx, 16, 5000)
  a.send(encodeFrame(new Uint8Array(64), 1024))
  await a.close()
  const err = await served
  assert.equal(err?.name, 'FrameTooLargeError')
  assert.equal(called, false)
})

test('two frames on one request stream are a MalformedMessageError', async () => {
  const [a, b] = await streamPair()
  const served = serve(b, () => new Uint8Array(0), ctx, 1024, 5000)
  a.send(encodeFrame(Uint8Array.of(1), 1024))
  a.send(encodeFrame(Uint8Array.of(2), 1024))
  await a.close()
  assert.equal((await served)?.name, 'MalformedMessageError')
})

test('a requester that never finishes is timed out by the responder', async () => {
  const [a, b] = await streamPair()
  const served = serve(b, () => new Uint8Array(0), ctx, 1024, 100)
  a.send(Uint8Array.of(5, 1)) // 5-byte frame, 1 byte sent, never closed
  const err = await served
  assert.equal(err?.name, 'RequestTimeoutError')
  a.abort(new Error('test done'))
})

test('a responder that never answers times the request out', async () => {
  const [a, b] = await streamPair()
  await assert.rejects(withTimeout(a, '/test/1', 100, async () => await exchange(a, Uint8Array.of(1), 1024)), (e: Error) => e instanceof RequestTimeoutError && e.timeoutMs === 100)
  b.abort(new Error('test done'))
})
