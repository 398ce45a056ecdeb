/**
 * The Yjs provider over the mesh: keeps a Y.Doc (and its Awareness) in sync with every peer.
 *
 * - Handshake: on every new connection, and every `resyncIntervalMs` with one random neighbour, a
 *   peer calls `/novacron/state/1.0.0` with [step1(our state vector), our awareness]; the other side
 *   answers [step2(what we lack), step1(its state vector), its awareness], and we send a second call
 *   with [step2(what it lacks)]. Two round trips and both sides are equal, however long one was
 *   offline: this is the state-vector catch-up.
 * - Incremental updates: local document updates (coalesced for `flushDelayMs`) and awareness
 *   changes go out on the gossipsub topic `novacron/state/1` as one frame each. An update larger
 *   than `maxGossipSize` is not gossiped; neighbours are re-synced instead.
 * - Limits and failures: request frames are bounded by `maxFrameSize`, gossip frames by
 *   `maxGossipSize`; a malformed or oversize message is dropped, counted in `stats.badMessages`
 *   and logged with the peer id. Nothing a peer sends throws into this peer's event loop.
 *
 * The provider depends on a narrow `StateMesh` (what it uses of core/net's MeshNode), so the same code
 * runs in the Node peer, in a tab and in tests.
 */
import * as awarenessProtocol from 'y-protocols/awareness'
import * as Y from 'yjs'
import {
  encodeAwareness, encodeBatch, encodeStep1, encodeStep2, encodeUpdate, MSG_AWARENESS, readBatch, readFrame,
  STATE_PROTOCOL, STATE_TOPIC, SYNC_STEP1, SYNC_UPDATE
} from './codec.ts'

/** What the provider needs from a mesh node (core/net's MeshNode fits it through `meshAsStateMesh`). */
export interface StateMesh {
  peerId: string
  handle: (protocol: string, handler: (request: Uint8Array, ctx: { peerId: string }) => Promise<Uint8Array> | Uint8Array, opts: { maxFrameSize: number }) => Promise<void>
  unhandle: (protocol: string) => Promise<void>
  request: (peer: string, protocol: string, payload: Uint8Array, opts: { maxFrameSize: number, timeoutMs: number }) => Promise<Uint8Array>
  publish: (topic: string, data: Uint8Array) => Promise<void>
  subscribe: (topic: string, handler: (msg: { from: string, data: Uint8Array }) => void) => () => void
  /** Calls `fn` with the peer id on each new connection / lost peer; returns an unsubscribe function. */
  onPeer: (event: 'connect' | 'disconnect', fn: (peerId: string) => void) => () => void
  /** Peers with an open connection now. */
  connectedPeers: () => string[]
}

export interface StateProviderInit {
  doc: Y.Doc
  /** Created (and destroyed on stop) by the provider when absent. */
  awareness?: awarenessProtocol.Awareness
  /** @default 4 MiB */
  maxFrameSize?: number
  /** @default 256 KiB */
  maxGossipSize?: number
  /** @default 15000 */
  resyncIntervalMs?: number
  /** Local updates within this window go out as one merged gossip message. @default 10 */
  flushDelayMs?: number
  /** @default 15000 */
  requestTimeoutMs?: number
  log?: (message: string) => void
}

export interface StateProviderComponents {
  mesh: StateMesh
}

export interface StateProviderStats {
  gossipSent: number
  gossipReceived: number
  bytesSent: number
  bytesReceived: number
  syncs: number
  syncFailures: number
  badMessages: number
}

export class StateProvider {
  readonly doc: Y.Doc
  readonly awareness: awarenessProtocol.Awareness
  readonly stats: StateProviderStats = { gossipSent: 0, gossipReceived: 0, bytesSent: 0, bytesReceived: 0, syncs: 0, syncFailures: 0, badMessages: 0 }
  private readonly mesh: StateMesh
  private readonly ownsAwareness: boolean
  private readonly maxFrameSize: number
  private readonly maxGossipSize: number
  private readonly resyncIntervalMs: number
  private readonly flushDelayMs: number
  private readonly requestTimeoutMs: number
  private readonly log: (message: string) => void
  private started = false
  private readonly cleanup: Array<() => void> = []
  private pending: Uint8Array[] = []
  private flushTimer?: ReturnType<typeof setTimeout>
  private resyncTimer?: ReturnType<typeof setInterval>
  private readonly syncing = new Map<string, Promise<void>>()
  /** Awareness client ids heard from each peer, to drop them when the peer goes away. */
  private readonly clientsByPeer = new Map<string, Set<number>>()
  private readonly synced = new Set<(peer: string) => void>()

  constructor (init: StateProviderInit, components: StateProviderComponents) {
    this.doc = init.doc
    this.mesh = components.mesh
    this.ownsAwareness = init.awareness == null
    this.awareness = init.awareness ?? new awarenessProtocol.Awareness(init.doc)
    this.maxFrameSize = init.maxFrameSize ?? 4 * 1024 * 1024
    this.maxGossipSize = init.maxGossipSize ?? 256 * 1024
    this.resyncIntervalMs = init.resyncIntervalMs ?? 15_000
    this.flushDelayMs = init.flushDelayMs ?? 10
    this.requestTimeoutMs = init.requestTimeoutMs ?? 15_000
    this.log = init.log ?? (() => {})
  }

  get isStarted (): boolean { return this.started }

  async start (): Promise<void> {
    if (this.started) return
    this.started = true
    await this.mesh.handle(STATE_PROTOCOL, async (req, ctx) => this.onRequest(req, ctx.peerId), { maxFrameSize: this.maxFrameSize })
    this.cleanup.push(this.mesh.subscribe(STATE_TOPIC, msg => { this.onGossip(msg.from, msg.data) }))
    const onUpdate = (update: Uint8Array, origin: unknown): void => { if (origin !== this) this.queue(update) }
    this.doc.on('update', onUpdate)
    this.cleanup.push(() => { this.doc.off('update', onUpdate) })
    const onAwareness = ({ added, updated, removed }: { added: number[], updated: number[], removed: number[] }, origin: unknown): void => {
      if (origin !== 'local' && origin !== this.awareness) return
      void this.gossip(encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, [...added, ...updated, ...removed])))
    }
    this.awareness.on('update', onAwareness)
    this.cleanup.push(() => { this.awareness.off('update', onAwareness) })
    this.cleanup.push(this.mesh.onPeer('connect', peer => { void this.syncWith(peer) }))
    this.cleanup.push(this.mesh.onPeer('disconnect', peer => { this.dropPeer(peer) }))
    this.resyncTimer = setInterval(() => { this.resyncOne() }, this.resyncIntervalMs)
    for (const peer of this.mesh.connectedPeers()) void this.syncWith(peer)
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    clearInterval(this.resyncTimer)
    this.flush()
    clearTimeout(this.flushTimer)
    // Tell others we are gone (best effort), then release everything.
    if (this.awareness.getLocalState() != null) {
      const bye = encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, [this.awareness.clientID], new Map([[this.awareness.clientID, null]]) as unknown as Map<number, Record<string, unknown>>))
      await this.mesh.publish(STATE_TOPIC, bye).catch(() => {})
    }
    for (const off of this.cleanup.splice(0)) off()
    await this.mesh.unhandle(STATE_PROTOCOL).catch(() => {})
    await Promise.allSettled([...this.syncing.values()])
    if (this.ownsAwareness) this.awareness.destroy()
  }

  /** Calls `fn(peer)` after each completed handshake (for tests and the page's status line). */
  onSynced (fn: (peer: string) => void): () => void {
    this.synced.add(fn)
    return () => { this.synced.delete(fn) }
  }

  /** Runs the two-round-trip handshake with `peer` (one at a time per peer). */
  async syncWith (peer: string): Promise<void> {
    const running = this.syncing.get(peer)
    if (running != null) return await running
    const run = this.handshake(peer).finally(() => { this.syncing.delete(peer) })
    this.syncing.set(peer, run)
    await run
  }

  private async handshake (peer: string): Promise<void> {
    if (!this.started) return
    try {
      const first = await this.call(peer, [encodeStep1(this.doc), this.localAwareness()])
      const replies = this.process(peer, first, false)
      if (replies.length > 0) await this.call(peer, replies)
      this.stats.syncs++
      for (const fn of this.synced) fn(peer)
    } catch (err) {
      this.stats.syncFailures++
      this.log(`state sync with ${peer} failed: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`)
    }
  }

  private async call (peer: string, frames: Uint8Array[]): Promise<Uint8Array[]> {
    const req = encodeBatch(frames)
    this.stats.bytesSent += req.length
    const res = await this.mesh.request(peer, STATE_PROTOCOL, req, { maxFrameSize: this.maxFrameSize, timeoutMs: this.requestTimeoutMs })
    this.stats.bytesReceived += res.length
    return readBatch(res, this.maxFrameSize)
  }

  private onRequest (req: Uint8Array, peer: string): Uint8Array {
    this.stats.bytesReceived += req.length
    let frames: Uint8Array[]
    try {
      frames = readBatch(req, this.maxFrameSize)
    } catch (err) {
      this.bad(peer, err)
      throw err // becomes an error response for the caller; never reaches our event loop
    }
    const replies = this.process(peer, frames, true)
    const res = encodeBatch(replies)
    this.stats.bytesSent += res.length
    return res
  }

  /**
   * Applies frames from `peer` and returns the frames to answer with. A step1 is answered with
   * step2 and, when `answerWithOwnStep1` (the responder side), with our own step1 and awareness.
   */
  private process (peer: string, frames: Uint8Array[], answerWithOwnStep1: boolean): Uint8Array[] {
    const out: Uint8Array[] = []
    for (const bytes of frames) {
      try {
        const f = readFrame(bytes, this.maxFrameSize)
        if (f.type === MSG_AWARENESS) this.applyAwareness(peer, f.update)
        else if (f.step === SYNC_STEP1) {
          out.push(encodeStep2(this.doc, f.stateVector))
          if (answerWithOwnStep1) out.push(encodeStep1(this.doc), this.localAwareness())
        } else this.applyUpdate(peer, f.update)
      } catch (err) {
        this.bad(peer, err)
      }
    }
    return out
  }

  private onGossip (from: string, data: Uint8Array): void {
    this.stats.gossipReceived++
    this.stats.bytesReceived += data.length
    try {
      const f = readFrame(data, this.maxGossipSize)
      if (f.type === MSG_AWARENESS) this.applyAwareness(from, f.update)
      else if (f.step === SYNC_UPDATE) {
        this.applyUpdate(from, f.update)
        // An update whose causal past we lack stays pending in Yjs: fetch the gap from its sender.
        if (this.doc.store.pendingStructs != null || this.doc.store.pendingDs != null) void this.syncWith(from)
      } else this.bad(from, new Error('sync handshake frames are not accepted over gossip'))
    } catch (err) {
      this.bad(from, err)
    }
  }

  private applyUpdate (peer: string, update: Uint8Array): void {
    try {
      Y.applyUpdate(this.doc, update, this)
    } catch (err) {
      this.bad(peer, err)
    }
  }

  private applyAwareness (peer: string, update: Uint8Array): void {
    const before = new Set(this.awareness.getStates().keys())
    awarenessProtocol.applyAwarenessUpdate(this.awareness, update, this)
    let set = this.clientsByPeer.get(peer)
    if (set == null) { set = new Set(); this.clientsByPeer.set(peer, set) }
    for (const id of this.awareness.getStates().keys()) if (!before.has(id) && id !== this.awareness.clientID) set.add(id)
  }

  private dropPeer (peer: string): void {
    const ids = this.clientsByPeer.get(peer)
    this.clientsByPeer.delete(peer)
    if (ids != null && ids.size > 0) awarenessProtocol.removeAwarenessStates(this.awareness, [...ids], 'disconnect')
  }

  private localAwareness (): Uint8Array {
    const ids = [...this.awareness.getStates().keys()]
    return encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, ids))
  }

  private queue (update: Uint8Array): void {
    this.pending.push(update)
    this.flushTimer ??= setTimeout(() => { this.flushTimer = undefined; this.flush() }, this.flushDelayMs)
  }

  private flush (): void {
    if (this.pending.length === 0) return
    const merged = this.pending.length === 1 ? this.pending[0] : Y.mergeUpdates(this.pending)
    this.pending = []
    const frame = encodeUpdate(merged)
    if (frame.length > this.maxGossipSize) {
      for (const peer of this.mesh.connectedPeers()) void this.syncWith(peer)
      return
    }
    void this.gossip(frame)
  }

  private async gossip (frame: Uint8Array): Promise<void> {
    if (!this.started) return
    try {
      await this.mesh.publish(STATE_TOPIC, frame)
      this.stats.gossipSent++
      this.stats.bytesSent += frame.length
    } catch (err) {
      this.log(`state gossip failed: ${err instanceof Error ? err.message : String(err)}`)
    }
  }

  private resyncOne (): void {
    const peers = this.mesh.connectedPeers()
    if (peers.length === 0) return
    void this.syncWith(peers[Math.floor(Math.random() * peers.length)])
  }

  private bad (peer: string, err: unknown): void {
    this.stats.badMessages++
    this.log(`bad state message from ${peer}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`)
  }
}

export function createStateProvider (init: StateProviderInit, components: StateProviderComponents): StateProvider {
  return new StateProvider(init, components)
}
