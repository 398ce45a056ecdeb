/**
 * core/ledger/send-queue.ts: a link's frames under backpressure — written straight through while the
 * stream accepts them, queued (in order) while it is full or not open, flushed on drain, bounded by
 * count and bytes with the oldest dropped and counted. The sink is a stand-in for a libp2p stream
 * (this is the unit under test's only collaborator).
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { SendQueue, type FrameSink } from '../../core/ledger/send-queue.ts'

class FakeSink implements FrameSink {
  status = 'open'
  written: number[] = []
  room: number
  private drained?: () => void
  constructor (room: number) { this.room = room }
  send (bytes: Uint8Array): boolean { this.written.push(bytes[0]); this.room--; return this.room > 0 }
  async onDrain (): Promise<void> { await new Promise<void>(resolve => { this.drained = resolve }) }
  drain (room: number): void { this.room = room; this.drained?.() }
}

const frame = (i: number, size = 10): Uint8Array => new Uint8Array(size).fill(i)

describe('ledger send queue (backpressure)', () => {
  test('writes through while the stream accepts, queues while it is full, flushes in order on drain', async () => {
    let writes = 0
    const q = new SendQueue(() => { writes++ })
    const sink = new FakeSink(3)
    q.attach(sink)
    for (let i = 0; i < 10; i++) q.push(frame(i))
    assert.deepEqual(sink.written, [0, 1, 2], 'the third send reported a full buffer: nothing more is written')
    assert.equal(q.length, 7)
    assert.ok(q.isBlocked)
    sink.drain(100)
    await new Promise(resolve => setImmediate(resolve))
    assert.deepEqual(sink.written, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    assert.equal(q.length, 0)
    assert.equal(writes, 10)
    assert.equal(q.dropped, 0)
  })

  test('a stalled link keeps at most maxFrames / maxBytes queued, dropping (and counting) the oldest', () => {
    let dropped = 0
    const q = new SendQueue(() => {}, n => { dropped += n }, 100, 1000)
    for (let i = 0; i < 250; i++) q.push(frame(i % 256))
    assert.equal(q.length, 100, 'no stream: bounded by count')
    assert.equal(q.dropped, 150)
    assert.equal(dropped, 150)
    const big = new SendQueue(() => {}, () => {}, 1000, 1000)
    for (let i = 0; i < 50; i++) big.push(frame(i, 100))
    assert.ok(big.bytes <= 1000 && big.length === 10, `bounded by bytes (${big.bytes} bytes, ${big.length} frames)`)
    // the newest survive: attaching a stream delivers them in order
    const sink = new FakeSink(1000)
    big.attach(sink)
    assert.deepEqual(sink.written, [40, 41, 42, 43, 44, 45, 46, 47, 48, 49])
  })

  test('a stream that failed to open: clear drops and counts what waited; a closed stream queues again', () => {
    const q = new SendQueue(() => {})
    q.push(frame(1)); q.push(frame(2))
    assert.equal(q.clear(), 2)
    assert.equal(q.dropped, 2)
    const sink = new FakeSink(10)
    q.attach(sink)
    q.push(frame(3))
    sink.status = 'closed'
    q.push(frame(4))
    assert.deepEqual(sink.written, [3])
    assert.equal(q.length, 1)
  })
})
