/**
 * Keep-alive pings over one long-lived stream per connection (`/novacron/keepalive/1.0.0`).
 *
 * libp2p's connection monitor opens a new stream for every ping (every 10 s, both ends of every
 * link). On WebRTC a stream is a data channel, and node-datachannel keeps every data channel the
 * remote opened until the connection closes (datachannel-tracker.ts): that was most of a Node
 * peer's steady memory growth (issue 21). Here each end opens one stream per connection when the
 * connection opens and pings over it every `intervalMs`, so an idle link opens no new channel at
 * all. A ping is 8 bytes (a counter); the other end echoes whatever it gets, at most
 * `MAX_ECHO_BYTES` per message and `MAX_ECHOES_PER_INTERVAL` messages per interval (a peer that
 * sends more loses the stream). The round trip goes into `conn.rtt`, as the monitor did, which
 * is what proves a link (link-health.ts) and what the topology shows.
 *
 * A failed ping (timeout, stream reset) aborts the stream; the next interval opens a new one. A
 * peer that does not speak the protocol (older build) is not asked again on that connection: it
 * costs one negotiation, never a stream per interval. Pings never close a connection themselves;
 * a failure is reported (`onPingFailed`) and silent-links.ts decides.
 *
 * A timeout is judged only after the I/O already queued has run: when our own event loop was
 * blocked past the deadline, Node runs the expired timer *before* the echo that arrived meanwhile
 * (timers come before I/O callbacks in a loop turn), which is how a loaded 2-core machine used to
 * fail pings of healthy links. So the timeout waits one more macrotask and an echo already
 * delivered by then still counts.
 */
import type { Connection, Stream, StreamMessageEvent } from '@libp2p/interface'

export const KEEPALIVE_PROTOCOL = '/novacron/keepalive/1.0.0'
export const PING_BYTES = 8
export const MAX_ECHO_BYTES = 64
export const MAX_ECHOES_PER_INTERVAL = 8

/** What the keep-alive uses of libp2p. */
export interface KeepAliveComponents {
  getConnections: () => Connection[]
  handle: (protocol: string, handler: (stream: Stream, conn: Connection) => void, opts: { maxInboundStreams: number, maxOutboundStreams: number, runOnLimitedConnection: boolean }) => Promise<void>
  unhandle: (protocol: string) => Promise<void>
  log: (fmt: string, ...args: unknown[]) => void
  /** Counts a completed round trip. */
  onPing?: () => void
  /** A ping over `conn` failed (no echo in time, stream closed or refused). */
  onPingFailed?: (conn: Connection) => void
  /** Counts a peer that broke the echo budget. */
  onAbuse?: (peerId: string) => void
}

export interface KeepAliveInit {
  /** @default 10000 */
  intervalMs?: number
  /** A ping without an echo for this long fails. @default 6000 */
  timeoutMs?: number
}

interface Link {
  stream?: Stream
  opening?: Promise<Stream>
  inflight?: Promise<number>
  unsupported?: boolean
  seq: number
}

export class KeepAlive {
  private readonly intervalMs: number
  private readonly timeoutMs: number
  private readonly links = new WeakMap<Connection, Link>()
  private timer?: ReturnType<typeof setInterval>
  private started = false
  /** Round trips completed. */
  pings = 0

  constructor (private readonly components: KeepAliveComponents, init: KeepAliveInit = {}) {
    this.intervalMs = init.intervalMs ?? 10_000
    this.timeoutMs = init.timeoutMs ?? 6000
  }

  /** Registers the echo handler; call before libp2p starts so no early stream finds it missing. */
  async start (): Promise<void> {
    if (this.started) return
    this.started = true
    await this.components.handle(KEEPALIVE_PROTOCOL, (stream, conn) => { this.echo(stream, conn) }, { maxInboundStreams: 2, maxOutboundStreams: 2, runOnLimitedConnection: false })
    this.timer = setInterval(() => { this.pingAll() }, this.intervalMs)
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    clearInterval(this.timer)
    this.timer = undefined
    await this.components.unhandle(KEEPALIVE_PROTOCOL).catch(() => {})
  }

  /** Pings every open unlimited connection (one ping in flight per connection at most). */
  pingAll (): void {
    for (const conn of this.components.getConnections()) {
      if (conn.status !== 'open' || conn.limits != null) continue
      this.ping(conn).catch(err => { this.components.log('keep-alive ping to %s failed: %s', conn.remotePeer, err instanceof Error ? err.message : String(err)) })
    }
  }

  /**
   * A new link's first round trip: up to `tries` pings, one after another, until one is answered
   * or the link closes. On a loaded machine a live link can miss its first ping's deadline, and the
   * next interval may be far off (`pingIntervalMs` allows 10 minutes), so the link would show no
   * round trip and stay unproven that long. A link that answers none is left to link-health.ts's
   * dead-link rule. Rejects with the last failure.
   */
  async first (conn: Connection, tries = 3): Promise<number> {
    let last: unknown
    for (let i = 0; i < tries; i++) {
      try {
        return await this.ping(conn)
      } catch (err) { last = err }
      if (!this.started || conn.status !== 'open' || this.links.get(conn)?.unsupported === true) break
    }
    throw last
  }

  /**
   * One round trip over `conn`'s keep-alive stream (opened if needed), recorded in `conn.rtt`.
   * Concurrent calls share the ping in flight.
   */
  async ping (conn: Connection, timeoutMs = this.timeoutMs): Promise<number> {
    let link = this.links.get(conn)
    if (link == null) {
      link = { seq: 0 }
      this.links.set(conn, link)
    }
    if (link.unsupported === true) throw new Error(`${conn.remotePeer.toString()} does not speak ${KEEPALIVE_PROTOCOL}`)
    if (link.inflight != null) return await link.inflight
    const run = this.roundTrip(conn, link, timeoutMs).finally(() => { if (link != null) link.inflight = undefined })
    link.inflight = run
    return await run
  }

  private async roundTrip (conn: Connection, link: Link, timeoutMs: number): Promise<number> {
    const signal = AbortSignal.timeout(timeoutMs)
    let stream: Stream | undefined
    try {
      stream = await this.streamOf(conn, link, signal, timeoutMs)
      const nonce = new Uint8Array(PING_BYTES)
      new DataView(nonce.buffer).setFloat64(0, ++link.seq)
      const start = Date.now()
      const s = stream
      await new Promise<void>((resolve, reject) => {
        let got = new Uint8Array(0)
        let settled = false
        const done = (err?: Error): void => {
          if (settled) return
          settled = true
          s.removeEventListener('message', onMessage)
          s.removeEventListener('close', onClose)
          signal.removeEventListener('abort', onAbort)
          if (err == null) resolve()
          else reject(err)
        }
        const onMessage = (e: StreamMessageEvent): void => {
          const bytes = e.data instanceof Uint8Array ? e.data : e.data.subarray()
          const all = new Uint8Array(got.length + bytes.length)
          all.set(got)
          all.set(bytes, got.length)
          got = all
          if (got.length < PING_BYTES) return
          // an echo of an earlier (timed out) ping may still arrive first: keep the newest 8 bytes
          if (got.subarray(got.length - PING_BYTES).every((b, i) => b === nonce[i])) done()
          else got = new Uint8Array(0)
        }
        const onClose = (): void => { done(new Error('keep-alive stream closed')) }
        // judged a macrotask later: an echo our blocked event loop has not yet run still counts (module comment)
        const onAbort = (): void => { setTimeout(() => { done(new Error(`no keep-alive echo within ${timeoutMs} ms`)) }, 0) }
        s.addEventListener('message', onMessage)
        s.addEventListener('close', onClose)
        // the stream may have come after the deadline: an aborted signal fires no more events
        if (signal.aborted) onAbort()
        else signal.addEventListener('abort', onAbort)
        if (!s.send(nonce)) s.onDrain({ signal }).catch(onAbort)
      })
      conn.rtt = Date.now() - start
      this.pings++
      this.components.onPing?.()
      return conn.rtt
    } catch (err) {
      this.components.onPingFailed?.(conn)
      // a fresh stream next time; the old one may be wedged
      if (link.stream != null && link.stream === stream) {
        link.stream = undefined
        stream.abort(err instanceof Error ? err : new Error(String(err)))
      }
      throw err
    }
  }

  private async streamOf (conn: Connection, link: Link, signal: AbortSignal, timeoutMs: number): Promise<Stream> {
    if (link.stream != null && link.stream.status === 'open' && link.stream.writeStatus === 'writable') return link.stream
    link.stream = undefined
    if (link.opening == null) {
      link.opening = conn.newStream(KEEPALIVE_PROTOCOL, { signal, runOnLimitedConnection: false })
        .then(s => { link.stream = s; return s })
        .catch(err => {
          if ((err as Error).name === 'UnsupportedProtocolError') link.unsupported = true
          throw err
        })
        .finally(() => { link.opening = undefined })
    }
    // an opening begun by an earlier ping has that ping's deadline, not ours; and a data channel
    // asked for on a link that died meanwhile may never open nor fail: this ping ends at its own
    return await untilAborted(link.opening, signal, () => new Error(`no keep-alive stream opened within ${timeoutMs} ms`))
  }

  /** Echo side: sends back each message, within the budget; a peer over it loses the stream. */
  private echo (stream: Stream, conn: Connection): void {
    let windowStart = Date.now()
    let count = 0
    const onMessage = (e: StreamMessageEvent): void => {
      const now = Date.now()
      if (now - windowStart >= this.intervalMs) { windowStart = now; count = 0 }
      count++
      if (e.data.byteLength > MAX_ECHO_BYTES || count > MAX_ECHOES_PER_INTERVAL) {
        this.components.onAbuse?.(conn.remotePeer.toString())
        this.components.log('keep-alive from %s over budget (%d bytes, %d messages this interval): dropping the stream', conn.remotePeer, e.data.byteLength, count)
        stream.removeEventListener('message', onMessage)
        stream.abort(new Error('keep-alive over budget'))
        return
      }
      // a ping that arrives while our side is closing goes unanswered: `send` would throw
      // StreamStateError inside this event listener, i.e. out of the event loop, and end the process
      // (seen: a peer exited with code 1 while the mesh shut down)
      if (stream.writeStatus !== 'writable') return
      try {
        stream.send(e.data instanceof Uint8Array ? e.data : e.data.subarray())
      } catch (err) {
        this.components.log('keep-alive echo to %s failed: %s', conn.remotePeer, err instanceof Error ? err.message : String(err))
        stream.abort(err instanceof Error ? err : new Error(String(err)))
      }
    }
    stream.addEventListener('message', onMessage)
    stream.addEventListener('remoteCloseWrite', () => { stream.close().catch(() => {}) })
  }
}

/** `promise`, or a rejection with `error()` as soon as `signal` aborts (the promise is left to settle alone). */
async function untilAborted<T> (promise: Promise<T>, signal: AbortSignal, error: () => Error): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {})
    throw error()
  }
  return await new Promise<T>((resolve, reject) => {
    const onAbort = (): void => { promise.catch(() => {}); reject(error()) }
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => { signal.removeEventListener('abort', onAbort) })
  })
}
