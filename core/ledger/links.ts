/**
 * The ledger's libp2p transport over core/net's `MeshNode`: one long-lived outbound stream per
 * remote peer on `/novacron/ledger/1.0.0` (length-prefixed frames, core/net's `encodeFrame` /
 * `FrameDecoder`, bounded frame size), opened on first use and reopened when closed; inbound
 * streams are read in a loop and each frame handed to the ledger. Committed records travel on the
 * gossip topic `novacron/ledger/1`, checked by MeshGuard's validator (core/net/mesh-guard.ts) before
 * propagation: Reject (P4-scored, a strike) for a record that does not decode or verify, Ignore for
 * a stale one or one beyond our height,
 * and the sync protocol is a request/response call. Every frame and byte is counted (`wire`).
 * Sending honours backpressure: each link's frames wait in a bounded `SendQueue` (send-queue.ts)
 * while its stream opens or its buffer is full, and the oldest are dropped (counted) beyond it.
 * Nothing a peer sends can throw into the event loop: stream errors close that stream only.
 */
import type { Stream } from '@libp2p/interface'
import { FrameTooLargeError, MalformedMessageError } from '../net/errors.ts'
import { encodeFrame, FrameDecoder } from '../net/frame-codec.ts'
import type { MeshNode } from '../net/mesh-node.ts'
import { MAX_FRAME_BYTES, MAX_SYNC_BYTES } from './codec.ts'
import { SendQueue } from './send-queue.ts'
import { SYNC_PROTOCOL } from './sync.ts'
import type { LedgerInbound, LedgerTransport } from './transport.ts'

export const LEDGER_PROTOCOL = '/novacron/ledger/1.0.0'
export const LEDGER_TOPIC = 'novacron/ledger/1'
interface Out { stream?: Stream, opening?: Promise<void>, queue: SendQueue }

export class Links implements LedgerTransport {
  readonly self: string
  private readonly out = new Map<string, Out>()
  private readonly inbound = new Set<Stream>()
  private readonly counters = { framesSent: 0, bytesSent: 0, framesReceived: 0, bytesReceived: 0, dropped: 0, streamErrors: 0 }
  private unsubscribe?: () => void
  private started = false

  constructor (private readonly mesh: MeshNode, private readonly ledger: LedgerInbound, private readonly log: (msg: string) => void = () => {}) {
    this.self = mesh.peerId.toString()
  }

  async start (): Promise<void> {
    if (this.started) return
    this.started = true
    await this.mesh.libp2p.handle(LEDGER_PROTOCOL, (stream, conn) => { void this.readLoop(stream, conn.remotePeer.toString()) }, { runOnLimitedConnection: false, maxInboundStreams: 4 })
    await this.mesh.handle(SYNC_PROTOCOL, async (req, ctx) => await this.ledger.serveSync(ctx.peerId, req), { maxFrameSize: MAX_SYNC_BYTES + 128 * 1024 })
    // MeshGuard's validator path, as the state and learning topics: unsigned gossip and a record that
    // does not decode or verify are Rejected before gossipsub forwards them (P4 score, a strike);
    // the check ingests what it accepts, so the handler has nothing left to do
    this.unsubscribe = this.mesh.subscribe(LEDGER_TOPIC, () => {}, {
      check: async (data, from) => {
        try {
          return await this.ledger.onRecord(from, data)
        } catch (err) {
          this.log(`record from ${from}: ${String(err)}`)
          return 'ignore'
        }
      }
    })
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    this.unsubscribe?.() // and its check
    await this.mesh.libp2p.unhandle(LEDGER_PROTOCOL).catch(() => {})
    await this.mesh.unhandle(SYNC_PROTOCOL).catch(() => {})
    for (const o of this.out.values()) o.stream?.abort(new Error('ledger stopping'))
    for (const s of this.inbound) s.abort(new Error('ledger stopping'))
    this.out.clear()
    this.inbound.clear()
  }

  wire (): { framesSent: number, bytesSent: number, framesReceived: number, bytesReceived: number, dropped: number } {
    const { framesSent, bytesSent, framesReceived, bytesReceived, dropped } = this.counters
    return { framesSent, bytesSent, framesReceived, bytesReceived, dropped }
  }

  /** Frames dropped per peer (queue overflow under backpressure, or a stream that did not open). */
  droppedByPeer (): Record<string, number> {
    const out: Record<string, number> = {}
    for (const [p, o] of this.out) if (o.queue.dropped > 0) out[p] = o.queue.dropped
    return out
  }

  get stats (): Readonly<typeof this.counters> { return this.counters }

  send (peerId: string, frame: Uint8Array): void {
    if (!this.started || peerId === this.self) return
    let o = this.out.get(peerId)
    if (o == null) {
      const queue = new SendQueue(bytes => { this.counters.framesSent++; this.counters.bytesSent += bytes.length }, n => { this.counters.dropped += n })
      o = { queue }
      this.out.set(peerId, o)
    }
    o.queue.push(encodeFrame(frame, MAX_FRAME_BYTES))
    if ((o.stream == null || o.stream.status !== 'open') && o.opening == null) {
      const out = o
      out.opening = this.open(peerId, out).finally(() => { out.opening = undefined })
    }
  }

  private async open (peerId: string, o: Out): Promise<void> {
    try {
      const stream = await this.mesh.openStream(peerId, LEDGER_PROTOCOL)
      o.stream = stream
      stream.addEventListener('close', () => { if (o.stream === stream) { o.stream = undefined; o.queue.attach(undefined) } }, { once: true })
      o.queue.attach(stream)
    } catch (err) {
      this.counters.streamErrors++
      o.queue.clear() // the engine re-sends what matters on its bounded timers
      this.log(`ledger stream to ${peerId}: ${err instanceof Error ? err.message : String(err)}`)
    }
  }

  private async readLoop (stream: Stream, peerId: string): Promise<void> {
    this.inbound.add(stream)
    const decoder = new FrameDecoder(MAX_FRAME_BYTES)
    try {
      for await (const chunk of stream) {
        const bytes = chunk instanceof Uint8Array ? chunk : chunk.subarray()
        this.counters.bytesReceived += bytes.length
        for (const frame of decoder.push(bytes)) {
          this.counters.framesReceived++
          this.ledger.onFrame(peerId, frame)
        }
      }
    } catch (err) {
      // an oversize or malformed prefix, or the stream failed: close this stream only
      this.counters.streamErrors++
      // only a bad prefix is the sender's doing; a stream that failed (reset by a tab that reloaded
      // or closed, a link that died) is not held against it: 20 of those a minute would cut off an
      // honest peer on a flaky link (maxRejectsPerMinute)
      if (err instanceof FrameTooLargeError || err instanceof MalformedMessageError) this.ledger.onFrame(peerId, new Uint8Array(0)) // counted as malformed against the sender
      this.log(`ledger stream from ${peerId}: ${err instanceof Error ? err.message : String(err)}`)
      if (stream.status === 'open') stream.abort(err instanceof Error ? err : new Error(String(err)))
    } finally {
      this.inbound.delete(stream)
    }
  }

  publish (record: Uint8Array): void {
    this.mesh.publish(LEDGER_TOPIC, record).catch(err => { this.log(`publish: ${err instanceof Error ? err.message : String(err)}`) })
  }

  async request (peerId: string, payload: Uint8Array, opts: { direct?: boolean } = {}): Promise<Uint8Array> {
    return await this.mesh.request(peerId, SYNC_PROTOCOL, payload, { maxFrameSize: MAX_SYNC_BYTES + 128 * 1024, ...(opts.direct === true ? { direct: true } : {}) })
  }

  connectedPeers (): string[] {
    return [...new Set(this.mesh.links().filter(l => !l.limited).map(l => l.peerId))]
  }

  knownPeers (): string[] { return this.mesh.members().filter(p => p !== this.self) }

  rttMs (peerId: string): number | undefined {
    return this.mesh.links().find(l => l.peerId === peerId && l.rttMs != null)?.rttMs
  }

  protect (peerIds: string[]): void { this.mesh.protect(peerIds) }

  disconnect (peerId: string): void {
    this.out.get(peerId)?.stream?.abort(new Error('too many rejected frames'))
    this.out.delete(peerId)
    for (const c of this.mesh.libp2p.getConnections()) {
      if (c.remotePeer.toString() === peerId) c.abort(new Error('ledger: too many rejected frames'))
    }
  }
}
