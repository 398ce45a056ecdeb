/**
 * KeepAlive (core/net/keepalive.ts) on real libp2p stream objects (`streamPair` from
 * @libp2p/utils) standing in for one connection: pings reuse one stream, the echo side enforces
 * its budget, a peer without the protocol is asked once, a lost echo fails the ping and the next
 * one opens a fresh stream. The live mesh check (no new data channel per ping) is in mesh.test.ts.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { streamPair } from '@libp2p/utils'
import { KeepAlive, KEEPALIVE_PROTOCOL, MAX_ECHO_BYTES, MAX_ECHOES_PER_INTERVAL, type KeepAliveComponents } from '../../core/net/keepalive.ts'
import type { Connection, Stream } from '@libp2p/interface'

type Handler = (stream: Stream, conn: Connection) => void

/** A connection whose `newStream` hands out one end of a fresh stream pair, the other end going to `serve`. */
function fakeConnection (serve: (s: Stream) => void, fail?: () => Error): Connection & { opened: number } {
  const conn = {
    status: 'open',
    limits: undefined,
    remotePeer: { toString: () => 'peer-b' },
    rtt: undefined as number | undefined,
    opened: 0,
    newStream: async (protocol: string) => {
      assert.equal(protocol, KEEPALIVE_PROTOCOL)
      conn.opened++
      const err = fail?.()
      if (err != null) throw err
      const [a, b] = await streamPair()
      serve(b)
      return a
    }
  }
  return conn as unknown as Connection & { opened: number }
}

function components (conns: Connection[] = []): KeepAliveComponents & { handler?: Handler, abuse: string[] } {
  const c: KeepAliveComponents & { handler?: Handler, abuse: string[] } = {
    abuse: [],
    getConnections: () => conns,
    handle: async (protocol, handler) => { assert.equal(protocol, KEEPALIVE_PROTOCOL); c.handler = handler },
    unhandle: async () => {},
    log: () => {},
    onAbuse: peer => { c.abuse.push(peer) }
  }
  return c
}

test('pings reuse one stream per connection and record the round trip', async () => {
  const far = components()
  const remote = new KeepAlive(far, { intervalMs: 60_000 })
  await remote.start()
  const conn = fakeConnection(s => { far.handler?.(s, conn) })
  const near = new KeepAlive(components([conn]), { intervalMs: 60_000, timeoutMs: 5000 })
  for (let i = 0; i < 5; i++) assert.ok(await near.ping(conn) >= 0)
  assert.equal(conn.opened, 1, 'one stream for five pings')
  assert.equal(near.pings, 5)
  assert.equal(typeof conn.rtt, 'number')
  const [a, b] = await Promise.all([near.ping(conn), near.ping(conn)])
  assert.equal(a, b, 'concurrent pings share the one in flight')
  await remote.stop()
})

test('the echo side drops a stream over its budget: too many messages, or too large', async () => {
  for (const flood of [
    // 8-byte pings, one after another (each waits for the previous one to drain), well past the budget
    async (s: Stream) => { for (let i = 0; i <= 4 * MAX_ECHOES_PER_INTERVAL && s.status === 'open'; i++) if (!s.send(new Uint8Array(8))) await s.onDrain().catch(() => {}) },
    async (s: Stream) => { s.send(new Uint8Array(MAX_ECHO_BYTES + 1)) }
  ]) {
    const far = components()
    const remote = new KeepAlive(far, { intervalMs: 60_000 })
    await remote.start()
    const [a, b] = await streamPair()
    far.handler?.(b, { remotePeer: { toString: () => 'flooder' } } as unknown as Connection)
    await flood(a)
    await new Promise<void>(resolve => { if (b.status !== 'open') resolve(); else b.addEventListener('close', () => { resolve() }) })
    assert.notEqual(b.status, 'open')
    assert.deepEqual(far.abuse, ['flooder'])
    await remote.stop()
  }
})

test('a ping that arrives while the echo side is closing does not throw out of the event listener', async () => {
  const far = components()
  const remote = new KeepAlive(far, { intervalMs: 60_000 })
  await remote.start()
  const uncaught: unknown[] = []
  const onUncaught = (err: unknown): void => { uncaught.push(err) }
  process.prependListener('uncaughtException', onUncaught)
  try {
    for (const writeStatus of ['closing', 'writable']) {
      // a stream whose send throws as libp2p's does once it is closing (StreamStateError)
      const stream = Object.assign(new EventTarget(), {
        status: 'open', writeStatus, aborted: false,
        send: () => { throw Object.assign(new Error('Cannot write to a stream that is closing'), { name: 'StreamStateError' }) },
        abort () { this.aborted = true; this.status = 'aborted' },
        close: async () => {}
      })
      far.handler?.(stream as unknown as Stream, { remotePeer: { toString: () => 'closing' } } as unknown as Connection)
      stream.dispatchEvent(Object.assign(new Event('message'), { data: new Uint8Array(8) }))
      await new Promise(resolve => setImmediate(resolve))
      assert.equal(stream.aborted, writeStatus === 'writable', `${writeStatus}: a send that throws aborts the stream; a closing one is left alone`)
    }
    assert.deepEqual(uncaught, [], 'nothing thrown out of the echo listener')
  } finally {
    process.removeListener('uncaughtException', onUncaught)
    await remote.stop()
  }
})

test('a peer without the protocol is asked once per connection, not once per interval', async () => {
  const unsupported = Object.assign(new Error('protocol selection failed'), { name: 'UnsupportedProtocolError' })
  const conn = fakeConnection(() => {}, () => unsupported)
  const near = new KeepAlive(components([conn]), { intervalMs: 60_000, timeoutMs: 1000 })
  await assert.rejects(near.ping(conn), (e: Error) => e.name === 'UnsupportedProtocolError')
  await assert.rejects(near.ping(conn), /does not speak/)
  assert.equal(conn.opened, 1)
})

test('a ping without an echo fails within its timeout, and the next ping opens a fresh stream', async () => {
  let echo = false
  const far = components()
  const remote = new KeepAlive(far, { intervalMs: 60_000 })
  await remote.start()
  const conn = fakeConnection(s => { if (echo) far.handler?.(s, conn) })
  let failed = 0
  const near = new KeepAlive({ ...components([conn]), onPingFailed: () => { failed++ } }, { intervalMs: 60_000, timeoutMs: 300 })
  await assert.rejects(near.ping(conn), /no keep-alive echo within 300 ms/)
  assert.equal(failed, 1, 'the failed ping is counted')
  echo = true
  assert.ok(await near.ping(conn) >= 0)
  assert.equal(conn.opened, 2)
  assert.equal(failed, 1)
  await remote.stop()
})

test('a new link\'s first ping is tried again when it fails: up to three tries, none once the link closed', async () => {
  const far = components()
  const remote = new KeepAlive(far, { intervalMs: 60_000 })
  await remote.start()
  // the far end answers from the second stream on: a live link whose first ping missed its deadline
  let streams = 0
  const late = fakeConnection(s => { if (++streams >= 2) far.handler?.(s, late) })
  let failed = 0
  const near = new KeepAlive({ ...components([late]), onPingFailed: () => { failed++ } }, { intervalMs: 60_000, timeoutMs: 300 })
  await near.start()
  assert.ok(await near.first(late) >= 0)
  assert.equal(typeof late.rtt, 'number', 'the round trip shows without waiting an interval')
  assert.deepEqual([late.opened, failed], [2, 1])

  const mute = fakeConnection(() => {})
  await assert.rejects(near.first(mute), /no keep-alive echo within 300 ms/)
  assert.equal(mute.opened, 3, 'three tries, each on a fresh stream')

  const closing = fakeConnection(() => { (closing as { status: string }).status = 'closed' })
  await assert.rejects(near.first(closing), /no keep-alive echo/)
  assert.equal(closing.opened, 1, 'a link that closed is not tried again')
  await near.stop()
  await remote.stop()
})

test('a ping whose stream never opens (a data channel asked for on a dying link) fails at its own deadline', async () => {
  // newStream ignores its signal and never settles, as a data channel on a dead WebRTC link can
  const conn = { status: 'open', limits: undefined, remotePeer: { toString: () => 'peer-b' }, rtt: undefined, newStream: async () => await new Promise<never>(() => {}) } as unknown as Connection
  let failed = 0
  const near = new KeepAlive({ ...components([conn]), onPingFailed: () => { failed++ } }, { intervalMs: 60_000, timeoutMs: 5000 })
  // AbortSignal.timeout's timer does not hold the event loop open; a running node has other handles
  const alive = setInterval(() => {}, 1000)
  try {
    await assert.rejects(near.ping(conn, 200), /no keep-alive stream opened within 200 ms/)
    // a later ping joins the opening still pending, but keeps its own deadline
    await assert.rejects(near.ping(conn, 300), /no keep-alive stream opened within 300 ms/)
  } finally {
    clearInterval(alive)
  }
  assert.equal(failed, 2)
})
