/**
 * Keeps a peer at its target number of direct WebRTC links: remembers the WebRTC addresses that
 * peer discovery reports, asks `chooseDials` whom to dial, runs those dials, and closes inbound
 * links beyond a hard cap. All in-flight dials are aborted on `stop()`.
 *
 * A dial is abandoned when it makes NO progress (no libp2p dial progress event: relay hop, noise,
 * SDP, ICE candidates…) for `dialTimeoutMs` — not after a fixed total — and in any case after
 * 4× `dialTimeoutMs`. On a starved CPU every step of a healthy dial is slow but keeps moving; a
 * fixed 6 s budget aborted every first-round dial of a 20-peer mesh in one process (each had
 * reached the noise handshake), wasting all of that work. A hung WebRTC dial (see docs/mesh.md)
 * goes silent after ICE and is still cut off. The idle limit doubles with each consecutive
 * failure to a peer (up to 4×).
 *
 * Once its ICE exchange began, a dial must open its link within `iceStageMs` (half a dial timeout,
 * doubling as the idle limit does; progress-dial.ts): a peer connection that died there — both ends
 * closed by a failed DTLS handshake — keeps reporting trickled candidates and never finishes. Such a
 * dial is ended for every caller joined to it (webrtc-dial-aborts.ts), and the peer may be dialled
 * again at once: a fresh peer connection usually succeeds.
 *
 * Protected peers (a ledger epoch's replicas) are linked beyond `maxPeers`: every unlinked one is
 * dialled at once by the smaller id of the pair, and their links do not count against the hard cap
 * on inbound links (so a replica still accepts up to `hardCap(maxPeers)` links from non-replicas). `pacedProtectedDials` is an experiment that paces
 * them instead — the policy spends the `maxPeers` budget on them first, at most `maxParallelDials`
 * dials in flight in all, the larger id taking over after `2 × dialTimeoutMs` without a link — made
 * on the guess that fifteen concurrent WebRTC dials per replica starve a loaded CPU. Measured at
 * n = 16 (load 25–35, one run each, docs/ledger.md "Replica links") it linked the replicas more
 * slowly (229 s to form against 115 s, 75 % of replica pairs linked once formed against 83 %), so it
 * is not the default; it stays for the benchmark to compare at higher loads.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { chooseDials, spread, type DialCandidate } from './dial-policy.ts'
import { connectionTransport } from './transport.ts'
import { DialStalledError } from './errors.ts'
import { iceStageMs, progressDial } from './progress-dial.ts'
import { peerConnectionOf } from './datachannel-tracker.ts'
import type { WebRTCDialAborts } from './webrtc-dial-aborts.ts'

export { WebRTCDialAborts } from './webrtc-dial-aborts.ts'
export { progressDial } from './progress-dial.ts'
import type { MeshConfig } from './config.ts'
import type { TopologyView } from './topology.ts'
import type { Connection, Libp2p, Logger } from '@libp2p/interface'

interface Known { addrs: string[], firstSeen: number, lastSeen: number }

/**
 * One dial in flight. A dial that only `dialNow` callers with a signal wait on (a request) is
 * cancelled once every one of them has given up; one the policy or a caller without a signal
 * wants (`kept`) runs to its end.
 */
interface Inflight { done: Promise<void>, cancel: AbortController, waiters: number, kept: boolean, progress: { stage: string } }

/** Links beyond `maxPeers` that a peer still accepts, so late joiners are not stranded. */
export function hardCap (maxPeers: number): number {
  return maxPeers + Math.max(2, Math.ceil(maxPeers / 4))
}

export class MeshDialer {
  private readonly known = new Map<string, Known>()
  private readonly dialing = new Set<string>()
  /** our dials in flight, to await (dialNow) */
  private readonly inflight = new Map<string, Inflight>()
  private readonly lastFailure = new Map<string, number>()
  /** the progress step each peer's last failed dial reached (kept while `lastFailure` is) */
  private readonly failedAtStage = new Map<string, string>()
  /** Consecutive failed dials per peer: each doubles that peer's dial timeout (up to 4×). */
  private readonly failures = new Map<string, number>()
  /** Failed dials since start, by error name and last step (diagnostics only; bounded: `recordFailure`). */
  private readonly failureKinds = new Map<string, number>()
  private controller = new AbortController()
  /** peers the node keeps direct links to whatever the policy says (a ledger epoch's replicas) */
  private protectedPeers = new Set<string>()
  /** since when each protected peer has been without a direct link (the larger id waits on it) */
  private readonly unlinkedSince = new Map<string, number>()

  constructor (
    private readonly libp2p: Libp2p,
    private config: MeshConfig,
    private readonly stats: { dialFailures: number, dialSuccesses: number, overCapClosed?: number, lostDialsCancelled?: number, stillbornLinks?: number },
    private readonly log: Logger,
    /** Called when a dial settles (a slot is free, or a link was added): the node re-runs the policy at once. */
    private readonly onSettled: () => void = () => {},
    /** Ends a dial we give up on for every caller joined to it (webrtc-dial-aborts.ts); without it only our wait ends. */
    private readonly aborts?: WebRTCDialAborts
  ) {}

  start (): void {
    this.controller = new AbortController()
  }

  /** A changed config (MeshNode.setMaxPeers): later rounds and the hard cap use it. */
  setConfig (config: MeshConfig): void {
    this.config = config
  }

  stop (): void {
    this.controller.abort(new Error('mesh node stopping'))
    this.dialing.clear()
  }

  /**
   * Records a peer's addresses from peer discovery (only WebRTC ones are dialled). Returns true
   * when the peer was not known before (the node then dials and re-announces at once).
   */
  discovered (peerId: string, addrs: string[]): boolean {
    const webrtc = addrs.filter(a => a.includes('/webrtc') && !a.includes('/webrtc-direct'))
    if (webrtc.length === 0 || peerId === this.libp2p.peerId.toString()) return false
    const now = Date.now()
    const old = this.known.get(peerId)
    this.known.set(peerId, { addrs: webrtc, firstSeen: old?.firstSeen ?? now, lastSeen: now })
    return old == null
  }

  /**
   * Makes sure a direct WebRTC link to `peerId` is open, dialling it now (outside the policy's
   * round) when the peer's WebRTC addresses are known; joins a dial already in flight. True when a
   * link is open afterwards; false at once within `dialTimeoutMs` of a failed dial to it. For a
   * caller that must reach this very peer and has only a relayed link to it (requests are refused
   * on those): e.g. a blob only that peer holds.
   *
   * With `signal` (a request's deadline or its caller's abort), the call gives up when it aborts
   * (false), and a dial started for such callers is cancelled once all of them have given up — it
   * is not counted as a failed dial to the peer. A dial the policy or a caller without a signal
   * waits on goes on.
   */
  async dialNow (peerId: string, signal?: AbortSignal): Promise<boolean> {
    if (this.webrtcPeers().has(peerId)) return true
    const k = this.known.get(peerId)
    if (k == null || this.controller.signal.aborted || signal?.aborted === true) return false
    // as the policy: no new dial within dialTimeoutMs of a failed one (a caller retrying in a loop
    // must not hammer a peer whose dials fail)
    const failed = this.lastFailure.get(peerId)
    if (!this.inflight.has(peerId) && failed != null && Date.now() - failed < this.config.dialTimeoutMs) return false
    const f = this.inflight.get(peerId) ?? this.startDial(peerId, k, signal == null)
    if (signal == null) {
      f.kept = true
      await f.done
      return this.webrtcPeers().has(peerId)
    }
    f.waiters++
    let onAbort: () => void = () => {}
    const aborted = new Promise<void>(resolve => { onAbort = resolve; signal.addEventListener('abort', onAbort, { once: true }) })
    try {
      await Promise.race([f.done, aborted])
    } finally {
      signal.removeEventListener('abort', onAbort)
      f.waiters--
      if (signal.aborted && f.waiters === 0 && !f.kept && this.inflight.get(peerId) === f) {
        this.log('cancelling the dial to %s: every request waiting on it gave up', peerId)
        f.cancel.abort(signal.reason)
      }
    }
    return !signal.aborted && this.webrtcPeers().has(peerId)
  }

  /**
   * Why there is no direct link to `peerId` now, for a caller's diagnostics (a learning coordinator
   * counting the learners it could not link, core/learning/live/links.ts): `linked`; `no-address`
   * (peer discovery has not reported a WebRTC address: nothing to dial); `dialling:<step>` (our dial
   * in flight, its last progress step); `failed:<step>` (our last dial failed at that step, and the
   * dialer waits dialTimeoutMs before another); `idle` (none in flight, none failed lately).
   */
  dialState (peerId: string): string {
    if (this.webrtcPeers().has(peerId)) return 'linked'
    const f = this.inflight.get(peerId)
    if (f != null) return `dialling:${f.progress.stage}`
    const failed = this.lastFailure.get(peerId)
    if (failed != null && Date.now() - failed < this.config.dialTimeoutMs) return `failed:${this.failedAtStage.get(peerId) ?? '?'}`
    return this.known.has(peerId) ? 'idle' : 'no-address'
  }

  /** True while our own dial to `peerId` is in flight. */
  isDialing (peerId: string): boolean { return this.dialing.has(peerId) }

  /** Our dials in flight now, each with its last progress step (diagnostics: mesh-diagnostics.ts). */
  dialsInFlight (): Map<string, string> {
    return new Map([...this.inflight].map(([peer, f]) => [peer, f.progress.stage]))
  }

  /** Failed dials since start, by `<error name> @ <last step>` (diagnostics: mesh-diagnostics.ts). */
  failureCounts (): Map<string, number> { return new Map(this.failureKinds) }

  /** Every peer with a known WebRTC address, and its `dialState` (diagnostics: mesh-diagnostics.ts). */
  candidateStates (): Map<string, string> {
    return new Map([...this.known.keys()].map(peer => [peer, this.dialState(peer)]))
  }

  /**
   * Marks `peerIds` protected (replacing the previous set): they are dialled whenever known and
   * not linked, and an inbound link from one is never closed over the hard cap.
   */
  protect (peerIds: Iterable<string>): void {
    this.protectedPeers = new Set(peerIds)
    for (const id of this.unlinkedSince.keys()) if (!this.protectedPeers.has(id)) this.unlinkedSince.delete(id)
  }

  isProtected (peerId: string): boolean { return this.protectedPeers.has(peerId) }

  /** Direct WebRTC links to peers that are not protected, now. */
  unprotectedLinks (): number {
    let n = 0
    for (const p of this.webrtcPeers()) if (!this.protectedPeers.has(p)) n++
    return n
  }

  /** Direct WebRTC peers now. */
  webrtcPeers (): Set<string> {
    return new Set(this.libp2p.getConnections().filter(c => c.status === 'open' && connectionTransport(c) === 'webrtc').map(c => c.remotePeer.toString()))
  }

  /**
   * Closes a new inbound WebRTC link from an unprotected peer when it takes our links to
   * unprotected peers past the hard cap. Protected links (a ledger epoch's replicas) do not count:
   * `maxPeers` bounds only the links to the others. Counting them closed every inbound link from a
   * non-replica at a replica holding more than `hardCap(maxPeers)` replica links (15 of them at
   * n = 32 against a cap of 10), so peers that joined after the replica set formed could link only
   * each other (docs/ledger.md, "Late peers at n = 32").
   */
  connectionOpened (conn: Connection): void {
    if (connectionTransport(conn) !== 'webrtc' || this.closeStillborn(conn)) return
    if (conn.direction !== 'inbound' || this.protectedPeers.has(conn.remotePeer.toString())) return
    if (this.unprotectedLinks() > hardCap(this.config.maxPeers)) {
      this.log('closing inbound link from %s: over the hard cap', conn.remotePeer)
      if (this.stats.overCapClosed != null) this.stats.overCapClosed++
      void conn.close().catch(err => { this.log('close failed: %s', err instanceof Error ? err.message : String(err)) })
    }
  }

  /**
   * Identify completed over `conn` (the node's `peer:identify`): data went both ways over it. Only
   * then does a new direct link replace what it would make redundant — the relayed signalling
   * links to its peer, and our own losing dial to it. A link the far end's failed dial left
   * half-made opens here too, and never carries a byte (link-health.ts): acting on its opening
   * cancelled the one dial that could still link the pair, which then waited for the dead-link
   * sweep (17 s in a pair at load 8).
   */
  linkIdentified (conn: Connection): void {
    if (conn.status !== 'open' || connectionTransport(conn) !== 'webrtc') return
    this.closeSignallingLinks(conn)
    this.dropLosingDial(conn)
  }

  /**
   * The smaller id's dial wins (duplicate-links.ts): when its link is up here, inbound, while our
   * own dial to it is still in flight, ours cannot open any more — the smaller side refuses it —
   * but `@libp2p/webrtc`'s initiator waits for its init channel to close until the dial times out
   * (~20 s), holding a dial slot, a relayed signalling stream, and every caller of `dialNow` for
   * that peer. Cancel it at once, for every caller joined to it (an explicit `libp2p.dial` too):
   * not a failure of the peer's (no back-off), and the callers waiting on it find the link open.
   */
  private dropLosingDial (conn: Connection): void {
    const peer = conn.remotePeer.toString()
    const f = this.inflight.get(peer)
    if (conn.direction !== 'inbound' || this.libp2p.peerId.toString() < peer) return
    if (f == null && (this.aborts?.inFlight(peer) ?? 0) === 0) return
    this.log('cancelling our dial to %s: its own dial opened the link (the smaller id\'s wins)', peer)
    if (this.stats.lostDialsCancelled != null) this.stats.lostDialsCancelled++
    const reason = new Error('the peer\'s own dial opened the link')
    f?.cancel.abort(reason)
    this.aborts?.abort(peer, reason)
  }

  /**
   * A WebRTC link whose peer connection is already closed when it opens: node-datachannel closes
   * both ends when the DTLS handshake fails right after ICE connects (about 1 peer connection in 6
   * at load 8 in one process, docs/mesh.md), and @libp2p/webrtc's recipient still finishes the
   * upgrade. Such a link never carries a byte; left open it would hold the peer's slot until the
   * dead-link sweep (`deadLinkGraceMs`, 15 s or more). Closed at once, counted in `stillbornLinks`.
   */
  private closeStillborn (conn: Connection): boolean {
    const state = (peerConnectionOf(conn) as { connectionState?: string } | undefined)?.connectionState
    if (state !== 'closed' && state !== 'failed') return false
    this.log('closing %s link %s to %s: its peer connection is already %s', conn.direction, conn.id, conn.remotePeer, state)
    if (this.stats.stillbornLinks != null) this.stats.stillbornLinks++
    conn.abort(new Error(`WebRTC peer connection already ${state} when the link opened`))
    return true
  }

  /**
   * Once a direct link is up, the relayed connection its dial signalled over only costs the relay:
   * every such link carries identify, pings and yamux keep-alives through the bootstrap until the
   * relay's 2-minute limit ends it, and with many peers on one relay those links starved the
   * relay's event loop until new relayed handshakes stalled. Close them at once.
   */
  private closeSignallingLinks (direct: Connection): void {
    for (const c of this.libp2p.getConnections(direct.remotePeer)) {
      if (c !== direct && connectionTransport(c) === 'relayed') {
        void c.close().catch(err => { this.log('closing a signalling link failed: %s', err instanceof Error ? err.message : String(err)) })
      }
    }
  }

  /** One round: forget stale candidates, start the dials the policy picks. */
  maintain (view: TopologyView): void {
    const now = Date.now()
    for (const [id, k] of this.known) {
      if (!view.has(id) && now - k.lastSeen > this.config.peerTtlMs) {
        this.known.delete(id)
        this.failures.delete(id)
        this.lastFailure.delete(id)
        this.failedAtStage.delete(id)
      }
    }
    const candidates: DialCandidate[] = [...this.known].map(([peerId, k]) => ({ peerId, firstSeen: k.firstSeen, degree: view.degree(peerId) }))
    const picks = chooseDials({
      self: this.libp2p.peerId.toString(),
      now,
      maxPeers: this.config.maxPeers,
      maxParallel: this.config.maxParallelDials,
      candidates,
      connected: this.webrtcPeers(),
      dialing: this.dialing,
      lastFailure: this.lastFailure,
      otherSideDelayMs: this.config.dialTimeoutMs,
      retryMs: this.config.dialTimeoutMs,
      ...(this.config.pacedProtectedDials ? { preferred: this.protectedPeers } : {})
    })
    for (const id of picks) void this.dial(id)
    if (this.config.pacedProtectedDials) this.dialProtectedPaced(now)
    else this.dialProtected(now, picks)
  }

  /**
   * Protected peers beyond the policy's target: within `maxParallelDials` dials in flight (the
   * policy's included), the smaller id of a pair first, the larger after `2 × dialTimeoutMs`
   * without a link; a peer whose dial failed is tried again after `dialTimeoutMs` (the larger side:
   * twice that, so the two sides' retries drift apart instead of colliding), the least recently
   * failed first.
   */
  private dialProtectedPaced (now: number): void {
    const connected = this.webrtcPeers()
    const self = this.libp2p.peerId.toString()
    const wait = 2 * this.config.dialTimeoutMs
    let room = this.config.maxParallelDials - this.dialing.size
    // least recently failed first (never tried before all), so peers whose dials keep failing do not
    // hold the slots against the rest
    const failedAt = (p: string): number => this.lastFailure.get(p) ?? -Infinity
    const order = [...this.protectedPeers].sort((a, b) => failedAt(a) - failedAt(b) || spread(self, a) - spread(self, b))
    // a relayed link to a peer opened in the last `wait` ms while it has no direct one: its dial to us
    // is likely signalling over it, so the larger side does not start a second one (two dials between
    // one pair fail together); an older one is a failed dial's leftover (the relay ends it in 2 min)
    const signalling = new Set(this.libp2p.getConnections()
      .filter(c => c.status === 'open' && connectionTransport(c) === 'relayed' && now - (c.timeline?.open ?? 0) < wait)
      .map(c => c.remotePeer.toString()))
    for (const id of order) {
      if (connected.has(id)) { this.unlinkedSince.delete(id); continue }
      const since = this.unlinkedSince.get(id) ?? now
      this.unlinkedSince.set(id, since)
      if (room <= 0 || this.dialing.has(id) || !this.known.has(id)) continue
      const larger = self > id
      if (larger && (now - since < wait || signalling.has(id))) continue
      const failed = this.lastFailure.get(id)
      if (failed != null && now - failed < (larger ? wait : this.config.dialTimeoutMs)) continue
      room--
      void this.dial(id)
    }
  }

  /** The default: every unlinked protected peer at once, by the smaller id of the pair only. */
  private dialProtected (now: number, picks: string[]): void {
    // by the smaller id of the pair only, as the policy does: both sides protect each other, and two
    // simultaneous WebRTC dials between one pair fail together, again and again
    const connected = this.webrtcPeers()
    const self = this.libp2p.peerId.toString()
    for (const id of this.protectedPeers) {
      if (self > id || connected.has(id) || this.dialing.has(id) || picks.includes(id) || !this.known.has(id)) continue
      const failed = this.lastFailure.get(id)
      if (failed != null && now - failed < this.config.dialTimeoutMs) continue
      void this.dial(id)
    }
  }

  private async dial (peerId: string): Promise<void> {
    const k = this.known.get(peerId)
    if (k == null) return
    const running = this.inflight.get(peerId)
    if (running != null) { running.kept = true; await running.done; return }
    await this.startDial(peerId, k, true).done
  }

  /** Starts a dial, tracked in `inflight` until it settles. */
  private startDial (peerId: string, k: Known, kept: boolean): Inflight {
    const cancel = new AbortController()
    const f: Inflight = { done: Promise.resolve(), cancel, waiters: 0, kept, progress: { stage: 'start' } }
    f.done = this.dialOnce(peerId, k, cancel.signal, f.progress).finally(() => { if (this.inflight.get(peerId) === f) this.inflight.delete(peerId) })
    this.inflight.set(peerId, f)
    return f
  }

  /** Counts a failed dial by error name and step; the step's time is dropped, and past 32 kinds all go to `other`. */
  private recordFailure (err: unknown, stage: string): void {
    const kind = `${err instanceof Error ? err.name : typeof err} @ ${stage.replace(/ at \d+ ms$/, '')}`
    const key = this.failureKinds.has(kind) || this.failureKinds.size < 32 ? kind : 'other'
    this.failureKinds.set(key, (this.failureKinds.get(key) ?? 0) + 1)
  }

  private async dialOnce (peerId: string, k: Known, cancelled: AbortSignal, progress: { stage: string }): Promise<void> {
    this.dialing.add(peerId)
    this.log('dialling %s via %s', peerId, k.addrs.join(', '))
    // a dial that stalled may have been slow rather than hung (a starved CPU): give the next one longer
    const grow = 2 ** Math.min(this.failures.get(peerId) ?? 0, 2)
    const idleMs = this.config.dialTimeoutMs * grow
    const iceMs = iceStageMs(this.config.dialTimeoutMs) * grow
    const started = Date.now()
    try {
      const conn = await progressDial(this.libp2p, k.addrs.map(a => multiaddr(a)), { idleMs, iceMs, capMs: 4 * this.config.dialTimeoutMs, signal: AbortSignal.any([this.controller.signal, cancelled]), progress })
      if (connectionTransport(conn) !== 'webrtc') throw new Error(`dial produced a ${connectionTransport(conn)} connection`)
      this.log('dialled %s: %s', peerId, conn.remoteAddr.toString())
      this.stats.dialSuccesses++
      this.lastFailure.delete(peerId)
      this.failures.delete(peerId)
      this.failedAtStage.delete(peerId)
    } catch (err) {
      if (this.controller.signal.aborted) return
      // cancelled by the requests that wanted it: no failure of the peer's
      if (cancelled.aborted) { this.log('dial to %s cancelled after %d ms (last step %s)', peerId, Date.now() - started, progress.stage); return }
      this.stats.dialFailures++
      // a stalled dial may still run for others joined to it (libp2p joins dials per peer): end it
      // for all, so they hear now and our next dial is a fresh one, not that hung one joined again
      if (err instanceof DialStalledError) this.aborts?.abort(peerId, err)
      // after ICE, a stall is a peer connection that died (a failed DTLS handshake), not a peer that
      // does not answer: the next round may dial again at once rather than `dialTimeoutMs` later
      this.lastFailure.set(peerId, Date.now() - (err instanceof DialStalledError && err.afterIce ? this.config.dialTimeoutMs : 0))
      this.failedAtStage.set(peerId, progress.stage)
      this.failures.set(peerId, (this.failures.get(peerId) ?? 0) + 1)
      this.recordFailure(err, progress.stage)
      this.log('webrtc dial to %s failed after %d ms (last step %s): %s', peerId, Date.now() - started, progress.stage, err instanceof Error ? err.message : String(err))
    } finally {
      this.dialing.delete(peerId)
      if (!this.controller.signal.aborted) this.onSettled()
    }
  }
}
