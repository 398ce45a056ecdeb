/**
 * The Yjs provider over the mesh: keeps a Y.Doc (and its Awareness) in sync with every peer, with
 * every change signed by its author (./author.ts, ./replica.ts, docs/state.md "Authenticated writes").
 *
 * - Identity: at construction the doc's client id becomes the one bound to this peer's key and a
 *   fresh random session; every local change (coalesced for `flushDelayMs`) is signed as the next
 *   entry of that session and gossiped on `novacron/state/2` (over `maxGossipSize`: neighbours are
 *   re-synced instead).
 * - Handshake: on every new connection, and every `resyncIntervalMs` with one random neighbour, a
 *   peer calls `/novacron/state/2.0.0` with [step1(entries held per client), awareness]; the other side
 *   answers [entries we lack, its step1, its awareness], and we send what it lacks. Entries travel
 *   as their authors signed them, in application order, at most `maxFrameSize` per call; a cut
 *   answer is continued by further rounds (bounded).
 * - Catch-up: a linked peer that missed our own gossip (it subscribed after it, or gossip had no
 *   stream to it) gets a handshake then (./catch-up.ts).
 * - Hostile input: a frame that does not decode, an entry that is forged (wrong client id, bad
 *   signature, author refused by `acceptAuthor`) is dropped and counted; entries with missing
 *   predecessors wait in a bounded buffer outside the doc, and trigger one rate-limited fetch from
 *   their sender; each peer has a message/byte budget per window and offence points, past which its
 *   connection is closed. Nothing a peer sends throws into this peer's event loop.
 *
 * The provider depends on a narrow `StateMesh` (what it uses of core/net's MeshNode), so the same code
 * runs in the Node peer, in a tab and in tests.
 */
import * as awarenessProtocol from 'y-protocols/awareness'
import type * as Y from 'yjs'
import { randomSession } from './author.ts'
import { CatchUp } from './catch-up.ts'
import {
  encodeAwareness, encodeBatch, encodeEntries, encodeStep1, MAX_BATCH, MSG_AWARENESS, MSG_ENTRIES, readBatch, readFrame,
  STATE_PROTOCOL, STATE_TOPIC
} from './codec.ts'
import { RateLimitedError, StateProtocolError } from './errors.ts'
import { DEFAULT_PEER_BUDGET, PeerBudgets } from './peer-budget.ts'
import { DEFAULT_PENDING_LIMITS } from './pending.ts'
import type { GossipVerdict, StateMesh, StateProviderComponents, StateProviderInit, StateProviderStats } from './provider-types.ts'
import { newReplicaStats, SignedReplica } from './replica.ts'

export type { GossipVerdict, StateMesh, StateProviderComponents, StateProviderInit, StateProviderStats } from './provider-types.ts'

/** Rounds of one handshake when answers come back cut at the frame limit. */
const MAX_ROUNDS = 16
const AWARENESS_HEADROOM = 64 * 1024

export class StateProvider {
  readonly doc: Y.Doc
  readonly awareness: awarenessProtocol.Awareness
  readonly stats: StateProviderStats
  readonly replica: SignedReplica
  private readonly mesh: StateMesh
  private readonly ownsAwareness: boolean
  private readonly maxFrameSize: number
  private readonly maxGossipSize: number
  private readonly resyncIntervalMs: number
  private readonly flushDelayMs: number
  private readonly requestTimeoutMs: number
  private readonly fetchIntervalMs: number
  private readonly budgets: PeerBudgets
  private readonly now: () => number
  private readonly log: (message: string) => void
  private started = false
  private readonly cleanup: Array<() => void> = []
  private flushTimer?: ReturnType<typeof setTimeout>
  private resyncTimer?: ReturnType<typeof setInterval>
  private expireTimer?: ReturnType<typeof setInterval>
  private readonly syncing = new Map<string, Promise<void>>()
  private readonly queuedSyncs = new Map<string, Promise<void>>()
  /** Local entries gossiped so far, which of them each peer was sent, and handshakes for those it missed. */
  private readonly catchUp: CatchUp
  private readonly fetchTimers = new Map<string, ReturnType<typeof setTimeout>>()
  private readonly lastFetch = new Map<string, number>()
  /** Every document mutation (remote entries, local signing) runs in this chain, one at a time. */
  private serial: Promise<unknown> = Promise.resolve()
  /** Awareness client ids heard from each peer, to drop them when the peer goes away. */
  private readonly clientsByPeer = new Map<string, Set<number>>()
  private readonly synced = new Set<(peer: string) => void>()

  constructor (init: StateProviderInit, components: StateProviderComponents) {
    this.doc = init.doc
    this.mesh = components.mesh
    this.log = init.log ?? (() => {})
    this.now = init.now ?? Date.now
    this.stats = { ...newReplicaStats(), gossipSent: 0, gossipReceived: 0, bytesSent: 0, bytesReceived: 0, syncs: 0, syncFailures: 0, badMessages: 0, fetches: 0, catchUps: 0, rateLimited: 0, disconnects: 0 }
    this.replica = SignedReplica.for({
      doc: init.doc,
      signer: { peerId: this.mesh.peerId, sign: data => this.mesh.sign(data) },
      session: init.session ?? randomSession(),
      acceptAuthor: init.acceptAuthor ?? (() => true),
      pendingLimits: { ...DEFAULT_PENDING_LIMITS, ...init.pending },
      stats: this.stats,
      store: init.store,
      log: this.log
    })
    // From here on local edits are written under the client id bound to our key (set before the
    // awareness is made: it takes the doc's client id as its own).
    this.ownsAwareness = init.awareness == null
    this.awareness = init.awareness ?? new awarenessProtocol.Awareness(init.doc)
    this.maxFrameSize = init.maxFrameSize ?? 4 * 1024 * 1024
    this.maxGossipSize = init.maxGossipSize ?? 256 * 1024
    this.resyncIntervalMs = init.resyncIntervalMs ?? 15_000
    this.flushDelayMs = init.flushDelayMs ?? 10
    this.requestTimeoutMs = init.requestTimeoutMs ?? 15_000
    this.fetchIntervalMs = init.fetchIntervalMs ?? 5000
    this.catchUp = new CatchUp({
      sync: peer => { void this.syncWith(peer) },
      subscribers: () => this.mesh.subscribers?.(STATE_TOPIC),
      linked: () => this.mesh.connectedPeers(),
      isStarted: () => this.started,
      counted: () => { this.stats.catchUps++ }
    }, init.catchUpDelayMs ?? 1000)
    this.budgets = new PeerBudgets({ ...DEFAULT_PEER_BUDGET, ...init.budget })
  }

  get isStarted (): boolean { return this.started }
  /** The Yjs client id this peer writes under (bound to its key and session). */
  get clientId (): number { return this.replica.clientId }

  async start (): Promise<void> {
    if (this.started) return
    this.started = true
    if (this.replica.dropYjsPending()) this.log('dropped pending Yjs structs the stored document carried')
    await this.replica.load()
    await this.mesh.handle(STATE_PROTOCOL, async (req, ctx) => await this.onRequest(req, ctx.peerId), { maxFrameSize: this.maxFrameSize })
    this.cleanup.push(this.mesh.subscribe(STATE_TOPIC, msg => { this.onGossip(msg.from, msg.data) }, { check: async data => await this.checkGossip(data) }))
    this.replica.onLocal = () => { this.scheduleFlush() }
    this.cleanup.push(() => { this.replica.onLocal = undefined })
    if (this.replica.hasUnsigned) this.scheduleFlush() // edited while no provider ran
    const onAwareness = ({ added, updated, removed }: { added: number[], updated: number[], removed: number[] }, origin: unknown): void => {
      if (origin !== 'local' && origin !== this.awareness) return
      void this.gossip(encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, [...added, ...updated, ...removed])))
    }
    this.awareness.on('update', onAwareness)
    this.cleanup.push(() => { this.awareness.off('update', onAwareness) })
    this.cleanup.push(this.mesh.onPeer('connect', peer => { void this.syncWith(peer) }))
    this.cleanup.push(this.mesh.onPeer('disconnect', peer => { this.dropPeer(peer) }))
    const onSubscribe = this.mesh.onSubscribe?.(STATE_TOPIC, peer => { this.catchUp.subscribed(peer) })
    if (onSubscribe != null) this.cleanup.push(onSubscribe)
    this.resyncTimer = setInterval(() => { this.resyncOne() }, this.resyncIntervalMs)
    const ttl = this.replica.pending.limits.ttlMs
    this.expireTimer = setInterval(() => { this.replica.expire(this.now()) }, Math.max(250, Math.floor(ttl / 4)))
    for (const peer of this.mesh.connectedPeers()) void this.syncWith(peer)
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.flush()
    this.started = false
    clearInterval(this.resyncTimer)
    clearInterval(this.expireTimer)
    clearTimeout(this.flushTimer)
    for (const t of this.fetchTimers.values()) clearTimeout(t)
    this.fetchTimers.clear()
    this.catchUp.stop()
    await this.serial.catch(() => {})
    // Tell others we are gone (best effort), then release everything.
    if (this.awareness.getLocalState() != null) {
      const bye = encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, [this.awareness.clientID], new Map([[this.awareness.clientID, null]]) as unknown as Map<number, Record<string, unknown>>))
      await this.mesh.publish(STATE_TOPIC, bye).catch(() => {})
    }
    for (const off of this.cleanup.splice(0)) off()
    await this.mesh.unhandle(STATE_PROTOCOL).catch(() => {})
    await Promise.allSettled([...this.syncing.values(), ...this.queuedSyncs.values()])
    if (this.ownsAwareness) this.awareness.destroy()
  }

  /** Calls `fn(peer)` after each completed handshake (for tests and the page's status line). */
  onSynced (fn: (peer: string) => void): () => void {
    this.synced.add(fn)
    return () => { this.synced.delete(fn) }
  }

  /** Resolves once every local change so far is signed (and gossiped or queued for sync). */
  async settled (): Promise<void> {
    this.flush()
    await this.serial.catch(() => {})
  }

  /**
   * Runs the handshake with `peer`: one at a time per peer; a call during a running one queues one
   * more (so it covers changes made before the call), and further calls share that queued one.
   */
  async syncWith (peer: string): Promise<void> {
    const running = this.syncing.get(peer)
    if (running != null) {
      let next = this.queuedSyncs.get(peer)
      if (next == null) {
        next = running.then(async () => { this.queuedSyncs.delete(peer); await this.syncWith(peer) })
        this.queuedSyncs.set(peer, next)
      }
      return await next
    }
    const run = this.handshake(peer).finally(() => { this.syncing.delete(peer) })
    this.syncing.set(peer, run)
    await run
  }

  private async handshake (peer: string): Promise<void> {
    if (!this.started) return
    try {
      await this.settled()
      // counted as heard even if it fails: a failed handshake is retried by resync, not by catchUp
      this.catchUp.handshakeStarting(peer)
      for (let round = 0; round < MAX_ROUNDS && this.started; round++) {
        const before = this.replica.log.size
        const first = await this.call(peer, [encodeStep1(this.replica.log.vector()), this.localAwareness()])
        const theirs = await this.process(peer, first)
        // send what it lacks, in as many calls as the frame limit needs
        for await (const chunk of this.replica.log.missing(theirs ?? new Map(), this.entryBudget(), MAX_ROUNDS)) {
          await this.call(peer, [encodeEntries(chunk)])
        }
        // its answer was cut at the frame limit and we progressed: ask again for the rest
        if (theirs == null || !this.replica.log.behind(theirs) || this.replica.log.size === before) break
      }
      this.stats.syncs++
      for (const fn of this.synced) fn(peer)
    } catch (err) {
      this.stats.syncFailures++
      this.log(`state sync with ${peer} failed: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`)
    }
  }

  private entryBudget (): number { return this.maxFrameSize - AWARENESS_HEADROOM }

  private async call (peer: string, frames: Uint8Array[]): Promise<Uint8Array[]> {
    const req = encodeBatch(frames)
    this.stats.bytesSent += req.length
    const res = await this.mesh.request(peer, STATE_PROTOCOL, req, { maxFrameSize: this.maxFrameSize, timeoutMs: this.requestTimeoutMs })
    this.stats.bytesReceived += res.length
    return readBatch(res, this.maxFrameSize)
  }

  private async onRequest (req: Uint8Array, peer: string): Promise<Uint8Array> {
    this.stats.bytesReceived += req.length
    if (!this.budgets.charge(peer, req.length, this.now())) {
      this.stats.rateLimited++
      this.offend(peer, 1)
      throw new RateLimitedError(`${peer} is over its state protocol budget`)
    }
    let frames: Uint8Array[]
    try {
      frames = readBatch(req, this.maxFrameSize)
    } catch (err) {
      this.bad(peer, err)
      throw err // becomes an error response for the caller; never reaches our event loop
    }
    const theirs = await this.process(peer, frames)
    const out: Uint8Array[] = []
    if (theirs != null) {
      // read from the store on a Node peer: a failure becomes an error response, as above
      const first = await this.replica.log.missing(theirs, this.entryBudget(), 1).next()
      if (first.done !== true) out.push(encodeEntries(first.value))
      out.push(encodeStep1(this.replica.log.vector()), this.localAwareness())
    }
    const res = encodeBatch(out)
    this.stats.bytesSent += res.length
    return res
  }

  /** Applies the frames of a batch from `peer`; returns the step1 vector it carried, if any. */
  private async process (peer: string, frames: Uint8Array[]): Promise<Map<number, number> | undefined> {
    let vector: Map<number, number> | undefined
    for (const bytes of frames.slice(0, MAX_BATCH)) {
      try {
        const f = readFrame(bytes, this.maxFrameSize)
        if (f.type === MSG_AWARENESS) this.applyAwareness(peer, f.update)
        else if (f.type === MSG_ENTRIES) await this.receive(peer, f.entries, false)
        else vector = f.vector
      } catch (err) {
        this.bad(peer, err)
      }
    }
    return vector
  }

  /**
   * Validation before propagation: a gossiped frame must decode, be entries or awareness, and every
   * entry must pass its author, client-id and signature checks; otherwise no peer forwards it.
   */
  private async checkGossip (data: Uint8Array): Promise<GossipVerdict> {
    let f
    try {
      f = readFrame(data, this.maxGossipSize)
    } catch {
      this.stats.badMessages++
      return 'malformed'
    }
    if (f.type === MSG_AWARENESS) return 'accept'
    if (f.type !== MSG_ENTRIES) {
      this.stats.badMessages++
      return 'malformed'
    }
    const verdict = await this.replica.check(f.entries)
    if (verdict !== 'accept') this.stats.badMessages++
    return verdict
  }

  private onGossip (from: string, data: Uint8Array): void {
    this.stats.gossipReceived++
    this.stats.bytesReceived += data.length
    if (!this.budgets.charge(from, data.length, this.now())) {
      this.stats.rateLimited++
      this.offend(from, 1)
      return
    }
    try {
      const f = readFrame(data, this.maxGossipSize)
      if (f.type === MSG_AWARENESS) this.applyAwareness(from, f.update)
      else if (f.type === MSG_ENTRIES) void this.receive(from, f.entries, true)
      else this.bad(from, new StateProtocolError('sync handshake frames are not accepted over gossip'))
    } catch (err) {
      this.bad(from, err)
    }
  }

  /** Verifies and applies entries (in the serial chain); parks the unapplyable and fetches once. */
  private async receive (from: string, entries: Uint8Array[], gossiped: boolean): Promise<void> {
    const run = this.serial.then(async () => await this.replica.receive(from, entries, this.now()))
    this.serial = run.catch(() => {})
    const r = await run
    if (r.offences > 0) this.offend(from, r.offences)
    // A gap seen in gossip is filled from its sender: one fetch per sender per interval, never one per
    // later update (issue 19, defect 4). Gaps seen during a handshake are that handshake's business.
    if (r.parked > 0 && gossiped) this.scheduleFetch(from)
  }

  private scheduleFetch (peer: string): void {
    if (this.fetchTimers.has(peer) || !this.started) return
    const wait = Math.max(0, (this.lastFetch.get(peer) ?? -Infinity) + this.fetchIntervalMs - this.now())
    this.fetchTimers.set(peer, setTimeout(() => {
      this.fetchTimers.delete(peer)
      if (!this.started) return
      this.lastFetch.set(peer, this.now())
      this.stats.fetches++
      void this.syncWith(peer)
    }, wait))
  }

  private offend (peer: string, points: number): void {
    if (!this.budgets.offend(peer, points, this.now())) return
    this.stats.disconnects++
    this.log(`closing the connection to ${peer}: too many rejected state messages`)
    this.mesh.hangUp?.(peer).catch(err => { this.log(`hang up on ${peer} failed: ${err instanceof Error ? err.message : String(err)}`) })
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
    this.budgets.forget(peer)
    this.lastFetch.delete(peer)
    this.catchUp.forget(peer)
    if (ids != null && ids.size > 0) awarenessProtocol.removeAwarenessStates(this.awareness, [...ids], 'disconnect')
  }

  private localAwareness (): Uint8Array {
    const ids = [...this.awareness.getStates().keys()]
    return encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, ids))
  }

  private scheduleFlush (): void {
    this.flushTimer ??= setTimeout(() => { this.flushTimer = undefined; this.flush() }, this.flushDelayMs)
  }

  /** Signs the local changes as one entry (in the serial chain) and gossips it. */
  private flush (): void {
    if (!this.replica.hasUnsigned || !this.started) return
    const run = this.serial.then(async () => await this.replica.signQueued())
    this.serial = run.catch(err => { this.log(`signing a local state change failed: ${err instanceof Error ? err.message : String(err)}`) })
    void run.then(entry => {
      if (entry == null) return
      const written = this.catchUp.next()
      const frame = encodeEntries([entry])
      if (frame.length > this.maxGossipSize) {
        for (const peer of this.mesh.connectedPeers()) void this.syncWith(peer)
        return
      }
      void this.gossip(frame, written)
    }, () => {})
  }

  /** Publishes `frame`; with `written` (a local entry's number), records which peers it reached. */
  private async gossip (frame: Uint8Array, written?: number): Promise<void> {
    if (!this.started) return
    try {
      const recipients = await this.mesh.publish(STATE_TOPIC, frame)
      this.stats.gossipSent++
      this.stats.bytesSent += frame.length
      if (written != null && Array.isArray(recipients)) this.catchUp.gossiped(written, recipients)
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
    this.offend(peer, 1)
    this.log(`bad state message from ${peer}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`)
  }
}

export function createStateProvider (init: StateProviderInit, components: StateProviderComponents): StateProvider {
  return new StateProvider(init, components)
}
