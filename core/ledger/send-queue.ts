/**
 * One link's outgoing ledger frames with backpressure: frames go straight to the stream while it
 * accepts them; when `send` reports a full buffer (or no stream is open yet) they wait in a queue
 * bounded by count and bytes, and the queue is flushed on the stream's `drain`. Over either bound
 * the oldest queued frame is dropped and counted: a stale consensus frame is worth less than a fresh
 * one, and the engine re-sends what matters on its bounded timers. Memory per link is thus bounded
 * whatever a slow or stalled peer does.
 */

/** What the queue needs of a stream (a libp2p `Stream` has it). */
export interface FrameSink {
  readonly status: string
  /** false: the buffer is full, wait for drain */
  send: (bytes: Uint8Array) => boolean
  onDrain: () => Promise<void>
}

export const MAX_QUEUED_FRAMES = 512
export const MAX_QUEUED_BYTES = 4 * 1024 * 1024

export class SendQueue {
  private queue: Uint8Array[] = []
  private queuedBytes = 0
  private sink?: FrameSink
  private blocked = false
  /** frames dropped from this link's queue (overflow, or a stream that failed to open) */
  dropped = 0

  constructor (
    private readonly onWrite: (bytes: Uint8Array) => void,
    private readonly onDrop: (n: number) => void = () => {},
    private readonly maxFrames = MAX_QUEUED_FRAMES,
    private readonly maxBytes = MAX_QUEUED_BYTES
  ) {}

  get length (): number { return this.queue.length }
  get bytes (): number { return this.queuedBytes }
  get isBlocked (): boolean { return this.blocked }

  /** The stream to write to (undefined: none open); queued frames go out at once when it accepts them. */
  attach (sink: FrameSink | undefined): void {
    this.sink = sink
    this.blocked = false
    this.flush()
  }

  push (bytes: Uint8Array): void {
    if (this.queue.length === 0 && this.writable()) { this.write(bytes); return }
    this.queue.push(bytes)
    this.queuedBytes += bytes.length
    let n = 0
    while (this.queue.length > 1 && (this.queue.length > this.maxFrames || this.queuedBytes > this.maxBytes)) {
      this.queuedBytes -= (this.queue.shift() as Uint8Array).length
      n++
    }
    if (n > 0) { this.dropped += n; this.onDrop(n) }
    this.flush()
  }

  /** Drops everything queued (the stream could not be opened); returns how many. */
  clear (): number {
    const n = this.queue.length
    this.queue = []
    this.queuedBytes = 0
    if (n > 0) { this.dropped += n; this.onDrop(n) }
    return n
  }

  private writable (): boolean { return this.sink != null && this.sink.status === 'open' && !this.blocked }

  private flush (): void {
    while (this.queue.length > 0 && this.writable()) {
      const b = this.queue.shift() as Uint8Array
      this.queuedBytes -= b.length
      this.write(b)
    }
  }

  private write (bytes: Uint8Array): void {
    const sink = this.sink as FrameSink
    this.onWrite(bytes)
    let ok: boolean
    try { ok = sink.send(bytes) } catch { ok = false }
    if (ok) return
    this.blocked = true
    sink.onDrain().then(() => {
      if (this.sink !== sink) return
      this.blocked = false
      this.flush()
    }, () => {
      if (this.sink === sink) this.blocked = false
    })
  }
}
